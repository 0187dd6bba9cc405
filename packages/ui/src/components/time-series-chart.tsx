/**
 * A uPlot time-series chart with Vigil's legend (click toggles a series, Shift-click shows only
 * it), a hover tooltip with every series' value at the cursor, stacked or unstacked lines or
 * bars, value units, drag-to-zoom, and theme/time-zone awareness.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatValue, seriesColor } from '../lib/format.ts';
import { useSettings } from '../lib/settings.ts';
import { formatTime } from '../lib/time.ts';
import { type AlignedData, alignSeries, type ChartSeries, stackColumns } from './chart-data.ts';

export type { ChartSeries } from './chart-data.ts';

export interface TimeSeriesChartProps {
  readonly series: readonly ChartSeries[];
  /** Unit of the values (format.ts UNITS). */
  readonly unit?: string;
  readonly stacked?: boolean;
  /** Lines (default) or bars (e.g. log volume). */
  readonly kind?: 'line' | 'bars';
  readonly height: number;
  /** The x range to show (ms); by default the data's extent. */
  readonly range?: { readonly start: number; readonly end: number };
  /** Where the legend goes; 'none' hides it. */
  readonly legend?: 'bottom' | 'none';
  /** Called with the dragged-over range (ms). */
  readonly onZoom?: (start: number, end: number) => void;
  /** Fill under lines (0 = none, 1 = opaque). Stacked charts always fill. */
  readonly fillOpacity?: number;
}

const MAX_TOOLTIP_ROWS = 12;

export function TimeSeriesChart(props: TimeSeriesChartProps) {
  const { theme, utc } = useSettings();
  const wrap = useRef<HTMLDivElement>(null);
  const tooltip = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const propsRef = useRef(props);
  propsRef.current = props;

  const colors = useMemo(() => props.series.map((s, i) => s.color ?? seriesColor(i)), [props.series]);
  const aligned = useMemo(() => alignSeries(props.series), [props.series]);
  const alignedRef = useRef<AlignedData>(aligned);
  alignedRef.current = aligned;
  const visible = useMemo(() => props.series.map((s) => !hidden.has(s.name)), [props.series, hidden]);
  // The chart is rebuilt only when its structure changes; new data for the same series is set
  // in place (live mode appends points many times a minute).
  const structure = [
    props.series.map((s) => s.name).join('\u0000'),
    props.stacked,
    props.kind,
    props.unit,
    props.height,
    props.legend,
    theme,
    utc,
    colors.join(),
  ].join('|');

  const drawnData = (): uPlot.AlignedData => {
    const a = alignedRef.current;
    const ys = propsRef.current.stacked ? stackColumns(a.ys, visibleRef.current) : a.ys;
    return [a.xs, ...ys] as uPlot.AlignedData;
  };
  const visibleRef = useRef(visible);
  visibleRef.current = visible;
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const css = getComputedStyle(document.documentElement);
    const axis = css.getPropertyValue('--chart-axis').trim();
    const grid = css.getPropertyValue('--chart-grid').trim();
    const font = `11px ${css.getPropertyValue('--font').trim()}`;
    const p = propsRef.current;
    const unit = p.unit ?? 'short';
    const bars = p.kind === 'bars';
    const fillAlpha = p.stacked ? 0.55 : (p.fillOpacity ?? 0.06);
    const width = Math.max(el.clientWidth, 100);

    const seriesOpts: uPlot.Series[] = [
      {},
      ...p.series.map((s, i) => ({
        label: s.name,
        stroke: colors[i],
        width: bars ? 0 : 1.4,
        fill: bars ? colors[i] : fillAlpha > 0 ? withAlpha(colors[i], fillAlpha) : undefined,
        show: visibleRef.current[i],
        spanGaps: false,
        // Bars need no point markers (uPlot draws them on sparse data otherwise).
        points: bars ? { show: false } : { size: 5, width: 1 },
        paths: bars ? barsPath : undefined,
      })),
    ];
    const bands: uPlot.Band[] = [];
    if (p.stacked) {
      let prev = -1;
      p.series.forEach((_, i) => {
        if (!visibleRef.current[i]) return;
        if (prev >= 0) bands.push({ series: [i + 1, prev + 1] });
        prev = i;
      });
    }

    const opts: uPlot.Options = {
      width,
      height: p.height,
      legend: { show: false },
      padding: [8, 8, 0, 0],
      tzDate: utc ? (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') : undefined,
      cursor: {
        drag: { x: !!p.onZoom, y: false, setScale: false },
        points: { size: 7 },
        focus: { prox: 24 },
      },
      focus: { alpha: 0.35 },
      select: { show: !!p.onZoom, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: {
          time: true,
          range: (_u, min, max) => {
            const r = propsRef.current.range;
            return r ? [r.start / 1000, r.end / 1000] : [min, max];
          },
        },
        y: {
          range: (_u, min, max) => {
            if (min === null || max === null || !Number.isFinite(min)) return [0, 1];
            if (propsRef.current.stacked || bars) min = Math.min(0, min);
            if (min === max) return min === 0 ? [0, 1] : [Math.min(0, min * 0.9), max * 1.1];
            const pad = (max - min) * 0.06;
            return [min >= 0 && min - pad < 0 ? 0 : min - pad, max + pad];
          },
        },
      },
      bands,
      series: seriesOpts,
      axes: [
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1, size: 4 },
          font,
          space: 70,
          values: (_u, splits, _ai, _space, incr) => timeAxisLabels(splits, incr, utc),
        },
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          font,
          space: 28,
          values: (_u, splits) => splits.map((v) => formatValue(v, unit)),
          size: (u, values) => {
            if (!values?.length) return 40;
            u.ctx.font = font;
            const widest = Math.max(...values.map((v) => u.ctx.measureText(String(v)).width));
            return Math.ceil(widest / devicePixelRatio) + 18;
          },
        },
      ],
      hooks: {
        setCursor: [(u) => renderTooltip(u)],
        setSeries: [
          (_u, sidx, o) => {
            const f = (o as { focus?: boolean }).focus;
            if (f !== undefined) focused = f && sidx !== null ? sidx - 1 : -1;
          },
        ],
        setSelect: [
          (u) => {
            const sel = u.select;
            if (sel.width > 3 && propsRef.current.onZoom) {
              const a = u.posToVal(sel.left, 'x');
              const b = u.posToVal(sel.left + sel.width, 'x');
              propsRef.current.onZoom(Math.round(a * 1000), Math.round(b * 1000));
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
      },
    };

    // The series nearest the cursor (uPlot focuses it); its tooltip row is bold.
    let focused = -1;
    const renderTooltip = (u: uPlot) => {
      const tip = tooltip.current;
      if (!tip) return;
      const idx = u.cursor.idx;
      if (idx === null || idx === undefined || u.cursor.left === undefined || u.cursor.left < 0) {
        tip.style.display = 'none';
        return;
      }
      const a = alignedRef.current;
      const names = propsRef.current.series;
      const rows: { i: number; v: number }[] = [];
      for (let i = 0; i < a.ys.length; i++) {
        if (!visibleRef.current[i]) continue;
        const v = a.ys[i][idx];
        if (v !== null && v !== undefined) rows.push({ i, v });
      }
      if (rows.length === 0) {
        tip.style.display = 'none';
        return;
      }
      rows.sort((x, y) => y.v - x.v);
      const shown = rows.slice(0, MAX_TOOLTIP_ROWS);
      let html = `<div class="tt-time">${escapeHtml(formatTime(a.xs[idx] * 1000, utc))}</div>`;
      for (const r of shown) {
        html += `<div class="tt-row${r.i === focused ? ' near' : ''}"><span class="swatch" style="background:${colors[r.i]}"></span><span class="tt-name">${escapeHtml(names[r.i]?.name ?? '')}</span><span class="tt-val">${escapeHtml(formatValue(r.v, unit))}</span></div>`;
      }
      if (rows.length > shown.length)
        html += `<div class="tt-more">and ${rows.length - shown.length} more</div>`;
      tip.innerHTML = html;
      tip.style.display = 'block';
      const over = u.over.getBoundingClientRect();
      const host = el.getBoundingClientRect();
      const x = over.left - host.left + (u.cursor.left ?? 0);
      const y = over.top - host.top + (u.cursor.top ?? 0);
      const tw = tip.offsetWidth;
      const left = x + 16 + tw > host.width ? Math.max(0, x - 16 - tw) : x + 16;
      tip.style.left = `${left}px`;
      tip.style.top = `${Math.max(0, Math.min(y - 10, p.height - tip.offsetHeight))}px`;
    };

    const u = new uPlot(opts, drawnData(), el);
    plot.current = u;
    const onLeave = () => {
      if (tooltip.current) tooltip.current.style.display = 'none';
    };
    u.over.addEventListener('mouseleave', onLeave);
    const resize = new ResizeObserver(() => {
      const w = Math.max(el.clientWidth, 100);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: propsRef.current.height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.over.removeEventListener('mouseleave', onLeave);
      u.destroy();
      plot.current = null;
    };
  }, [structure]);

  // New data for the same series: update in place.
  useEffect(() => {
    plot.current?.setData(drawnData(), true);
  }, [aligned, props.range?.start, props.range?.end]);

  // Toggling series: stacked charts need new sums and bands, so those rebuild their data.
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    visible.forEach((show, i) => {
      if (u.series[i + 1] && u.series[i + 1].show !== show) u.setSeries(i + 1, { show });
    });
    if (props.stacked) {
      const bands: uPlot.Band[] = [];
      let prev = -1;
      visible.forEach((show, i) => {
        if (!show) return;
        if (prev >= 0) bands.push({ series: [i + 1, prev + 1] });
        prev = i;
      });
      u.delBand(null);
      for (const b of bands) u.addBand(b);
      u.setData(drawnData(), true);
    }
  }, [visible]);

  const toggle = (name: string, only: boolean) => {
    setHidden((prev) => {
      if (only) {
        const othersHidden = props.series.every((s) => s.name === name || prev.has(s.name));
        // Shift-click on the only visible series shows everything again.
        if (othersHidden && !prev.has(name)) return new Set();
        return new Set(props.series.filter((s) => s.name !== name).map((s) => s.name));
      }
      const next = new Set(prev);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });
  };

  return (
    <div class="chart" data-testid="chart">
      <div ref={wrap} style={{ height: `${props.height}px` }} />
      <div ref={tooltip} class="chart-tooltip" />
      {props.legend !== 'none' && props.series.length > 0 && (
        <div class="legend" data-testid="legend">
          {props.series.map((s, i) => (
            <button
              type="button"
              key={s.name}
              class={`legend-item${hidden.has(s.name) ? ' hidden' : ''}`}
              data-testid="legend-item"
              title={`${s.name}\nClick to hide or show; Shift-click to show only this series`}
              onClick={(e) => toggle(s.name, e.shiftKey)}
              onMouseEnter={() => plot.current?.setSeries(i + 1, { focus: true })}
              onMouseLeave={() => plot.current?.setSeries(null, { focus: false })}
            >
              <span class="swatch" style={{ background: colors[i] }} />
              <span class="legend-text">{s.name}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

const barsPath = uPlot.paths.bars?.({ size: [0.8, 40], gap: 1 });

/** `#rrggbb` or `hsl(...)` with an alpha. */
export function withAlpha(color: string, alpha: number): string {
  if (color.startsWith('#') && color.length === 7) {
    const a = Math.round(alpha * 255)
      .toString(16)
      .padStart(2, '0');
    return `${color}${a}`;
  }
  if (color.startsWith('hsl(')) return color.replace(')', ` / ${alpha})`);
  return color;
}

/**
 * Time-axis labels in 24-hour time: seconds when ticks are closer than a minute, the date where
 * the day changes (and on the first tick), dates only when ticks are a day or more apart.
 */
function timeAxisLabels(splits: number[], incrSeconds: number, utc: boolean): string[] {
  let lastDay = '';
  return splits.map((s) => {
    const full = formatTime(s * 1000, utc); // 'YYYY-MM-DD HH:MM:SS'
    const day = full.slice(5, 10);
    if (incrSeconds >= 86_400) return day;
    const clock = incrSeconds < 60 ? full.slice(11, 19) : full.slice(11, 16);
    const label = day !== lastDay ? `${clock}\n${day}` : clock;
    lastDay = day;
    return label;
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
