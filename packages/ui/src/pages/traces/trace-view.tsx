/**
 * One trace: a summary, the waterfall (collapsible span tree on a time axis; the critical path
 * highlighted, errors marked), the selected span's details, and the logs of the trace or span.
 */
import { useMemo, useState } from 'preact/hooks';
import { EmptyState, ErrorBox, Spinner } from '../../components/feedback.tsx';
import { Icon } from '../../components/icons.tsx';
import { Link } from '../../components/link.tsx';
import { colorFor } from '../../lib/format.ts';
import { LEVEL_COLORS, levelOf, traceLogs } from '../../lib/loki.ts';
import { setParams, useLocation } from '../../lib/router.ts';
import { useSettings } from '../../lib/settings.ts';
import { type AttrValue, getTrace, type Span } from '../../lib/tempo.ts';
import { formatTime } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';
import { buildTree, criticalPath, formatMs } from './trace-model.ts';

export function TraceView(props: { traceId: string }) {
  const loc = useLocation();
  const selected = loc.params.get('span') ?? '';
  const { utc } = useSettings();
  const trace = useAsync(
    async (signal) => {
      if (!/^[0-9a-fA-F]{1,32}$/.test(props.traceId))
        throw new Error(`"${props.traceId}" is not a trace id (up to 32 hex digits)`);
      return getTrace(props.traceId, signal);
    },
    [props.traceId],
  );
  const spans = trace.data ?? [];
  const model = useMemo(() => {
    if (spans.length === 0) return undefined;
    const start = Math.min(...spans.map((s) => s.startNs));
    const end = Math.max(...spans.map((s) => s.endNs));
    return { rows: buildTree(spans), critical: criticalPath(spans), start, end };
  }, [spans]);

  if (trace.error !== undefined) return <ErrorBox title="Cannot load the trace" error={trace.error} />;
  if (trace.loading && !trace.data) return <Spinner label="Loading the trace" />;
  if (!model) {
    return (
      <EmptyState title="Trace not found">
        No span of trace <code>{props.traceId}</code> has been received (or it is past retention).
      </EmptyState>
    );
  }
  const root = model.rows[0].span;
  const services = [...new Set(spans.map((s) => s.service))];
  const errors = spans.filter((s) => s.statusCode === 'error').length;
  const span = spans.find((s) => s.spanId === selected);
  return (
    <>
      <div class="card trace-summary" data-testid="trace-summary">
        <div class="trace-summary-title">
          <span class="svc-dot" style={{ background: colorFor(root.service) }} />
          <strong>{root.service}</strong>: {root.name}
        </div>
        <div class="trace-summary-stats">
          <span>
            <span class="muted">Duration</span> {formatMs((model.end - model.start) / 1e6)}
          </span>
          <span>
            <span class="muted">Started</span> {formatTime(model.start / 1e6, utc, { millis: true })}
          </span>
          <span>
            <span class="muted">Spans</span> {spans.length}
          </span>
          <span>
            <span class="muted">Services</span> {services.length}
          </span>
          {errors > 0 && <span class="badge err">{errors} with errors</span>}
          <span class="mono faint">{props.traceId}</span>
        </div>
      </div>
      <div class="card">
        <Waterfall model={model} selected={selected} />
      </div>
      {span && <SpanDetails span={span} traceStart={model.start} />}
      <TraceLogs traceId={props.traceId} span={span} />
    </>
  );
}

interface Model {
  rows: ReturnType<typeof buildTree>;
  critical: Set<string>;
  start: number;
  end: number;
}

function Waterfall(props: { model: Model; selected: string }) {
  const { rows, critical, start, end } = props.model;
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const total = Math.max(1, end - start);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const visible = rows.filter((r) => !r.ancestors.some((a) => collapsed.has(a)));
  return (
    <div class="waterfall" data-testid="waterfall">
      <div class="wf-header">
        <div class="wf-name">
          Span <span class="muted">({rows.length})</span>
          <span class="wf-legend">
            <span class="wf-legend-crit" /> critical path
          </span>
        </div>
        <div class="wf-axis">
          {ticks.map((t) => (
            <span key={t} style={{ left: `${t * 100}%` }}>
              {formatMs((total * t) / 1e6)}
            </span>
          ))}
        </div>
      </div>
      {visible.map((r) => {
        const s = r.span;
        const left = ((s.startNs - start) / total) * 100;
        const width = Math.max(0.2, ((s.endNs - s.startNs) / total) * 100);
        const isCollapsed = collapsed.has(s.spanId);
        const classes = [
          'wf-row',
          critical.has(s.spanId) ? 'critical' : '',
          s.statusCode === 'error' ? 'error' : '',
          props.selected === s.spanId ? 'selected' : '',
        ].join(' ');
        return (
          // The whole row is a mouse target; the span-name button inside is the keyboard one.
          // biome-ignore lint/a11y/noStaticElementInteractions: see above
          // biome-ignore lint/a11y/useKeyWithClickEvents: see above
          <div
            key={s.spanId}
            class={classes}
            data-testid="waterfall-row"
            data-span-id={s.spanId}
            onClick={() =>
              setParams({ span: props.selected === s.spanId ? undefined : s.spanId }, { replace: true })
            }
          >
            <div class="wf-name" style={{ paddingLeft: `${8 + r.depth * 14}px` }}>
              {r.descendants > 0 ? (
                <button
                  type="button"
                  class="wf-toggle"
                  aria-label={isCollapsed ? 'Expand' : 'Collapse'}
                  data-testid="wf-toggle"
                  onClick={(e) => {
                    e.stopPropagation();
                    setCollapsed((c) => {
                      const n = new Set(c);
                      if (n.has(s.spanId)) n.delete(s.spanId);
                      else n.add(s.spanId);
                      return n;
                    });
                  }}
                >
                  <Icon name={isCollapsed ? 'chevron' : 'down'} size={12} />
                </button>
              ) : (
                <span class="wf-toggle-gap" />
              )}
              <span class="svc-dot" style={{ background: colorFor(s.service) }} title={s.service} />
              <span class="wf-service">{s.service}</span>
              <button type="button" class="wf-span-name">
                {s.name}
              </button>
              {s.statusCode === 'error' && (
                <span class="wf-error" title={s.statusMessage || 'error'} data-testid="span-error">
                  !
                </span>
              )}
              {isCollapsed && <span class="badge">{r.descendants} hidden</span>}
            </div>
            <div class="wf-track">
              <div
                class="wf-bar"
                style={{ left: `${left}%`, width: `${width}%`, backgroundColor: colorFor(s.service) }}
              />
              <span
                class={`wf-dur${left + width > 85 ? ' inside' : ''}`}
                style={
                  left + width > 85
                    ? { right: `calc(${100 - left - width}% + 4px)` }
                    : { left: `calc(${left + width}% + 4px)` }
                }
              >
                {formatMs((s.endNs - s.startNs) / 1e6)}
              </span>
            </div>
          </div>
        );
      })}
    </div>
  );
}

function SpanDetails(props: { span: Span; traceStart: number }) {
  const s = props.span;
  const { utc } = useSettings();
  return (
    <div class="card span-details" data-testid="span-details">
      <div class="card-header">
        <strong>{s.name}</strong>
        <span class="muted">
          {s.service} · {s.kind} · {formatMs((s.endNs - s.startNs) / 1e6)} · starts at +
          {formatMs((s.startNs - props.traceStart) / 1e6)}
        </span>
        {s.statusCode === 'error' && (
          <span class="badge err">error{s.statusMessage ? `: ${s.statusMessage}` : ''}</span>
        )}
        <button
          type="button"
          class="icon-button"
          aria-label="Close"
          onClick={() => setParams({ span: undefined })}
        >
          <Icon name="close" size={14} />
        </button>
      </div>
      <div class="card-body span-details-body">
        <AttrTable title="Span attributes" attrs={{ 'span.id': s.spanId, ...s.attributes }} />
        <AttrTable title="Resource" attrs={s.resource} />
        {s.events.length > 0 && (
          <div>
            <div class="kv-title">Events</div>
            {s.events.map((e, i) => (
              <div key={`${e.name}${i}`} class="span-event">
                <span class="mono muted">+{formatMs((e.timeNs - s.startNs) / 1e6)}</span>{' '}
                <strong>{e.name}</strong>{' '}
                <span class="muted">{formatTime(e.timeNs / 1e6, utc, { millis: true })}</span>
                <AttrTable attrs={e.attributes} />
              </div>
            ))}
          </div>
        )}
        {s.links.length > 0 && (
          <div>
            <div class="kv-title">Links</div>
            {s.links.map((l) => (
              <div key={l.spanId}>
                <a
                  class="mono"
                  href={`/explore/traces?trace=${l.traceId}&span=${l.spanId}`}
                  onClick={(e) => {
                    e.preventDefault();
                    setParams({ trace: l.traceId, span: l.spanId });
                  }}
                >
                  {l.traceId} / {l.spanId}
                </a>
                <AttrTable attrs={l.attributes} />
              </div>
            ))}
          </div>
        )}
        <AttrTable
          title="Instrumentation scope"
          attrs={{ name: s.scope.name, version: s.scope.version ?? null }}
        />
      </div>
    </div>
  );
}

function AttrTable(props: { title?: string; attrs: Record<string, AttrValue> }) {
  const keys = Object.keys(props.attrs)
    .filter((k) => props.attrs[k] !== null && props.attrs[k] !== '')
    .sort();
  if (keys.length === 0) return null;
  return (
    <div>
      {props.title && <div class="kv-title">{props.title}</div>}
      <table class="kv-table">
        <tbody>
          {keys.map((k) => (
            <tr key={k}>
              <td class="mono kv-key">{k}</td>
              <td class="mono">{show(props.attrs[k])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function show(v: AttrValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function TraceLogs(props: { traceId: string; span: Span | undefined }) {
  const { utc } = useSettings();
  const logs = useAsync((signal) => traceLogs(props.traceId, signal), [props.traceId]);
  const [onlySpan, setOnlySpan] = useState(true);
  const all = logs.data ?? [];
  const spanId = props.span?.spanId;
  const shown = spanId && onlySpan ? all.filter((l) => l.metadata.span_id === spanId) : all;
  // A stream selector needs a label: the first line's first one, narrowed by the trace id.
  const first = all[0] ? Object.entries(all[0].stream)[0] : undefined;
  const logsHref = first
    ? `/explore/logs?q=${encodeURIComponent(`{${first[0]}=~".+"} | trace_id="${props.traceId}"`)}`
    : undefined;
  return (
    <div class="card" data-testid="trace-logs">
      <div class="card-header">
        <strong>Logs for this {spanId && onlySpan ? 'span' : 'trace'}</strong>
        <span class="muted">{shown.length} lines</span>
        {spanId && (
          <label class="checkbox">
            <input
              type="checkbox"
              checked={onlySpan}
              onChange={(e) => setOnlySpan(e.currentTarget.checked)}
            />
            Only the selected span
          </label>
        )}
        {logsHref && (
          <Link class="muted" href={logsHref}>
            Open in Explore / logs
          </Link>
        )}
      </div>
      {logs.error !== undefined && <ErrorBox compact error={logs.error} />}
      {!logs.error && shown.length === 0 && !logs.loading && (
        <div class="card-body muted">
          No log lines carry this {spanId && onlySpan ? 'span' : 'trace'} id. Logs sent with the trace context
          (the Vigil SDK and OpenTelemetry log bridges do this) appear here.
        </div>
      )}
      {shown.length > 0 && (
        <div class="log-lines">
          {shown.map((l) => (
            <div key={l.key} class={`log-line lvl-${levelOf(l)}`} data-testid="trace-log-line">
              <div class="log-row">
                <span class="log-level" style={{ background: LEVEL_COLORS[levelOf(l)] }} />
                <span class="log-time mono">{formatTime(l.time, utc, { millis: true })}</span>
                <span class="log-text mono">{l.line}</span>
              </div>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
