import { useEffect, useRef, useState } from 'preact/hooks';
import { isAbort } from './api.ts';

/** The state of a request: the latest result or error, and whether one is running. */
export interface AsyncState<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  /** Milliseconds the last successful run took. */
  readonly took: number | undefined;
}

/**
 * Runs `run` whenever `deps` change, aborting the previous run; a superseded run's result is
 * dropped. `run` returning undefined (nothing to do) clears the state. Data from the last
 * successful run stays visible while the next one loads, so charts do not flash.
 */
export function useAsync<T>(
  run: (signal: AbortSignal) => Promise<T> | undefined,
  deps: readonly unknown[],
): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>({
    data: undefined,
    error: undefined,
    loading: false,
    took: undefined,
  });
  const runRef = useRef(run);
  runRef.current = run;
  useEffect(() => {
    const controller = new AbortController();
    const started = performance.now();
    const promise = runRef.current(controller.signal);
    if (!promise) {
      setState({ data: undefined, error: undefined, loading: false, took: undefined });
      return;
    }
    setState((s) => ({ ...s, loading: true }));
    promise.then(
      (data) => {
        if (!controller.signal.aborted)
          setState({ data, error: undefined, loading: false, took: performance.now() - started });
      },
      (error) => {
        if (controller.signal.aborted || isAbort(error)) return;
        setState({ data: undefined, error, loading: false, took: undefined });
      },
    );
    return () => controller.abort();
  }, deps);
  return state;
}
