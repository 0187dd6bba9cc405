/**
 * Query history per language, newest first, kept in localStorage (the last 100, each once).
 */

export interface HistoryEntry {
  readonly query: string;
  /** When it last ran (ms). */
  readonly at: number;
}

const LIMIT = 100;

function key(language: string): string {
  return `vigil.history.${language}`;
}

/** The saved queries of a language, newest first. */
export function readHistory(language: string): HistoryEntry[] {
  try {
    const list = JSON.parse(localStorage.getItem(key(language)) ?? '[]') as HistoryEntry[];
    return Array.isArray(list) ? list.filter((e) => typeof e?.query === 'string') : [];
  } catch {
    return [];
  }
}

/** Records that `query` ran now (moves it to the top). */
export function addHistory(language: string, query: string): void {
  const q = query.trim();
  if (!q) return;
  const next = [{ query: q, at: Date.now() }, ...readHistory(language).filter((e) => e.query !== q)].slice(
    0,
    LIMIT,
  );
  try {
    localStorage.setItem(key(language), JSON.stringify(next));
  } catch {
    // Storage full or refused: history is a convenience.
  }
}

/** Forgets every saved query of a language. */
export function clearHistory(language: string): void {
  try {
    localStorage.removeItem(key(language));
  } catch {
    // As above.
  }
}
