/**
 * A small history-API router. The whole UI state of a view lives in its URL (path + query
 * string), so every view is a shareable link; components read it with useLocation() and change it
 * with navigate() or setParams().
 */
import { useEffect, useState } from 'preact/hooks';

/** The current path and query string. */
export interface RouteLocation {
  readonly path: string;
  readonly params: URLSearchParams;
  /** path + query string, as it appears in the address bar. */
  readonly href: string;
}

const listeners = new Set<() => void>();
let current = read();

function read(): RouteLocation {
  return {
    path: window.location.pathname.replace(/\/+$/, '') || '/',
    params: new URLSearchParams(window.location.search),
    href: window.location.pathname + window.location.search,
  };
}

function emit(): void {
  current = read();
  for (const l of [...listeners]) l();
}

window.addEventListener('popstate', emit);

/** The current location; re-renders the component when it changes. */
export function useLocation(): RouteLocation {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((t) => t + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return current;
}

/** The location right now, outside components. */
export function getLocation(): RouteLocation {
  return current;
}

export interface NavigateOptions {
  /** Replace the history entry instead of adding one (for edits that should not fill Back). */
  readonly replace?: boolean;
}

/** Goes to `href` (a path with optional query string) without reloading the page. */
export function navigate(href: string, options: NavigateOptions = {}): void {
  if (href === current.href) return;
  if (options.replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  emit();
}

/**
 * Changes some query parameters of the current URL and keeps the rest. `undefined`, `null` and
 * '' remove a parameter; an array sets it repeatedly.
 */
export function setParams(
  patch: Readonly<Record<string, string | readonly string[] | undefined | null>>,
  options: NavigateOptions = {},
): void {
  const params = new URLSearchParams(current.params);
  for (const [key, value] of Object.entries(patch)) {
    params.delete(key);
    if (value === undefined || value === null || value === '') continue;
    if (typeof value === 'string') params.set(key, value);
    else for (const v of value) params.append(key, v);
  }
  navigate(withParams(current.path, params), options);
}

/** `path` with `params` as its query string (none when empty). */
export function withParams(
  path: string,
  params: URLSearchParams | Record<string, string | undefined>,
): string {
  const p =
    params instanceof URLSearchParams
      ? params
      : new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1]));
  const qs = p.toString();
  return qs ? `${path}?${qs}` : path;
}

/** True when a click should be left to the browser (new tab, new window, download). */
export function isModifiedClick(e: MouseEvent): boolean {
  return e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey;
}
