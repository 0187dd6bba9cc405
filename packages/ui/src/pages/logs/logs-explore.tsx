/**
 * Explore / logs: a LogQL editor, a log-volume histogram by level, the lines colour-coded by
 * level and expandable to their labels, structured metadata and parsed fields (click one to
 * filter by it), live tail over the tail WebSocket, and trace ids that link to the trace.
 */

import type { CompletionSource } from '@codemirror/autocomplete';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ExploreTabs } from '../../components/explore-tabs.tsx';
import { EmptyState, ErrorBox, Spinner } from '../../components/feedback.tsx';
import { HistoryButton } from '../../components/history-button.tsx';
import { Icon } from '../../components/icons.tsx';
import { Link } from '../../components/link.tsx';
import { QueryEditor, useEditorText } from '../../components/query-editor.tsx';
import { RefreshPicker, TimeRangePicker, useTimeRangeParam } from '../../components/time-picker.tsx';
import { type ChartSeries, TimeSeriesChart } from '../../components/time-series-chart.tsx';
import { addHistory } from '../../lib/history.ts';
import {
  LEVEL_COLORS,
  type LogEntry,
  type LogLevel,
  levelOf,
  logLabels,
  logLabelValues,
  queryLogMetric,
  queryLogs,
  traceIdOf,
} from '../../lib/loki.ts';
import { type TailStatus, tailLogs } from '../../lib/loki-tail.ts';
import { setParams, useLocation } from '../../lib/router.ts';
import { useSettings } from '../../lib/settings.ts';
import { useShortcut } from '../../lib/shortcuts.ts';
import { autoStep, formatTime, resolveRange } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';
import { addPipelineFilter, addStreamMatcher } from './filters.ts';

/** Lines kept while live tailing (oldest dropped), so a long tail never grows the page. */
const LIVE_MAX_LINES = 2000;

const LEVEL_ORDER: LogLevel[] = ['critical', 'error', 'warn', 'info', 'debug', 'trace', 'unknown'];

export default function LogsExplore() {
  const loc = useLocation();
  const params = loc.params;
  const query = params.get('q') ?? '';
  const live = params.get('live') === '1';
  const limit = Math.min(5000, Math.max(1, Number(params.get('limit')) || 1000));
  const [range, setRange] = useTimeRangeParam('now-1h');
  const editor = useEditorText(query);
  const [runCount, setRunCount] = useState(0);
  const focusEditor = useRef<(() => void) | null>(null);
  const draftRef = useRef(editor.text);
  draftRef.current = editor.text;

  const { replace } = editor;
  useEffect(() => replace(query), [query, replace]);

  const run = useCallback(() => {
    const q = draftRef.current.trim();
    addHistory('logql', q);
    if (q === query) setRunCount((n) => n + 1);
    else setParams({ q });
  }, [query]);
  const refresh = useCallback(() => setRunCount((n) => n + 1), []);
  useShortcut('/', 'Focus the query editor', () => focusEditor.current?.());
  useShortcut('l', 'Live tail on/off', () => setParams({ live: live ? undefined : '1' }));

  const complete = useMemo<CompletionSource>(() => {
    const r = () => resolveRange({ from: 'now-6h', to: 'now' });
    // The editor's chunk is loaded by the time it asks for completions; importing it here
    // lazily keeps it out of this page's chunk.
    const source = import('../../editor/codemirror.ts').then((m) =>
      m.selectorCompletion({
        names: () => logLabels(r().start, r().end),
        values: (name) => logLabelValues(name, r().start, r().end),
      }),
    );
    return async (ctx) => (await source)(ctx);
  }, []);

  const result = useAsync(
    async (signal) => {
      if (!query) return undefined;
      const r = resolveRange(range);
      const step = autoStep(r.end - r.start, 120, 1000);
      const [lines, volume] = await Promise.all([
        queryLogs(query, r.start, r.end, { limit, signal }),
        // The volume is best effort: a failing volume query must not hide the lines.
        queryLogMetric(
          `sum by (detected_level, level) (count_over_time(${query} [${step / 1000}s]))`,
          r.start,
          r.end,
          step,
          signal,
        ).catch(() => []),
      ]);
      return { ...lines, volume, range: r };
    },
    [query, range.from, range.to, limit, runCount],
  );

  // Live tail: starts once the query has run without error (a bad query is refused before the
  // WebSocket upgrade, which the browser cannot report; the normal run shows the server's reason).
  const [liveLines, setLiveLines] = useState<LogEntry[]>([]);
  const [tailStatus, setTailStatus] = useState<{ status: TailStatus; message?: string }>();
  const canTail = live && !!query && !!result.data && !result.error;
  useEffect(() => {
    setLiveLines([]);
    if (!canTail) {
      setTailStatus(undefined);
      return;
    }
    return tailLogs({
      query,
      start: Date.now(),
      limit: 0,
      onEntries: (entries) =>
        setLiveLines((cur) => {
          entries.sort((a, b) => cmpNs(b.tsNs, a.tsNs));
          const next = [...entries, ...cur];
          return next.length > LIVE_MAX_LINES ? next.slice(0, LIVE_MAX_LINES) : next;
        }),
      onStatus: (status, message) => setTailStatus({ status, message }),
    });
  }, [canTail, query]);

  const entries = useMemo(
    () => (live ? [...liveLines, ...(result.data?.entries ?? [])] : (result.data?.entries ?? [])),
    [live, liveLines, result.data],
  );

  const addFilter = useCallback(
    (kind: 'stream' | 'field', name: string, value: string) => {
      const q =
        kind === 'stream' ? addStreamMatcher(query, name, value) : addPipelineFilter(query, name, value);
      setParams({ q });
    },
    [query],
  );

  return (
    <div class="page">
      <header class="page-header">
        <h1>Explore</h1>
        <ExploreTabs current="logs" params={params} />
        <div class="toolbar">
          <button
            type="button"
            class={`btn${live ? ' active' : ''}`}
            onClick={() => setParams({ live: live ? undefined : '1' })}
            title="Stream new lines as they arrive (live tail)"
            data-testid="live-toggle"
          >
            <Icon name="bolt" size={14} />
            {live ? 'Live' : 'Live tail'}
            {live && tailStatus && <span class={`live-dot ${tailStatus.status}`} title={tailStatus.status} />}
          </button>
          <TimeRangePicker value={range} onChange={setRange} />
          <RefreshPicker onRefresh={refresh} loading={result.loading} />
        </div>
      </header>
      <div class="page-body">
        <div class="query-row">
          <QueryEditor
            language="logql"
            value={editor.text}
            revision={editor.revision}
            onChange={editor.edit}
            onRun={run}
            complete={complete}
            placeholder='Enter a LogQL query, e.g. {job="shop"} |= "error"   (Shift+Enter to run)'
            autoFocus={!query}
            focusRef={focusEditor}
          />
          <HistoryButton language="logql" onPick={replace} />
          <button type="button" class="btn primary" onClick={run} data-testid="run-query">
            <Icon name="play" size={14} />
            Run
          </button>
        </div>
        {tailStatus?.status === 'error' && (
          <ErrorBox
            title="Live tail stopped"
            error={tailStatus.message ?? 'the server ended the live tail'}
          />
        )}
        <div class="card">
          <div class="result-toolbar">
            <strong>Log volume</strong>
            <div class="result-stats" data-testid="result-stats">
              {result.loading && <Spinner label="Running" />}
              {!result.loading &&
                result.data &&
                `${entries.length.toLocaleString()} lines${live ? ` (${liveLines.length} live)` : ''} · ${Math.round(result.took ?? 0)} ms`}
            </div>
          </div>
          <div class="result-body">
            {result.error !== undefined && <ErrorBox title="The query failed" error={result.error} />}
            {!query && !result.error && (
              <EmptyState title="Run a query to see log lines">
                Start with a stream selector such as <code>{'{job="shop"}'}</code>, then filter:{' '}
                <code>{'{job="shop"} |= "timeout"'}</code> or{' '}
                <code>{'{job="shop"} | json | status >= 500'}</code>.
              </EmptyState>
            )}
            {result.data && !result.error && (
              <VolumeChart
                volume={result.data.volume}
                range={result.data.range}
                onZoom={(start, end) => setRange({ from: String(start), to: String(end) })}
              />
            )}
          </div>
        </div>
        {result.data && !result.error && (
          <div class="card">
            {entries.length === 0 ? (
              <EmptyState title="No log lines">The query matched no lines in this time range.</EmptyState>
            ) : (
              <LogLines entries={entries} onFilter={addFilter} />
            )}
          </div>
        )}
      </div>
    </div>
  );
}

function VolumeChart(props: {
  volume: { metric: Record<string, string>; times: number[]; values: number[] }[];
  range: { start: number; end: number };
  onZoom: (start: number, end: number) => void;
}) {
  const series = useMemo<ChartSeries[]>(() => {
    const byLevel = new Map<
      LogLevel,
      { metric: Record<string, string>; times: number[]; values: number[] }
    >();
    for (const s of props.volume) {
      const level = levelOf({ line: '', stream: s.metric, metadata: {}, parsed: {} });
      const cur = byLevel.get(level);
      if (!cur) byLevel.set(level, { metric: s.metric, times: [...s.times], values: [...s.values] });
      else {
        // Two label sets can map to one level (level="err" and detected_level="error").
        const at = new Map(cur.times.map((t, i) => [t, i]));
        s.times.forEach((t, i) => {
          const j = at.get(t);
          if (j === undefined) {
            cur.times.push(t);
            cur.values.push(s.values[i]);
          } else cur.values[j] += s.values[i];
        });
        const order = cur.times.map((_, i) => i).sort((a, b) => cur.times[a] - cur.times[b]);
        cur.times = order.map((i) => cur.times[i]);
        cur.values = order.map((i) => cur.values[i]);
      }
    }
    return LEVEL_ORDER.filter((l) => byLevel.has(l)).map((l) => ({
      name: l,
      times: byLevel.get(l)!.times,
      values: byLevel.get(l)!.values,
      color: LEVEL_COLORS[l],
    }));
  }, [props.volume]);
  if (series.length === 0) return null;
  return (
    <div data-testid="log-volume">
      <TimeSeriesChart
        series={series}
        kind="bars"
        stacked
        height={110}
        range={props.range}
        onZoom={props.onZoom}
      />
    </div>
  );
}

function LogLines(props: {
  entries: readonly LogEntry[];
  onFilter: (kind: 'stream' | 'field', name: string, value: string) => void;
}) {
  const { utc } = useSettings();
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  // Render in pages so 5000 lines do not stall the first paint.
  const [shown, setShown] = useState(500);
  const visible = props.entries.slice(0, shown);
  return (
    <div class="log-lines" data-testid="log-lines">
      {visible.map((e) => {
        const level = levelOf(e);
        const traceId = traceIdOf(e);
        const expanded = open.has(e.key);
        return (
          <div key={e.key} class={`log-line lvl-${level}${expanded ? ' open' : ''}`} data-testid="log-line">
            <button
              type="button"
              class="log-row"
              onClick={() =>
                setOpen((s) => {
                  const n = new Set(s);
                  if (n.has(e.key)) n.delete(e.key);
                  else n.add(e.key);
                  return n;
                })
              }
              aria-expanded={expanded}
            >
              <span class="log-level" style={{ background: LEVEL_COLORS[level] }} title={level} />
              <span class="log-time mono">{formatTime(e.time, utc, { millis: true })}</span>
              <span class="log-text mono">{e.line}</span>
            </button>
            {traceId && (
              <Link
                href={`/explore/traces?trace=${traceId}`}
                class="log-trace"
                title="Open this trace"
                data-testid="trace-link"
              >
                <Icon name="traces" size={13} /> {traceId.slice(0, 8)}
              </Link>
            )}
            {expanded && <LogDetails entry={e} onFilter={props.onFilter} />}
          </div>
        );
      })}
      {props.entries.length > shown && (
        <div class="log-more">
          <button type="button" class="btn small" onClick={() => setShown((n) => n + 1000)}>
            Show more ({(props.entries.length - shown).toLocaleString()} hidden)
          </button>
        </div>
      )}
    </div>
  );
}

function LogDetails(props: {
  entry: LogEntry;
  onFilter: (kind: 'stream' | 'field', name: string, value: string) => void;
}) {
  const groups: [string, Record<string, string>, 'stream' | 'field'][] = [
    ['Labels', props.entry.stream, 'stream'],
    ['Structured metadata', props.entry.metadata, 'field'],
    ['Parsed fields', props.entry.parsed, 'field'],
  ];
  return (
    <div class="log-details" data-testid="log-details">
      <table class="kv-table">
        <tbody>
          {groups.flatMap(([title, fields, kind]) => {
            const keys = Object.keys(fields).sort();
            if (keys.length === 0) return [];
            return [
              <tr key={title} class="kv-group">
                <th colSpan={2}>{title}</th>
              </tr>,
              ...keys.map((k) => (
                <tr key={`${title}:${k}`}>
                  <td class="mono kv-key">{k}</td>
                  <td class="mono">
                    <button
                      type="button"
                      class="kv-value"
                      title={`Filter by ${k}="${fields[k]}"`}
                      data-testid="filter-field"
                      onClick={() => props.onFilter(kind, k, fields[k])}
                    >
                      {fields[k]}
                    </button>
                  </td>
                </tr>
              )),
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Compares nanosecond timestamps given as decimal strings. */
function cmpNs(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
