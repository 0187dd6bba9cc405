/**
 * The time-range picker (quick relative ranges, or typed from/to in relative or absolute form),
 * the refresh button with auto-refresh, and the URL-backed state they edit.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { setParams, useLocation } from '../lib/router.ts';
import { useSettings } from '../lib/settings.ts';
import { useShortcut } from '../lib/shortcuts.ts';
import {
  describeRange,
  formatTime,
  parseDuration,
  parseTimeExpr,
  QUICK_RANGES,
  type RawTimeRange,
  resolveRange,
} from '../lib/time.ts';
import { Icon } from './icons.tsx';
import { Popover } from './popover.tsx';

/** The range in the URL (`from`, `to`), with a default; and a setter that writes it back. */
export function useTimeRangeParam(defaultFrom = 'now-1h'): [RawTimeRange, (r: RawTimeRange) => void] {
  const loc = useLocation();
  const raw = { from: loc.params.get('from') || defaultFrom, to: loc.params.get('to') || 'now' };
  const set = useCallback(
    (r: RawTimeRange) =>
      setParams({ from: r.from === defaultFrom ? undefined : r.from, to: r.to === 'now' ? undefined : r.to }),
    [defaultFrom],
  );
  return [raw, set];
}

/** Shows the range and lets the user choose a quick range or type both ends. */
export function TimeRangePicker(props: { value: RawTimeRange; onChange: (r: RawTimeRange) => void }) {
  const { utc } = useSettings();
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState(props.value.from);
  const [to, setTo] = useState(props.value.to);
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!open) return;
    setFrom(absoluteForEdit(props.value.from, utc));
    setTo(absoluteForEdit(props.value.to, utc));
    setError(undefined);
  }, [open, props.value.from, props.value.to, utc]);

  const close = useCallback(() => setOpen(false), []);
  const apply = (e?: Event) => {
    e?.preventDefault();
    const next = { from: fromEdit(from, utc), to: fromEdit(to, utc) };
    try {
      resolveRange(next);
    } catch (err) {
      setError((err as Error).message);
      return;
    }
    props.onChange(next);
    setOpen(false);
  };

  // Shift the window back or forward by half its width, like Grafana's ctrl+← / →.
  const shift = (direction: -1 | 1) => {
    try {
      const r = resolveRange(props.value);
      const d = Math.round(((r.end - r.start) / 2) * direction);
      props.onChange({ from: String(r.start + d), to: String(r.end + d) });
    } catch {
      // An unreadable range cannot be shifted; the picker shows why when opened.
    }
  };
  const zoomOut = () => {
    try {
      const r = resolveRange(props.value);
      const span = r.end - r.start;
      const relative = props.value.to === 'now';
      if (relative) props.onChange({ from: `now-${formatSpan(span * 2)}`, to: 'now' });
      else props.onChange({ from: String(r.start - span / 2), to: String(r.end + span / 2) });
    } catch {
      // As above.
    }
  };
  useShortcut('[', 'Move the time range back', () => shift(-1));
  useShortcut(']', 'Move the time range forward', () => shift(1));
  useShortcut('z', 'Zoom out (double the time range)', zoomOut);

  return (
    <Popover
      open={open}
      onClose={close}
      trigger={
        <button
          type="button"
          class="btn"
          onClick={() => setOpen(!open)}
          data-testid="time-range"
          title="Time range"
          aria-expanded={open}
        >
          <Icon name="clock" size={16} />
          {describeRange(props.value, utc)}
          {utc && <span class="badge">UTC</span>}
        </button>
      }
    >
      <div class="time-picker">
        <form class="custom" onSubmit={apply}>
          <label class="field">
            <span>From</span>
            <input
              class={`input mono${error ? ' invalid' : ''}`}
              value={from}
              onInput={(e) => setFrom(e.currentTarget.value)}
              name="from"
            />
          </label>
          <label class="field">
            <span>To</span>
            <input
              class={`input mono${error ? ' invalid' : ''}`}
              value={to}
              onInput={(e) => setTo(e.currentTarget.value)}
              name="to"
            />
          </label>
          {error && <div class="error-box compact">{error}</div>}
          <div class="hint">
            Relative: <code>now-6h</code>, <code>now</code>. Absolute: <code>2024-05-01 12:00</code> (
            {utc ? 'UTC' : 'local time'}).
          </div>
          <div>
            <button type="submit" class="btn primary small">
              Apply range
            </button>
          </div>
        </form>
        <div class="quick">
          {QUICK_RANGES.map((q) => (
            <button
              type="button"
              key={q.from}
              class={`menu-item${props.value.from === q.from && props.value.to === 'now' ? ' on' : ''}`}
              onClick={() => {
                props.onChange({ from: q.from, to: 'now' });
                setOpen(false);
              }}
            >
              {q.label}
            </button>
          ))}
        </div>
      </div>
    </Popover>
  );
}

function formatSpan(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

/** Epoch-ms ends are shown as dates for editing; relative ones stay as typed. */
function absoluteForEdit(value: string, utc: boolean): string {
  if (/^\d{10,}$/.test(value)) return formatTime(Number(value), utc);
  return value;
}

/** A typed date is read in the zone the user sees (UTC or local) and stored as epoch ms. */
function fromEdit(value: string, utc: boolean): string {
  const v = value.trim();
  if (v.startsWith('now')) return v.replace(/\s+/g, '');
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    let iso = v.replace(' ', 'T');
    if (iso.length === 10) iso += 'T00:00';
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(iso);
    const t = parseTimeExpr(hasZone || !utc ? iso : `${iso}Z`, Date.now());
    return t === undefined ? v : String(t);
  }
  return v;
}

const REFRESH_CHOICES = ['off', '5s', '10s', '30s', '1m', '5m', '15m'];

/** A re-run button with an auto-refresh interval (kept in the URL as `refresh`). */
export function RefreshPicker(props: { onRefresh: () => void; loading?: boolean }) {
  const loc = useLocation();
  const interval = loc.params.get('refresh') ?? 'off';
  const [open, setOpen] = useState(false);
  const { onRefresh } = props;
  useEffect(() => {
    const ms = parseDuration(interval);
    if (!ms) return;
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') onRefresh();
    }, ms);
    return () => clearInterval(id);
  }, [interval, onRefresh]);
  useShortcut('r', 'Refresh / run again', () => onRefresh());
  const close = useCallback(() => setOpen(false), []);
  return (
    <div class="row" style={{ gap: 0 }}>
      <button
        type="button"
        class="btn"
        onClick={onRefresh}
        title="Refresh (r)"
        style={{ borderTopRightRadius: 0, borderBottomRightRadius: 0 }}
        data-testid="refresh"
      >
        <Icon name="refresh" size={16} class={props.loading ? 'spinning' : undefined} />
      </button>
      <Popover
        open={open}
        onClose={close}
        trigger={
          <button
            type="button"
            class="btn"
            onClick={() => setOpen(!open)}
            style={{ borderTopLeftRadius: 0, borderBottomLeftRadius: 0, marginLeft: -1 }}
            title="Auto-refresh"
          >
            {interval === 'off' ? '' : interval}
            <Icon name="down" size={14} />
          </button>
        }
      >
        {REFRESH_CHOICES.map((c) => (
          <button
            type="button"
            key={c}
            class={`menu-item${c === interval ? ' on' : ''}`}
            onClick={() => {
              setParams({ refresh: c === 'off' ? undefined : c }, { replace: true });
              setOpen(false);
            }}
          >
            {c === 'off' ? 'Auto-refresh off' : `Every ${c}`}
          </button>
        ))}
      </Popover>
    </div>
  );
}
