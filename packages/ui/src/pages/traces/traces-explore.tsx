/**
 * Explore / traces: TraceQL search (editor plus a builder for service, span name, duration and
 * status), a results table, and a trace view: the waterfall (spans on a time axis, collapsible
 * tree, critical path highlighted, errors marked), span details, and the trace's or span's logs.
 * `?trace=<id>` opens a trace; `&span=<id>` selects a span.
 */
import type { CompletionSource } from '@codemirror/autocomplete';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ExploreTabs } from '../../components/explore-tabs.tsx';
import { EmptyState, ErrorBox, Spinner } from '../../components/feedback.tsx';
import { HistoryButton } from '../../components/history-button.tsx';
import { Icon } from '../../components/icons.tsx';
import { QueryEditor, useEditorText } from '../../components/query-editor.tsx';
import { RefreshPicker, TimeRangePicker, useTimeRangeParam } from '../../components/time-picker.tsx';
import { colorFor } from '../../lib/format.ts';
import { addHistory } from '../../lib/history.ts';
import { setParams, useLocation } from '../../lib/router.ts';
import { useSettings } from '../../lib/settings.ts';
import { useShortcut } from '../../lib/shortcuts.ts';
import { searchTraces, type TraceHit, tagNames, tagValues } from '../../lib/tempo.ts';
import { formatTime, resolveRange } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';
import { buildTraceQL, formatMs, type SearchForm } from './trace-model.ts';
import { TraceView } from './trace-view.tsx';

export default function TracesExplore() {
  const loc = useLocation();
  const params = loc.params;
  const traceId = params.get('trace') ?? '';
  const [refresh, setRefresh] = useState(0);
  const onRefresh = useCallback(() => setRefresh((n) => n + 1), []);
  return (
    <div class="page">
      <header class="page-header">
        <h1>Explore</h1>
        <ExploreTabs current="traces" params={params} />
        {traceId && (
          <button
            type="button"
            class="btn"
            onClick={() => setParams({ trace: undefined, span: undefined })}
            data-testid="back-to-search"
          >
            <Icon name="search" size={14} /> Search
          </button>
        )}
        {!traceId && <SearchToolbar onRefresh={onRefresh} />}
      </header>
      <div class="page-body">
        {traceId ? <TraceView traceId={traceId} /> : <TraceSearch refresh={refresh} />}
      </div>
    </div>
  );
}

function SearchToolbar(props: { onRefresh: () => void }) {
  const [range, setRange] = useTimeRangeParam('now-1h');
  return (
    <div class="toolbar">
      <TimeRangePicker value={range} onChange={setRange} />
      <RefreshPicker onRefresh={props.onRefresh} />
    </div>
  );
}

const EMPTY_FORM: SearchForm = { service: '', name: '', minDuration: '', maxDuration: '', status: '' };

function TraceSearch(props: { refresh: number }) {
  const loc = useLocation();
  const query = loc.params.get('q') ?? '';
  const limit = Math.min(1000, Math.max(1, Number(loc.params.get('limit')) || 50));
  const [range] = useTimeRangeParam('now-1h');
  const editor = useEditorText(query);
  const draftRef = useRef(editor.text);
  draftRef.current = editor.text;
  const focusEditor = useRef<(() => void) | null>(null);
  const [runCount, setRunCount] = useState(0);
  const [form, setForm] = useState<SearchForm>(EMPTY_FORM);
  const { replace } = editor;
  useEffect(() => replace(query), [query, replace]);

  const run = useCallback(() => {
    const q = draftRef.current.trim() || '{}';
    addHistory('traceql', q);
    if (q === query) setRunCount((n) => n + 1);
    else setParams({ q });
  }, [query]);
  useShortcut('/', 'Focus the query editor', () => focusEditor.current?.());

  const complete = useMemo<CompletionSource>(() => {
    const source = import('../../editor/codemirror.ts').then((m) =>
      m.selectorCompletion({
        names: () => tagNames(),
        values: (name) => tagValues(name),
        namePattern: /[\w.]*/,
      }),
    );
    return async (ctx) => (await source)(ctx);
  }, []);

  const services = useAsync((signal) => tagValues('resource.service.name', signal), []);
  const names = useAsync((signal) => tagValues('name', signal), []);

  const result = useAsync(
    async (signal) => {
      if (!query) return undefined;
      const r = resolveRange(range);
      return searchTraces(query, r.start, r.end, limit, signal);
    },
    [query, range.from, range.to, limit, runCount, props.refresh],
  );

  const applyForm = (f: SearchForm) => {
    setForm(f);
    const q = buildTraceQL(f);
    replace(q);
    setParams({ q });
  };

  return (
    <>
      <div class="query-row">
        <QueryEditor
          language="traceql"
          value={editor.text}
          revision={editor.revision}
          onChange={editor.edit}
          onRun={run}
          complete={complete}
          placeholder='Enter a TraceQL query, e.g. { resource.service.name = "shop" && status = error }'
          autoFocus={!query}
          focusRef={focusEditor}
        />
        <HistoryButton language="traceql" onPick={replace} />
        <button type="button" class="btn primary" onClick={run} data-testid="run-query">
          <Icon name="play" size={14} />
          Run
        </button>
      </div>
      <form
        class="trace-builder"
        onSubmit={(e) => {
          e.preventDefault();
          applyForm(form);
        }}
      >
        <label class="field">
          <span>Service</span>
          <select
            class="select"
            value={form.service}
            name="service"
            onChange={(e) => applyForm({ ...form, service: e.currentTarget.value })}
          >
            <option value="">Any service</option>
            {(services.data ?? []).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Span name</span>
          <input
            class="input"
            list="span-names"
            name="span-name"
            value={form.name}
            placeholder="Any"
            onInput={(e) => setForm({ ...form, name: e.currentTarget.value })}
          />
          <datalist id="span-names">
            {(names.data ?? []).slice(0, 500).map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        </label>
        <label class="field">
          <span>Duration ≥</span>
          <input
            class="input mono"
            name="min-duration"
            style={{ width: '84px' }}
            value={form.minDuration}
            placeholder="100ms"
            onInput={(e) => setForm({ ...form, minDuration: e.currentTarget.value })}
          />
        </label>
        <label class="field">
          <span>Duration ≤</span>
          <input
            class="input mono"
            name="max-duration"
            style={{ width: '84px' }}
            value={form.maxDuration}
            placeholder="5s"
            onInput={(e) => setForm({ ...form, maxDuration: e.currentTarget.value })}
          />
        </label>
        <label class="field">
          <span>Status</span>
          <select
            class="select"
            name="status"
            value={form.status}
            onChange={(e) => applyForm({ ...form, status: e.currentTarget.value as SearchForm['status'] })}
          >
            <option value="">Any</option>
            <option value="error">Error</option>
            <option value="ok">OK</option>
            <option value="unset">Unset</option>
          </select>
        </label>
        <button type="submit" class="btn" data-testid="builder-search">
          <Icon name="search" size={14} /> Search
        </button>
      </form>
      <div class="card">
        <div class="result-toolbar">
          <strong>Traces</strong>
          <div class="result-stats" data-testid="result-stats">
            {result.loading && <Spinner label="Searching" />}
            {!result.loading &&
              result.data &&
              `${result.data.traces.length} trace${result.data.traces.length === 1 ? '' : 's'}${result.data.traces.length === limit ? ' (limit reached)' : ''} · ${Math.round(result.took ?? 0)} ms`}
          </div>
        </div>
        <div class="result-body">
          {result.error !== undefined && <ErrorBox title="The search failed" error={result.error} />}
          {!query && !result.error && (
            <EmptyState title="Search for traces">
              Pick a service or status above, or write TraceQL: <code>{'{ status = error }'}</code>,{' '}
              <code>{'{ duration > 500ms }'}</code>, <code>{'{ span.http.route = "/api/orders" }'}</code>.
            </EmptyState>
          )}
          {result.data && !result.error && <TraceTable traces={result.data.traces} />}
        </div>
      </div>
    </>
  );
}

function TraceTable(props: { traces: readonly TraceHit[] }) {
  const { utc } = useSettings();
  if (props.traces.length === 0)
    return <EmptyState title="No traces">No trace in this time range matches the query.</EmptyState>;
  const maxDuration = Math.max(1, ...props.traces.map((t) => t.durationMs ?? 0));
  return (
    <div class="table-wrap">
      <table class="data" data-testid="trace-results">
        <thead>
          <tr>
            <th>Trace</th>
            <th>Service</th>
            <th>Start</th>
            <th class="num">Spans</th>
            <th class="num">Duration</th>
            <th style={{ width: '22%' }} />
          </tr>
        </thead>
        <tbody>
          {props.traces.map((t) => {
            const spans = Object.values(t.serviceStats ?? {}).reduce((n, s) => n + s.spanCount, 0);
            const errors = Object.values(t.serviceStats ?? {}).reduce((n, s) => n + (s.errorCount ?? 0), 0);
            const ms = t.durationMs ?? 0;
            return (
              <tr
                key={t.traceID}
                class="clickable"
                data-testid="trace-result"
                onClick={() => setParams({ trace: t.traceID })}
              >
                <td>
                  <div class="trace-title">
                    {errors > 0 && (
                      <span class="badge err">
                        {errors} error{errors > 1 ? 's' : ''}
                      </span>
                    )}
                    {t.rootTraceName || <span class="muted">(root span not received)</span>}
                  </div>
                  <div class="mono faint">{t.traceID}</div>
                </td>
                <td>
                  <span class="svc-dot" style={{ background: colorFor(t.rootServiceName) }} />
                  {t.rootServiceName}
                </td>
                <td class="nowrap">{formatTime(Number(t.startTimeUnixNano.slice(0, -6) || 0), utc)}</td>
                <td class="num">{spans || ''}</td>
                <td class="num">{formatMs(ms)}</td>
                <td>
                  <div class="duration-bar">
                    <div style={{ width: `${Math.max(1, (ms / maxDuration) * 100)}%` }} />
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
