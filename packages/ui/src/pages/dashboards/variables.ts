/**
 * Template variables: parsing `label_values(...)`, and expanding `$name`, `${name}` and the
 * built-ins `$__interval`, `$__rate_interval`, `$__range` in queries, as Grafana does for
 * Prometheus. Pure functions (tested in variables.test.ts).
 */
import type { Variable } from '../../lib/dashboards.ts';
import { formatDuration } from '../../lib/time.ts';

/** Where a variable's choices come from. */
export type VariableSource =
  | { readonly kind: 'label_values'; readonly label: string; readonly match?: string }
  | { readonly kind: 'custom'; readonly values: readonly string[] };

/** Reads a variable's query: `label_values(label)`, `label_values(selector, label)`, or `a, b, c`. */
export function parseVariableQuery(query: string): VariableSource {
  const m = /^\s*label_values\s*\(\s*(.*?)\s*\)\s*$/s.exec(query);
  if (m) {
    const inner = m[1];
    // The label is after the last comma outside braces and quotes.
    let depth = 0;
    let quote = '';
    let split = -1;
    for (let i = 0; i < inner.length; i++) {
      const c = inner[i];
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === "'" || c === '`') quote = c;
      else if (c === '{' || c === '(') depth++;
      else if (c === '}' || c === ')') depth--;
      else if (c === ',' && depth === 0) split = i;
    }
    if (split < 0) return { kind: 'label_values', label: inner.trim() };
    return {
      kind: 'label_values',
      match: inner.slice(0, split).trim(),
      label: inner.slice(split + 1).trim(),
    };
  }
  return {
    kind: 'custom',
    values: query
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  };
}

/** The value "All" stands for. */
export const ALL = '$__all';

/** A variable's current selection: one value, several, or All. */
export type Selection = readonly string[];

/** Regex metacharacters escaped, for values joined into an alternation. */
export function escapeRegex(v: string): string {
  return v.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** How a selection is written into a query. */
export function formatSelection(sel: Selection, variable: Pick<Variable, 'multi' | 'includeAll'>): string {
  if (sel.includes(ALL)) return '.*';
  if (sel.length === 1) return sel[0];
  if (sel.length === 0) return '';
  return `(${sel.map(escapeRegex).join('|')})`;
}

export interface BuiltIns {
  /** The query step (ms). */
  readonly step: number;
  /** The range width (ms). */
  readonly range: number;
  /** The scrape interval assumed for $__rate_interval (ms); Prometheus's default 15s... */
  readonly scrapeInterval?: number;
}

/** Expands variables in a query; unknown `$names` are left as they are. */
export function interpolate(
  text: string,
  values: Readonly<Record<string, string>>,
  builtins: BuiltIns,
): string {
  const scrape = builtins.scrapeInterval ?? 15_000;
  const all: Record<string, string> = {
    __interval: formatDuration(builtins.step),
    __interval_ms: String(builtins.step),
    // Grafana's definition: at least four scrapes, and at least one step plus a scrape.
    __rate_interval: formatDuration(Math.max(builtins.step + scrape, 4 * scrape)),
    __range: `${Math.round(builtins.range / 1000)}s`,
    __range_s: String(Math.round(builtins.range / 1000)),
    ...values,
  };
  return text.replace(
    /\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}|\$([a-zA-Z_][a-zA-Z0-9_]*)/g,
    (whole, braced?: string, bare?: string) => {
      const name = (braced ?? bare)!;
      return name in all ? all[name] : whole;
    },
  );
}

/** Names of variables a text refers to (to re-fetch chained variables). */
export function referencedVariables(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}|\$([a-zA-Z_][a-zA-Z0-9_]*)/g))
    out.add(m[1] ?? m[2]);
  return [...out];
}
