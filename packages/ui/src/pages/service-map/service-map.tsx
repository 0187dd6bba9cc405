/**
 * The service map: services as nodes and calls as edges, from the service-graph metrics the
 * traces pipeline writes (traces_service_graph_*). Edge width follows the request rate, colour
 * the error ratio; hovering an edge shows rate, errors and p95 latency; clicking a service opens
 * its Service overview dashboard.
 */
import { useMemo, useState } from 'preact/hooks';
import { EmptyState, ErrorBox, Spinner } from '../../components/feedback.tsx';
import { linkHandler } from '../../components/link.tsx';
import { RefreshPicker, TimeRangePicker, useTimeRangeParam } from '../../components/time-picker.tsx';
import { colorFor, formatValue } from '../../lib/format.ts';
import { queryInstant } from '../../lib/prom.ts';
import { resolveRange } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';
import { type Edge, edgeWidth, errorColor, joinEdges, layout, type NodePos } from './graph.ts';

const WIDTH = 1000;
const HEIGHT = 560;

async function edgeValues(query: string, time: number, signal: AbortSignal): Promise<Map<string, number>> {
  const { result } = await queryInstant(query, time, signal);
  const out = new Map<string, number>();
  if (result.resultType !== 'vector') return out;
  for (const s of result.result) out.set(`${s.metric.client}\u0000${s.metric.server}`, s.value);
  return out;
}

export default function ServiceMap() {
  const [range, setRange] = useTimeRangeParam('now-1h');
  const [refresh, setRefresh] = useState(0);
  const [hover, setHover] = useState<{ edge: Edge; x: number; y: number }>();
  const result = useAsync(
    async (signal) => {
      const r = resolveRange(range);
      // Averages over the whole range (at least a minute, so rate() has two samples).
      const window = `${Math.max(60, Math.round((r.end - r.start) / 1000))}s`;
      const by = 'sum by (client, server)';
      const [rates, errors, p95] = await Promise.all([
        edgeValues(`${by} (rate(traces_service_graph_request_total[${window}]))`, r.end, signal),
        edgeValues(`${by} (rate(traces_service_graph_request_failed_total[${window}]))`, r.end, signal),
        edgeValues(
          `histogram_quantile(0.95, sum by (client, server, le) (rate(traces_service_graph_request_server_seconds_bucket[${window}])))`,
          r.end,
          signal,
        ),
      ]);
      return joinEdges(rates, errors, p95);
    },
    [range.from, range.to, refresh],
  );
  const edges = result.data ?? [];
  const nodes = useMemo(() => layout(edges, WIDTH, HEIGHT), [edges]);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const maxRate = Math.max(0, ...edges.map((e) => e.rate));

  return (
    <div class="page">
      <header class="page-header">
        <h1>Service map</h1>
        <div class="toolbar">
          <TimeRangePicker value={range} onChange={setRange} />
          <RefreshPicker onRefresh={() => setRefresh((n) => n + 1)} loading={result.loading} />
        </div>
      </header>
      <div class="page-body">
        {result.error !== undefined && (
          <ErrorBox title="Cannot read the service graph" error={result.error} />
        )}
        {result.loading && !result.data && <Spinner label="Loading" />}
        {result.data && edges.length === 0 && (
          <EmptyState title="No calls between services in this time range">
            The map is drawn from the service-graph metrics Vigil derives from traces: a client span in one
            service whose child server span is in another. Send traces from two services that call each other
            (see <code>examples/</code>), or widen the time range.
          </EmptyState>
        )}
        {edges.length > 0 && (
          <div class="card service-map" data-testid="service-map">
            <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label="Service map">
              <defs>
                {['ok', 'warn', 'err'].map((c) => (
                  <marker
                    key={c}
                    id={`arrow-${c}`}
                    viewBox="0 0 10 10"
                    refX="9"
                    refY="5"
                    markerUnits="userSpaceOnUse"
                    markerWidth="14"
                    markerHeight="14"
                    orient="auto-start-reverse"
                  >
                    <path d="M0 0L10 5L0 10z" fill={`var(--${c})`} />
                  </marker>
                ))}
              </defs>
              {edges.map((e) => {
                const a = byName.get(e.client)!;
                const b = byName.get(e.server)!;
                const color = errorColor(e.errorRate, e.rate);
                const d = edgePath(a, b);
                return (
                  // Hover shows details that the edge's <title> also carries for keyboard and screen readers.
                  // biome-ignore lint/a11y/noStaticElementInteractions: see above
                  <g
                    key={`${e.client}->${e.server}`}
                    class="sm-edge"
                    data-testid="service-edge"
                    data-edge={`${e.client}->${e.server}`}
                    onMouseMove={(ev) => setHover({ edge: e, x: ev.offsetX, y: ev.offsetY })}
                    onMouseLeave={() => setHover(undefined)}
                  >
                    <title>
                      {e.client} → {e.server}: {formatValue(e.rate, 'reqps')}
                    </title>
                    <path d={d} class="sm-edge-hit" />
                    <path
                      d={d}
                      fill="none"
                      stroke={color}
                      stroke-width={edgeWidth(e.rate, maxRate)}
                      stroke-opacity="0.75"
                      marker-end={`url(#arrow-${color.slice(6, -1)})`}
                    />
                  </g>
                );
              })}
              {nodes.map((n) => (
                <a
                  key={n.name}
                  class="sm-node"
                  href={overviewHref(n.name)}
                  onClick={linkHandler(overviewHref(n.name))}
                  data-testid="service-node"
                  data-service={n.name}
                >
                  <g transform={`translate(${n.x} ${n.y})`}>
                    <title>Open the Service overview of {n.name}</title>
                    <circle r="26" fill="var(--surface)" stroke={colorFor(n.name)} stroke-width="3" />
                    {n.inRate > 0 && (
                      <circle
                        r="26"
                        fill="none"
                        stroke={errorColor(n.errorRate, n.inRate)}
                        stroke-width="3"
                        stroke-dasharray={`${Math.max(2, (n.errorRate / n.inRate) * 163)} 163`}
                        transform="rotate(-90)"
                      />
                    )}
                    <text y="4" text-anchor="middle" class="sm-rate">
                      {n.inRate > 0 ? `${formatValue(n.inRate, 'short')}/s` : ''}
                    </text>
                    <text y="44" text-anchor="middle" class="sm-name">
                      {n.name}
                    </text>
                  </g>
                </a>
              ))}
            </svg>
            {hover && (
              <div
                class="chart-tooltip sm-tooltip"
                style={{ left: `${hover.x + 14}px`, top: `${hover.y + 14}px` }}
                data-testid="edge-tooltip"
              >
                <div class="tt-time">
                  {hover.edge.client} → {hover.edge.server}
                </div>
                <div class="tt-row">
                  <span class="tt-name">Requests</span>
                  <span class="tt-val">{formatValue(hover.edge.rate, 'reqps')}</span>
                </div>
                <div class="tt-row">
                  <span class="tt-name">Errors</span>
                  <span class="tt-val">
                    {formatValue(hover.edge.errorRate, 'reqps')} (
                    {formatValue(hover.edge.rate ? hover.edge.errorRate / hover.edge.rate : 0, 'percentunit')}
                    )
                  </span>
                </div>
                <div class="tt-row">
                  <span class="tt-name">p95 latency</span>
                  <span class="tt-val">
                    {Number.isFinite(hover.edge.p95) ? formatValue(hover.edge.p95, 's') : 'n/a'}
                  </span>
                </div>
              </div>
            )}
            <div class="sm-legend muted">
              Edge width: request rate · colour: error ratio (
              <span style={{ color: 'var(--ok)' }}>&lt;1%</span>,{' '}
              <span style={{ color: 'var(--warn)' }}>&lt;5%</span>,{' '}
              <span style={{ color: 'var(--err)' }}>≥5%</span>) · click a service for its overview
            </div>
          </div>
        )}
      </div>
    </div>
  );
}

function overviewHref(service: string): string {
  return `/dashboards/service-overview?var-service=${encodeURIComponent(service)}`;
}

/** A curve from node a to node b that stops at b's circle (so the arrow head shows). */
function edgePath(a: NodePos, b: NodePos): string {
  if (a.name === b.name)
    return `M ${a.x - 10} ${a.y - 24} C ${a.x - 40} ${a.y - 90}, ${a.x + 40} ${a.y - 90}, ${a.x + 10} ${a.y - 24}`;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  const sx = a.x + (dx / len) * 28;
  const sy = a.y + (dy / len) * 28;
  const ex = b.x - (dx / len) * 30;
  const ey = b.y - (dy / len) * 30;
  // Bend backwards edges (right to left) so a pair of opposite calls does not overlap.
  const bend = dx < 0 ? 60 : 0;
  const mx = (sx + ex) / 2 + (dy / len) * bend;
  const my = (sy + ey) / 2 - (dx / len) * bend;
  return `M ${sx} ${sy} Q ${mx} ${my} ${ex} ${ey}`;
}
