/**
 * Explore / metrics: a PromQL editor (highlighting, completion, inline errors), a time range and
 * step, results as a graph (legend toggles, tooltip, stacked, units) or a table (instant query),
 * and query history. Everything that defines the view is in the URL.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ExploreTabs } from '../../components/explore-tabs.tsx';
import { EmptyState, ErrorBox, QueryNotesView, Spinner } from '../../components/feedback.tsx';
import { HistoryButton } from '../../components/history-button.tsx';
import { Icon } from '../../components/icons.tsx';
import { QueryEditor, useEditorText } from '../../components/query-editor.tsx';
import { RefreshPicker, TimeRangePicker, useTimeRangeParam } from '../../components/time-picker.tsx';
import { type ChartSeries, TimeSeriesChart } from '../../components/time-series-chart.tsx';
import { formatSeriesName, UNITS } from '../../lib/format.ts';
import { addHistory } from '../../lib/history.ts';
import { formatQuery, queryInstant, queryRange } from '../../lib/prom.ts';
import { setParams, useLocation } from '../../lib/router.ts';
import { useShortcut } from '../../lib/shortcuts.ts';
import { autoStep, formatDuration, parseDuration, resolveRange } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';
import { InstantTable } from './instant-table.tsx';

/** Series drawn at most; more make the graph unreadable and slow. */
const MAX_GRAPH_SERIES = 500;

export default function MetricsExplore() {
  const loc = useLocation();
  const params = loc.params;
  const query = params.get('q') ?? '';
  const mode = params.get('mode') === 'table' ? 'table' : 'graph';
  const stacked = params.get('stacked') === '1';
  const unit = params.get('unit') ?? 'short';
  const stepText = params.get('step') ?? '';
  const [range, setRange] = useTimeRangeParam('now-1h');
  const editor = useEditorText(query);
  const draft = editor.text;
  const [runCount, setRunCount] = useState(0);
  const focusEditor = useRef<(() => void) | null>(null);

  // Back/forward and shared links change the URL's query: show it in the editor.
  const { replace } = editor;
  useEffect(() => replace(query), [query, replace]);

  const run = useCallback(() => {
    const q = draftRef.current.trim();
    addHistory('promql', q);
    if (q === query) setRunCount((n) => n + 1);
    else setParams({ q });
  }, [query]);
  const draftRef = useRef(draft);
  draftRef.current = draft;
  const refresh = useCallback(() => setRunCount((n) => n + 1), []);

  useShortcut('/', 'Focus the query editor', () => focusEditor.current?.());

  const stepMs = stepText ? parseDuration(stepText) : undefined;
  const result = useAsync(
    async (signal) => {
      if (!query) return undefined;
      const r = resolveRange(range);
      if (mode === 'table')
        return { kind: 'table' as const, ...(await queryInstant(query, r.end, signal)), range: r };
      if (stepText && !stepMs) throw new Error(`the step "${stepText}" is not a duration; use e.g. 15s, 1m`);
      const step = stepMs ?? autoStepFor(r.end - r.start);
      const res = await queryRange(query, r.start, r.end, step, signal);
      return { kind: 'graph' as const, ...res, range: r, step };
    },
    [query, range.from, range.to, mode, stepText, runCount],
  );

  const data = result.data;
  return (
    <div class="page">
      <header class="page-header">
        <h1>Explore</h1>
        <ExploreTabs current="metrics" params={params} />
        <div class="toolbar">
          <TimeRangePicker value={range} onChange={setRange} />
          <RefreshPicker onRefresh={refresh} loading={result.loading} />
        </div>
      </header>
      <div class="page-body">
        <div class="query-row">
          <QueryEditor
            language="promql"
            value={draft}
            revision={editor.revision}
            onChange={editor.edit}
            onRun={run}
            placeholder="Enter a PromQL query, e.g. rate(http_requests_total[5m])   (Shift+Enter to run)"
            autoFocus={!query}
            focusRef={focusEditor}
          />
          <HistoryButton language="promql" onPick={replace} />
          <button
            type="button"
            class="btn"
            title="Format the query (server-side, like Prometheus)"
            onClick={() =>
              draft.trim() &&
              formatQuery(draft).then(replace, () => {
                // A query that does not parse cannot be formatted; the editor already marks the error.
              })
            }
          >
            Format
          </button>
          <button type="button" class="btn primary" onClick={run} data-testid="run-query">
            <Icon name="play" size={14} />
            Run
          </button>
        </div>

        <div class="card">
          <div class="result-toolbar">
            <div class="segmented" role="tablist">
              <button
                type="button"
                class={mode === 'graph' ? 'on' : ''}
                onClick={() => setParams({ mode: undefined })}
                role="tab"
                aria-selected={mode === 'graph'}
              >
                Graph
              </button>
              <button
                type="button"
                class={mode === 'table' ? 'on' : ''}
                onClick={() => setParams({ mode: 'table' })}
                role="tab"
                aria-selected={mode === 'table'}
                data-testid="mode-table"
              >
                Table
              </button>
            </div>
            {mode === 'graph' && (
              <>
                <div class="row" title="Resolution step; empty chooses one from the range">
                  <span class="muted">Step</span>
                  <StepInput
                    value={stepText}
                    auto={data?.kind === 'graph' && !stepText ? data.step : undefined}
                  />
                </div>
                <label class="row">
                  <span class="muted">Unit</span>
                  <select
                    class="select"
                    value={unit}
                    onChange={(e) =>
                      setParams({
                        unit: e.currentTarget.value === 'short' ? undefined : e.currentTarget.value,
                      })
                    }
                  >
                    {UNITS.map((u) => (
                      <option key={u.id} value={u.id}>
                        {u.label}
                      </option>
                    ))}
                  </select>
                </label>
                <label class="checkbox">
                  <input
                    type="checkbox"
                    checked={stacked}
                    onChange={(e) => setParams({ stacked: e.currentTarget.checked ? '1' : undefined })}
                  />
                  Stacked
                </label>
              </>
            )}
            <div class="result-stats" data-testid="result-stats">
              {result.loading && <Spinner label="Running" />}
              {!result.loading && data && describeResult(data, result.took)}
            </div>
          </div>
          <div class="result-body">
            {result.error !== undefined && <ErrorBox title="The query failed" error={result.error} />}
            {data && <QueryNotesView warnings={data.notes.warnings} infos={data.notes.infos} />}
            {!query && !result.error && (
              <EmptyState title="Run a query to see results">
                Type PromQL above; names, labels and values complete as you type. Try <code>up</code> or{' '}
                <code>rate(vigil_ingest_samples_total[5m])</code>.
              </EmptyState>
            )}
            {data?.kind === 'graph' && !result.error && (
              <GraphResult
                series={data.series}
                range={data.range}
                stacked={stacked}
                unit={unit}
                onZoom={(start, end) => setRange({ from: String(start), to: String(end) })}
              />
            )}
            {data?.kind === 'table' && !result.error && <InstantTable result={data.result} />}
          </div>
        </div>
      </div>
    </div>
  );
}

function GraphResult(props: {
  series: { metric: Record<string, string>; times: number[]; values: number[] }[];
  range: { start: number; end: number };
  stacked: boolean;
  unit: string;
  onZoom: (start: number, end: number) => void;
}) {
  const chartSeries = useMemo<ChartSeries[]>(
    () =>
      props.series.slice(0, MAX_GRAPH_SERIES).map((s) => ({
        name: formatSeriesName(s.metric),
        times: s.times,
        values: s.values,
      })),
    [props.series],
  );
  if (props.series.length === 0) {
    return <EmptyState title="No data">The query matched no series in this time range.</EmptyState>;
  }
  return (
    <>
      {props.series.length > MAX_GRAPH_SERIES && (
        <div class="note warning">
          Showing the first {MAX_GRAPH_SERIES} of {props.series.length} series. Aggregate the query (e.g.{' '}
          <code>sum by (job)</code>) to see them all.
        </div>
      )}
      <TimeSeriesChart
        series={chartSeries}
        height={360}
        range={props.range}
        stacked={props.stacked}
        unit={props.unit}
        onZoom={props.onZoom}
      />
    </>
  );
}

function StepInput(props: { value: string; auto: number | undefined }) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  const invalid = text.trim() !== '' && parseDuration(text) === undefined;
  return (
    <input
      class={`input mono${invalid ? ' invalid' : ''}`}
      style={{ width: '76px' }}
      value={text}
      placeholder={props.auto ? formatDuration(props.auto) : 'auto'}
      onInput={(e) => setText(e.currentTarget.value)}
      onBlur={() => !invalid && setParams({ step: text.trim() || undefined })}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && !invalid) setParams({ step: text.trim() || undefined });
      }}
      aria-label="Step"
      name="step"
    />
  );
}

/** Step for a range: about one point per 2.5 pixels of the graph's likely width. */
function autoStepFor(rangeMs: number): number {
  const width = Math.max(400, Math.min(window.innerWidth - 260, 2000));
  return autoStep(rangeMs, Math.round(width / 2.5));
}

function describeResult(
  data:
    | { kind: 'graph'; series: { times: number[] }[]; step: number }
    | { kind: 'table'; result: { resultType: string; result?: unknown } },
  took: number | undefined,
): string {
  const ms = took !== undefined ? ` · ${Math.round(took)} ms` : '';
  if (data.kind === 'graph') {
    const points = data.series.reduce((n, s) => n + s.times.length, 0);
    return `${data.series.length} series · ${points.toLocaleString()} points · step ${formatDuration(data.step)}${ms}`;
  }
  const r = data.result;
  if (r.resultType === 'vector' || r.resultType === 'matrix') {
    return `${(r.result as unknown[]).length} series${ms}`;
  }
  return `${r.resultType}${ms}`;
}
