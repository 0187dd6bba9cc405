/**
 * A trace as the waterfall draws it: spans in tree order (depth-first, children by start time)
 * with their depth, the spans on the critical path, and the TraceQL the search builder writes.
 * Pure functions (tested in trace-model.test.ts).
 */
import type { Span } from '../../lib/tempo.ts';

export interface TreeRow {
  readonly span: Span;
  readonly depth: number;
  /** Number of spans below this one. */
  readonly descendants: number;
  /** Ids of the ancestors, root first (to hide rows under a collapsed span). */
  readonly ancestors: readonly string[];
}

/**
 * Spans in tree order. A span whose parent is not in the trace (not received yet, or dropped)
 * becomes a root of its own, so no span is ever missing from the waterfall.
 */
export function buildTree(spans: readonly Span[]): TreeRow[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of spans) {
    if (s.parentSpanId && byId.has(s.parentSpanId) && s.parentSpanId !== s.spanId) {
      const list = children.get(s.parentSpanId) ?? [];
      list.push(s);
      children.set(s.parentSpanId, list);
    } else roots.push(s);
  }
  const byStart = (a: Span, b: Span) => a.startNs - b.startNs || a.name.localeCompare(b.name);
  const out: TreeRow[] = [];
  const visited = new Set<string>();
  const visit = (s: Span, depth: number, ancestors: string[]): number => {
    visited.add(s.spanId);
    const row = { span: s, depth, descendants: 0, ancestors };
    out.push(row);
    let n = 0;
    // The visited check keeps a cycle in bad data from recursing forever.
    const kids = (children.get(s.spanId) ?? []).filter((c) => !visited.has(c.spanId)).sort(byStart);
    for (const c of kids) n += 1 + visit(c, depth + 1, [...ancestors, s.spanId]);
    (row as { descendants: number }).descendants = n;
    return n;
  };
  for (const r of roots.sort(byStart)) visit(r, 0, []);
  // Spans only reachable through a cycle: shown as roots.
  for (const s of [...spans].sort(byStart)) if (!visited.has(s.spanId)) visit(s, 0, []);
  return out;
}

/**
 * The spans on the critical path: from each root, the child that finished last, then the child
 * that finished last before that one started, and so on down the tree (Jaeger's definition).
 */
export function criticalPath(spans: readonly Span[]): Set<string> {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map<string, Span[]>();
  for (const s of spans) {
    if (!s.parentSpanId || !byId.has(s.parentSpanId)) continue;
    const list = children.get(s.parentSpanId) ?? [];
    list.push(s);
    children.set(s.parentSpanId, list);
  }
  const out = new Set<string>();
  const walk = (s: Span, guard: Set<string>) => {
    if (guard.has(s.spanId)) return;
    guard.add(s.spanId);
    out.add(s.spanId);
    const kids = [...(children.get(s.spanId) ?? [])].sort((a, b) => b.endNs - a.endNs);
    let cursor = s.endNs;
    for (const c of kids) {
      if (c.endNs <= cursor && c.endNs > s.startNs) {
        walk(c, guard);
        cursor = c.startNs;
      }
    }
  };
  for (const s of spans) if (!s.parentSpanId || !byId.has(s.parentSpanId)) walk(s, new Set());
  return out;
}

/** What the search builder holds. */
export interface SearchForm {
  readonly service: string;
  readonly name: string;
  /** Durations as typed: '100ms', '2s'. */
  readonly minDuration: string;
  readonly maxDuration: string;
  readonly status: '' | 'error' | 'ok' | 'unset';
}

/** The TraceQL for a builder form: `{}` when nothing is set. */
export function buildTraceQL(f: SearchForm): string {
  const parts: string[] = [];
  if (f.service) parts.push(`resource.service.name = ${JSON.stringify(f.service)}`);
  if (f.name) parts.push(`name = ${JSON.stringify(f.name)}`);
  if (f.minDuration.trim()) parts.push(`duration >= ${f.minDuration.trim()}`);
  if (f.maxDuration.trim()) parts.push(`duration <= ${f.maxDuration.trim()}`);
  if (f.status) parts.push(`status = ${f.status}`);
  return parts.length ? `{ ${parts.join(' && ')} }` : '{}';
}

/** Milliseconds for people: 0.42 ms, 12.3 ms, 1.25 s. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
