/**
 * The service map's model: edges from the service-graph metrics, and a layered layout (callers
 * left of the services they call) computed without a layout library. Pure functions (tested in
 * graph.test.ts).
 */

export interface Edge {
  readonly client: string;
  readonly server: string;
  /** Requests per second. */
  readonly rate: number;
  /** Failed requests per second. */
  readonly errorRate: number;
  /** p95 server latency in seconds (NaN when unknown). */
  readonly p95: number;
}

export interface NodePos {
  readonly name: string;
  readonly x: number;
  readonly y: number;
  /** Requests per second the service received. */
  readonly inRate: number;
  readonly errorRate: number;
}

/** Joins the per-edge series (keys `client\u0000server`) into edges, dropping idle ones. */
export function joinEdges(
  rates: ReadonlyMap<string, number>,
  errors: ReadonlyMap<string, number>,
  p95: ReadonlyMap<string, number>,
): Edge[] {
  const out: Edge[] = [];
  for (const [key, rate] of rates) {
    const [client, server] = key.split('\u0000');
    if (!(rate > 0)) continue;
    out.push({ client, server, rate, errorRate: errors.get(key) ?? 0, p95: p95.get(key) ?? Number.NaN });
  }
  return out.sort((a, b) => (a.client + a.server < b.client + b.server ? -1 : 1));
}

/**
 * Places each service in a column by its longest call chain from a service nobody calls (cycles
 * broken by ignoring edges back to a service already on the path), and spreads each column
 * vertically. Coordinates are in a width × height box.
 */
export function layout(edges: readonly Edge[], width: number, height: number): NodePos[] {
  const names = [...new Set(edges.flatMap((e) => [e.client, e.server]))].sort();
  const out = new Map<string, string[]>();
  const incoming = new Map<string, number>();
  for (const n of names) {
    out.set(n, []);
    incoming.set(n, 0);
  }
  for (const e of edges) {
    if (e.client === e.server) continue;
    out.get(e.client)!.push(e.server);
    incoming.set(e.server, incoming.get(e.server)! + 1);
  }
  const depth = new Map<string, number>();
  const visit = (n: string, d: number, path: Set<string>) => {
    if ((depth.get(n) ?? -1) >= d) return;
    depth.set(n, d);
    path.add(n);
    for (const m of out.get(n)!) if (!path.has(m)) visit(m, d + 1, path);
    path.delete(n);
  };
  const roots = names.filter((n) => incoming.get(n) === 0);
  for (const r of roots.length ? roots : names.slice(0, 1)) visit(r, 0, new Set());
  // Services only reachable inside a cycle with no entry point.
  for (const n of names) if (!depth.has(n)) visit(n, 0, new Set());

  const columns = Math.max(...depth.values()) + 1;
  const byColumn = new Map<number, string[]>();
  for (const n of names) {
    const d = depth.get(n)!;
    byColumn.set(d, [...(byColumn.get(d) ?? []), n]);
  }
  const inRate = new Map<string, number>();
  const errRate = new Map<string, number>();
  for (const e of edges) {
    inRate.set(e.server, (inRate.get(e.server) ?? 0) + e.rate);
    errRate.set(e.server, (errRate.get(e.server) ?? 0) + e.errorRate);
  }
  const padX = 90;
  const padY = 50;
  const positions: NodePos[] = [];
  for (const [d, col] of byColumn) {
    col.forEach((name, i) => {
      positions.push({
        name,
        x: columns === 1 ? width / 2 : padX + (d * (width - 2 * padX)) / (columns - 1),
        y: padY + ((i + 0.5) * (height - 2 * padY)) / col.length,
        inRate: inRate.get(name) ?? 0,
        errorRate: errRate.get(name) ?? 0,
      });
    });
  }
  return positions.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Edge colour by error ratio: green under 1%, amber under 5%, red above. */
export function errorColor(errorRate: number, rate: number): string {
  const ratio = rate > 0 ? errorRate / rate : 0;
  if (ratio >= 0.05) return 'var(--err)';
  if (ratio >= 0.01) return 'var(--warn)';
  return 'var(--ok)';
}

/** Stroke width for a request rate, on a log scale relative to the busiest edge: 1.5-9 px. */
export function edgeWidth(rate: number, maxRate: number): number {
  if (!(maxRate > 0) || !(rate > 0)) return 1.5;
  return 1.5 + 7.5 * (Math.log1p(rate) / Math.log1p(maxRate));
}
