/**
 * Dashboard panels: each loads its own data (so panels render as their queries finish) and, in
 * live mode, receives new points over the shared live connection and merges them in instead of
 * re-running its queries. A failing query shows the server's message inside the panel.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { EmptyState, ErrorBox, Spinner } from '../../components/feedback.tsx';
import { Icon } from '../../components/icons.tsx';
import { Link } from '../../components/link.tsx';
import { type ChartSeries, TimeSeriesChart } from '../../components/time-series-chart.tsx';
import type { Panel } from '../../lib/dashboards.ts';
import { colorFor, formatLegend, formatSeriesName, formatValue, seriesColor } from '../../lib/format.ts';
import type { LiveClient } from '../../lib/live.ts';
import { mergeLive } from '../../lib/live-merge.ts';
import { LEVEL_COLORS, levelOf, queryLogs, traceIdOf } from '../../lib/loki.ts';
import { queryRange, type RangeSeries } from '../../lib/prom.ts';
import { useSettings } from '../../lib/settings.ts';
import { searchTraces } from '../../lib/tempo.ts';
import { autoStep, formatTime, type TimeRange } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';
import { formatMs } from '../traces/trace-model.ts';
import { bucketsToHeatmap, reduceSeries, thresholdColor } from './panel-data.ts';
import { type BuiltIns, interpolate } from './variables.ts';

/** Pixel height of one grid row, gap included (styles.css: 20px rows, 10px gaps). */
export const ROW_PX = 30;
const METRIC_TYPES = new Set(['timeseries', 'stat', 'gauge', 'bargauge', 'table', 'heatmap']);

export interface PanelContext {
  readonly range: TimeRange;
  /** Variable values as written into queries. */
  readonly vars: Readonly<Record<string, string>>;
  /** Bumped by refresh (manual or automatic). */
  readonly refresh: number;
  /** Set in live mode. */
  readonly live: LiveClient | undefined;
  /**
   * Bumped every few seconds in live mode: logs and trace panels have no streamed form, so they
   * re-run over the window ending now.
   */
  readonly liveTick: number;
}

/** The panel's window: in live mode it ends now (same width), otherwise the dashboard's range. */
function currentRange(ctx: PanelContext): TimeRange {
  if (!ctx.live) return ctx.range;
  const now = Date.now();
  return { start: now - (ctx.range.end - ctx.range.start), end: now };
}

/** Named series of one query, with the legend template applied. */
interface QuerySeries {
  readonly legend?: string;
  readonly series: RangeSeries[];
}

export function PanelView(props: {
  panel: Panel;
  ctx: PanelContext;
  onEdit?: () => void;
  onRemove?: () => void;
}) {
  const { panel } = props;
  return (
    <section
      class="panel"
      style={{ gridColumn: `span ${panel.width}`, gridRow: `span ${panel.height}` }}
      data-testid="panel"
      data-panel-type={panel.type}
    >
      <header class="panel-header">
        <h3 title={panel.description}>{panel.title || <span class="muted">(untitled)</span>}</h3>
        {props.onEdit && (
          <button
            type="button"
            class="icon-button"
            onClick={props.onEdit}
            aria-label="Edit panel"
            data-testid="edit-panel"
          >
            <Icon name="edit" size={14} />
          </button>
        )}
        {props.onRemove && (
          <button type="button" class="icon-button" onClick={props.onRemove} aria-label="Remove panel">
            <Icon name="trash" size={14} />
          </button>
        )}
      </header>
      <div class="panel-body">
        {METRIC_TYPES.has(panel.type) && <MetricPanel panel={panel} ctx={props.ctx} />}
        {panel.type === 'logs' && <LogsPanel panel={panel} ctx={props.ctx} />}
        {panel.type === 'traces' && <TracesPanel panel={panel} ctx={props.ctx} />}
        {panel.type === 'text' && <TextPanel content={panel.content ?? ''} />}
      </div>
    </section>
  );
}

function builtins(panel: Panel, range: TimeRange): BuiltIns {
  const px = Math.max(200, ((window.innerWidth - 240) * panel.width) / 24);
  return {
    step: autoStep(range.end - range.start, Math.round(px / 3), 1000),
    range: range.end - range.start,
  };
}

function MetricPanel(props: { panel: Panel; ctx: PanelContext }) {
  const { panel, ctx } = props;
  const b = builtins(panel, ctx.range);
  const exprs = panel.queries.map((q) => interpolate(q.expr, ctx.vars, b));
  const key = exprs.join('\u0000');
  const result = useAsync(
    (signal) =>
      Promise.all(
        exprs.map(async (expr, i) => ({
          legend: panel.queries[i].legend,
          series: (await queryRange(expr, ctx.range.start, ctx.range.end, b.step, signal)).series,
        })),
      ),
    [key, ctx.range.start, ctx.range.end, ctx.refresh],
  );

  // Live mode: the loaded result plus points streamed since.
  const [liveData, setLiveData] = useState<{ data: QuerySeries[]; end: number } | undefined>();
  useEffect(() => {
    setLiveData(undefined);
    const client = ctx.live;
    const base = result.data;
    if (!client || !base) return;
    const width = ctx.range.end - ctx.range.start;
    let current = base;
    const unsubs = exprs.map((expr, i) => {
      const since = Math.max(ctx.range.start, ...base[i].series.map((s) => s.times[s.times.length - 1] ?? 0));
      return client.subscribe(
        expr,
        b.step,
        since,
        (incoming) => {
          const now = Date.now();
          current = current.map((q, j) =>
            j === i ? { legend: q.legend, series: mergeLive(q.series, incoming, now - width) } : q,
          );
          setLiveData({ data: current, end: now });
        },
        () => {
          // A live error leaves the last data in place; the next full refresh shows the reason.
        },
      );
    });
    return () => {
      for (const u of unsubs) u();
    };
  }, [ctx.live, result.data]);

  if (result.error !== undefined) return <ErrorBox compact error={result.error} />;
  const data = liveData?.data ?? result.data;
  if (!data) return <Spinner />;
  const range = liveData
    ? { start: liveData.end - (ctx.range.end - ctx.range.start), end: liveData.end }
    : ctx.range;
  const total = data.reduce((n, q) => n + q.series.length, 0);
  if (total === 0) return <EmptyState title="No data" />;
  const height = panel.height * ROW_PX - 46;
  // What the panel holds, for tests and the benchmark: points, and the newest point's time.
  const points = data.reduce((n, q) => n + q.series.reduce((m, s) => m + s.times.length, 0), 0);
  const newest = Math.max(...data.flatMap((q) => q.series.map((s) => s.times[s.times.length - 1] ?? 0)));
  const first = data.find((q) => q.series.length)?.series[0];
  return (
    <div
      class="panel-content"
      data-testid="panel-data"
      data-points={points}
      data-newest={newest}
      data-last-value={first?.values[first.values.length - 1]}
      data-series={total}
    >
      <MetricBody panel={panel} data={data} range={range} height={height} step={b.step} />
    </div>
  );
}

function MetricBody(props: {
  panel: Panel;
  data: QuerySeries[];
  range: TimeRange;
  height: number;
  step: number;
}) {
  const { panel, data, range, height } = props;
  switch (panel.type) {
    case 'timeseries':
      return <TimeseriesBody panel={panel} data={data} range={range} height={height} />;
    case 'stat':
      return <StatBody panel={panel} data={data} />;
    case 'gauge':
      return <GaugeBody panel={panel} data={data} />;
    case 'bargauge':
      return <BarGaugeBody panel={panel} data={data} />;
    case 'table':
      return <TableBody panel={panel} data={data} />;
    case 'heatmap':
      return <HeatmapBody data={data} range={range} height={height} step={props.step} />;
    default:
      return null;
  }
}

function named(data: readonly QuerySeries[]): { name: string; s: RangeSeries }[] {
  return data.flatMap((q) =>
    q.series.map((s) => ({ name: formatLegend(s.metric, q.legend) || formatSeriesName(s.metric), s })),
  );
}

function TimeseriesBody(props: { panel: Panel; data: QuerySeries[]; range: TimeRange; height: number }) {
  const series = useMemo<ChartSeries[]>(
    () => named(props.data).map(({ name, s }) => ({ name, times: s.times, values: s.values })),
    [props.data],
  );
  // The legend takes room below the plot; more series, more lines of legend.
  const legendRows = Math.min(3, Math.ceil(series.length / 4));
  return (
    <TimeSeriesChart
      series={series}
      height={Math.max(60, props.height - 8 - legendRows * 22)}
      range={props.range}
      unit={props.panel.unit}
      stacked={props.panel.stacked}
      fillOpacity={0.08}
    />
  );
}

function StatBody(props: { panel: Panel; data: QuerySeries[] }) {
  const items = named(props.data).slice(0, 6);
  return (
    <div class="stat-panel">
      {items.map(({ name, s }) => {
        const v = reduceSeries(s.values, props.panel.reduce);
        return (
          <div class="stat-item" key={name}>
            <div
              class="stat-value"
              style={{ color: thresholdColor(v, props.panel.thresholds) }}
              data-testid="stat-value"
            >
              {formatValue(v, props.panel.unit)}
            </div>
            {items.length > 1 && <div class="stat-name">{name}</div>}
            <Sparkline
              values={s.values}
              color={thresholdColor(v, props.panel.thresholds) ?? seriesColor(0)}
            />
          </div>
        );
      })}
    </div>
  );
}

function Sparkline(props: { values: readonly number[]; color: string }) {
  const finite = props.values.filter(Number.isFinite);
  if (finite.length < 2) return null;
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min || 1;
  const n = props.values.length;
  const pts = props.values
    .map((v, i) =>
      Number.isFinite(v)
        ? `${((i / (n - 1)) * 100).toFixed(2)},${(28 - ((v - min) / span) * 26).toFixed(2)}`
        : '',
    )
    .filter(Boolean)
    .join(' ');
  return (
    <svg class="sparkline" viewBox="0 0 100 30" preserveAspectRatio="none" aria-hidden="true">
      <polyline
        points={pts}
        fill="none"
        stroke={props.color}
        stroke-width="1.5"
        vector-effect="non-scaling-stroke"
      />
    </svg>
  );
}

function gaugeMax(panel: Panel, values: number[]): number {
  if (panel.max !== undefined) return panel.max;
  if (panel.unit === 'percentunit') return 1;
  if (panel.unit === 'percent') return 100;
  const top = Math.max(0, ...values.filter(Number.isFinite), ...(panel.thresholds ?? []).map((t) => t.value));
  return top > 0 ? top * 1.2 : 1;
}

function GaugeBody(props: { panel: Panel; data: QuerySeries[] }) {
  const items = named(props.data).slice(0, 4);
  const values = items.map(({ s }) => reduceSeries(s.values, props.panel.reduce));
  const min = props.panel.min ?? 0;
  const max = gaugeMax(props.panel, values);
  return (
    <div class="stat-panel">
      {items.map(({ name }, i) => {
        const v = values[i];
        const frac = Number.isFinite(v) ? Math.min(1, Math.max(0, (v - min) / (max - min || 1))) : 0;
        const color = thresholdColor(v, props.panel.thresholds) ?? seriesColor(0);
        // A 240° arc from -210° to 30°.
        const arc = (f: number) => {
          const a = ((-210 + 240 * f) * Math.PI) / 180;
          return `${50 + 40 * Math.cos(a)} ${55 + 40 * Math.sin(a)}`;
        };
        return (
          <div class="stat-item" key={name}>
            <svg
              viewBox="0 0 100 80"
              class="gauge"
              aria-label={`${name}: ${formatValue(v, props.panel.unit)}`}
            >
              <path
                d={`M ${arc(0)} A 40 40 0 1 1 ${arc(1)}`}
                fill="none"
                stroke="var(--surface-3)"
                stroke-width="9"
              />
              {frac > 0 && (
                <path
                  d={`M ${arc(0)} A 40 40 0 ${frac > 0.75 ? 1 : 0} 1 ${arc(frac)}`}
                  fill="none"
                  stroke={color}
                  stroke-width="9"
                />
              )}
              <text x="50" y="58" text-anchor="middle" class="gauge-text" data-testid="stat-value">
                {formatValue(v, props.panel.unit)}
              </text>
            </svg>
            {items.length > 1 && <div class="stat-name">{name}</div>}
          </div>
        );
      })}
    </div>
  );
}

function BarGaugeBody(props: { panel: Panel; data: QuerySeries[] }) {
  const items = named(props.data);
  const values = items.map(({ s }) => reduceSeries(s.values, props.panel.reduce));
  const max = gaugeMax(props.panel, values);
  return (
    <div class="bargauge">
      {items.map(({ name }, i) => {
        const v = values[i];
        const frac = Number.isFinite(v) ? Math.min(1, Math.max(0, v / (max || 1))) : 0;
        return (
          <div class="bg-row" key={name}>
            <div class="bg-name" title={name}>
              {name}
            </div>
            <div class="bg-track">
              <div
                class="bg-bar"
                style={{
                  width: `${frac * 100}%`,
                  background: thresholdColor(v, props.panel.thresholds) ?? seriesColor(i),
                }}
              />
            </div>
            <div class="bg-value">{formatValue(v, props.panel.unit)}</div>
          </div>
        );
      })}
    </div>
  );
}

function TableBody(props: { panel: Panel; data: QuerySeries[] }) {
  const rows = named(props.data);
  return (
    <div class="table-wrap panel-scroll">
      <table class="data">
        <thead>
          <tr>
            <th>Series</th>
            <th class="num">Value</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ name, s }) => (
            <tr key={name}>
              <td class="series-name">{name}</td>
              <td class="num">{formatValue(reduceSeries(s.values, props.panel.reduce), props.panel.unit)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function HeatmapBody(props: { data: QuerySeries[]; range: TimeRange; height: number; step: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { theme, utc } = useSettings();
  const heat = useMemo(() => bucketsToHeatmap(props.data.flatMap((q) => q.series)), [props.data]);
  useEffect(() => {
    const c = canvas.current;
    if (!c || heat.times.length === 0) return;
    const width = c.parentElement?.clientWidth ?? 400;
    const dpr = window.devicePixelRatio || 1;
    const h = Math.max(40, props.height - 24);
    c.width = Math.round(width * dpr);
    c.height = Math.round(h * dpr);
    c.style.width = `${width}px`;
    c.style.height = `${h}px`;
    const ctx = c.getContext('2d')!;
    ctx.scale(dpr, dpr);
    ctx.clearRect(0, 0, width, h);
    const left = 48;
    const plotW = width - left;
    const rows = heat.bounds.length;
    const rowH = h / rows;
    const span = Math.max(1, props.range.end - props.range.start);
    const colW = Math.max(
      1,
      (plotW * (heat.times[1] !== undefined ? heat.times[1] - heat.times[0] : span)) / span,
    );
    const css = getComputedStyle(document.documentElement);
    ctx.fillStyle = css.getPropertyValue('--muted').trim();
    ctx.font = `10px ${css.getPropertyValue('--font').trim()}`;
    ctx.textBaseline = 'middle';
    heat.bounds.forEach((b, r) => {
      if (rows > 12 && r % Math.ceil(rows / 12) !== 0) return;
      ctx.fillText(b === '+Inf' ? '+Inf' : formatValue(Number(b), 's'), 0, h - (r + 0.5) * rowH);
    });
    for (let r = 0; r < rows; r++) {
      for (let col = 0; col < heat.times.length; col++) {
        const v = heat.cells[r][col];
        if (v <= 0) continue;
        const x = left + ((heat.times[col] - props.range.start) / span) * plotW - colW;
        const a = Math.sqrt(v / (heat.max || 1));
        ctx.fillStyle = `rgba(240, 120, 40, ${(0.12 + 0.88 * a).toFixed(3)})`;
        ctx.fillRect(x, h - (r + 1) * rowH + 0.5, colW > 3 ? colW - 0.5 : colW, rowH - 1);
      }
    }
  }, [heat, props.range.start, props.range.end, props.height, props.step, theme]);
  if (heat.times.length === 0)
    return (
      <EmptyState title="No histogram buckets">
        A heatmap needs bucket series with an <code>le</code> label, e.g.{' '}
        <code>sum by (le) (rate(x_bucket[5m]))</code>.
      </EmptyState>
    );
  return (
    <div class="heatmap" data-testid="heatmap">
      <canvas ref={canvas} />
      <div class="heatmap-axis muted">
        <span>{formatTime(props.range.start, utc)}</span>
        <span>{formatTime(props.range.end, utc)}</span>
      </div>
    </div>
  );
}

function LogsPanel(props: { panel: Panel; ctx: PanelContext }) {
  const { panel, ctx } = props;
  const { utc } = useSettings();
  const query = interpolate(panel.query ?? '', ctx.vars, builtins(panel, ctx.range));
  const result = useAsync(
    (signal) => {
      const r = currentRange(ctx);
      return queryLogs(query, r.start, r.end, { limit: panel.limit ?? 100, signal });
    },
    [query, ctx.range.start, ctx.range.end, ctx.refresh, ctx.liveTick],
  );
  if (result.error !== undefined) return <ErrorBox compact error={result.error} />;
  if (!result.data) return <Spinner />;
  if (result.data.entries.length === 0) return <EmptyState title="No log lines" />;
  return (
    <div class="log-lines panel-scroll">
      {result.data.entries.map((e) => {
        const trace = traceIdOf(e);
        return (
          <div key={e.key} class={`log-line lvl-${levelOf(e)}`} data-testid="panel-log-line">
            <div class="log-row">
              <span class="log-level" style={{ background: LEVEL_COLORS[levelOf(e)] }} />
              <span class="log-time mono">{formatTime(e.time, utc, { millis: true })}</span>
              <span class="log-text mono">{e.line}</span>
            </div>
            {trace && (
              <Link href={`/explore/traces?trace=${trace}`} class="log-trace" title="Open this trace">
                <Icon name="traces" size={13} /> {trace.slice(0, 8)}
              </Link>
            )}
          </div>
        );
      })}
    </div>
  );
}

function TracesPanel(props: { panel: Panel; ctx: PanelContext }) {
  const { panel, ctx } = props;
  const { utc } = useSettings();
  const query = interpolate(panel.query ?? '{}', ctx.vars, builtins(panel, ctx.range));
  const result = useAsync(
    (signal) => {
      const r = currentRange(ctx);
      return searchTraces(query, r.start, r.end, panel.limit ?? 20, signal);
    },
    [query, ctx.range.start, ctx.range.end, ctx.refresh, ctx.liveTick],
  );
  if (result.error !== undefined) return <ErrorBox compact error={result.error} />;
  if (!result.data) return <Spinner />;
  if (result.data.traces.length === 0) return <EmptyState title="No traces" />;
  return (
    <div class="table-wrap panel-scroll">
      <table class="data">
        <tbody>
          {result.data.traces.map((t) => (
            <tr key={t.traceID} data-testid="panel-trace">
              <td>
                <Link href={`/explore/traces?trace=${t.traceID}`}>{t.rootTraceName || t.traceID}</Link>
              </td>
              <td>
                <span class="svc-dot" style={{ background: colorFor(t.rootServiceName) }} />
                {t.rootServiceName}
              </td>
              <td class="nowrap muted">{formatTime(Number(t.startTimeUnixNano.slice(0, -6) || 0), utc)}</td>
              <td class="num">{formatMs(t.durationMs ?? 0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function TextPanel(props: { content: string }) {
  return (
    <div class="text-panel panel-scroll">
      {props.content.split(/\n{2,}/).map((p, i) => (
        <p key={i}>{p}</p>
      ))}
    </div>
  );
}
