/**
 * Viewer preferences that belong to the person, not to the link: colour theme and time zone.
 * Kept in localStorage; the theme is applied as `data-theme` on <html> so CSS variables switch.
 */
import { useEffect, useState } from 'preact/hooks';

export type ThemeChoice = 'dark' | 'light';

export interface Settings {
  readonly theme: ThemeChoice;
  /** Show times in UTC instead of the browser's zone. */
  readonly utc: boolean;
}

const KEY = 'vigil.settings';
const listeners = new Set<() => void>();

function load(): Settings {
  const systemDark = window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? true;
  const fallback: Settings = { theme: systemDark ? 'dark' : 'light', utc: false };
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<Settings> | null;
    return {
      theme: saved?.theme === 'light' || saved?.theme === 'dark' ? saved.theme : fallback.theme,
      utc: typeof saved?.utc === 'boolean' ? saved.utc : fallback.utc,
    };
  } catch {
    return fallback;
  }
}

let settings = load();
apply();

function apply(): void {
  document.documentElement.dataset.theme = settings.theme;
  document.documentElement.style.colorScheme = settings.theme;
}

/** Current preferences, outside components. */
export function getSettings(): Settings {
  return settings;
}

/** Changes preferences, saves them and re-renders everything that uses them. */
export function updateSettings(patch: Partial<Settings>): void {
  settings = { ...settings, ...patch };
  try {
    localStorage.setItem(KEY, JSON.stringify(settings));
  } catch {
    // Private windows may refuse storage; the choice then lasts until reload.
  }
  apply();
  for (const l of [...listeners]) l();
}

/** Current preferences; re-renders the component when they change. */
export function useSettings(): Settings {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return settings;
}
