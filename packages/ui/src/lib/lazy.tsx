import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorBox } from '../components/feedback.tsx';

/**
 * A component whose code loads on first use (its own chunk), so the first page load carries only
 * the shell. Shows a quiet placeholder while loading and the reason if the chunk fails to load.
 */
export function lazyComponent<P extends object>(
  load: () => Promise<{ default: ComponentType<P> }>,
): ComponentType<P> {
  let loaded: ComponentType<P> | undefined;
  let pending: Promise<{ default: ComponentType<P> }> | undefined;
  return function Lazy(props: P) {
    const [component, setComponent] = useState<{ c: ComponentType<P> } | undefined>(
      loaded ? { c: loaded } : undefined,
    );
    const [error, setError] = useState<Error>();
    useEffect(() => {
      if (component) return;
      let live = true;
      pending ??= load();
      pending.then(
        (m) => {
          loaded = m.default;
          if (live) setComponent({ c: m.default });
        },
        (err: Error) => {
          pending = undefined;
          if (live) setError(err);
        },
      );
      return () => {
        live = false;
      };
    }, [component]);
    if (error) return <ErrorBox title="This part of the UI failed to load" error={error} />;
    if (!component) return <div class="lazy-placeholder" aria-busy="true" />;
    const C = component.c;
    return <C {...props} />;
  };
}
