/**
 * One dashboard: template variables, time range, auto-refresh and live mode in the toolbar (all
 * in the URL), the panel grid, and editing (panels through a form, or the whole dashboard as
 * JSON) saved back through the dashboards API.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorBox, Spinner } from '../../components/feedback.tsx';
import { Icon } from '../../components/icons.tsx';
import { Link } from '../../components/link.tsx';
import { RefreshPicker, TimeRangePicker, useTimeRangeParam } from '../../components/time-picker.tsx';
import {
  type Dashboard,
  getDashboard,
  newPanel,
  type Panel,
  type StoredDashboard,
  saveDashboard,
  type Variable,
} from '../../lib/dashboards.ts';
import { LiveClient, type LiveStatus } from '../../lib/live.ts';
import { labelValues } from '../../lib/prom.ts';
import { setParams, useLocation } from '../../lib/router.ts';
import { useShortcut } from '../../lib/shortcuts.ts';
import { isRelative, resolveRange } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';
import { DashboardJsonEditor, PanelEditor } from './editors.tsx';
import { type PanelContext, PanelView } from './panels.tsx';
import { ALL, formatSelection, interpolate, parseVariableQuery } from './variables.ts';

/** How often logs and trace panels re-run in live mode. */
const LIVE_LIST_REFRESH_MS = 5000;

export function DashboardView(props: { id: string }) {
  const loc = useLocation();
  const [reload, setReload] = useState(0);
  const stored = useAsync((signal) => getDashboard(props.id, signal), [props.id, reload]);
  const [draft, setDraft] = useState<Dashboard | undefined>();
  const [saving, setSaving] = useState<unknown>();
  useEffect(() => setDraft(undefined), [stored.data]);

  if (stored.error !== undefined)
    return (
      <div class="page">
        <div class="page-body">
          <ErrorBox title={`Cannot load dashboard "${props.id}"`} error={stored.error} />
          <Link href="/dashboards">All dashboards</Link>
        </div>
      </div>
    );
  if (!stored.data) return <Spinner label="Loading the dashboard" />;
  const editing = loc.params.get('edit') === '1' && !stored.data.readOnly;
  const dashboard = draft ?? stored.data.dashboard;
  const save = async () => {
    if (!draft || !stored.data) return;
    try {
      await saveDashboard(props.id, draft, stored.data.source === 'file' ? stored.data.version : undefined);
      setSaving(undefined);
      setReload((n) => n + 1);
    } catch (err) {
      setSaving(err);
    }
  };
  return (
    <Board
      stored={stored.data}
      dashboard={dashboard}
      editing={editing}
      dirty={!!draft}
      onChange={setDraft}
      onSave={save}
      onDiscard={() => {
        setDraft(undefined);
        setSaving(undefined);
      }}
      saveError={saving}
    />
  );
}

function Board(props: {
  stored: StoredDashboard;
  dashboard: Dashboard;
  editing: boolean;
  dirty: boolean;
  onChange: (d: Dashboard) => void;
  onSave: () => void;
  onDiscard: () => void;
  saveError: unknown;
}) {
  const { dashboard: d } = props;
  const loc = useLocation();
  const [raw, setRange] = useTimeRangeParam(d.time.from);
  const live = loc.params.get('live') === '1';
  const [refresh, setRefresh] = useState(0);
  const [editPanel, setEditPanel] = useState<number | 'new' | undefined>();
  const [editJson, setEditJson] = useState(false);
  const doRefresh = useCallback(() => setRefresh((n) => n + 1), []);

  // The range is resolved once per refresh so every panel queries the same window.
  const range = useMemo(() => resolveRange(raw), [raw.from, raw.to, refresh]);

  // Default auto-refresh from the dashboard, unless the URL says otherwise (or live mode is on).
  useEffect(() => {
    if (d.refresh && !loc.params.has('refresh') && !live)
      setParams({ refresh: d.refresh }, { replace: true });
  }, [d.refresh]);

  const vars = useVariables(d.variables, range);
  useShortcut('e', 'Edit the dashboard / done', () => {
    if (!props.stored.readOnly) setParams({ edit: props.editing ? undefined : '1' });
  });
  useShortcut('l', 'Live mode on/off', () => {
    if (live || isRelative(raw))
      setParams({ live: live ? undefined : '1', refresh: live ? undefined : 'off' });
  });

  const [liveStatus, setLiveStatus] = useState<LiveStatus>('connecting');
  const [client, setClient] = useState<LiveClient | undefined>();
  useEffect(() => {
    if (!live) return;
    const c = new LiveClient(setLiveStatus);
    setClient(c);
    return () => {
      c.close();
      setClient(undefined);
    };
  }, [live]);

  // Logs and trace panels follow live mode by re-running every few seconds.
  const [liveTick, setLiveTick] = useState(0);
  useEffect(() => {
    if (!live) return;
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') setLiveTick((n) => n + 1);
    }, LIVE_LIST_REFRESH_MS);
    return () => clearInterval(id);
  }, [live]);

  const ctx: PanelContext = { range, vars: vars.values, refresh, live: live ? client : undefined, liveTick };
  const update = (panels: Panel[]) => props.onChange({ ...d, panels });

  return (
    <div class="page">
      <header class="page-header">
        <h1 class="dash-title">
          <Link href="/dashboards" class="muted">
            Dashboards
          </Link>{' '}
          / <span data-testid="dashboard-title">{d.title}</span>
        </h1>
        <div class="toolbar">
          {!props.stored.readOnly && (
            <button
              type="button"
              class={`btn${props.editing ? ' active' : ''}`}
              onClick={() => setParams({ edit: props.editing ? undefined : '1' })}
              data-testid="edit-toggle"
            >
              <Icon name="edit" size={14} /> {props.editing ? 'Done' : 'Edit'}
            </button>
          )}
          <button
            type="button"
            class={`btn${live ? ' active' : ''}`}
            onClick={() => setParams({ live: live ? undefined : '1', refresh: live ? undefined : 'off' })}
            title={
              isRelative(raw)
                ? 'Stream new points into the panels as they arrive'
                : 'Live mode follows the present; pick a relative range (e.g. last 1 hour)'
            }
            disabled={!isRelative(raw) && !live}
            data-testid="live-toggle"
          >
            <Icon name="bolt" size={14} /> Live
            {live && (
              <span class={`live-dot ${liveStatus}`} title={liveStatus} data-testid={`live-${liveStatus}`} />
            )}
          </button>
          <TimeRangePicker value={raw} onChange={setRange} />
          <RefreshPicker onRefresh={doRefresh} />
        </div>
      </header>
      <div class="page-body">
        {(d.variables.length > 0 || props.editing) && (
          <div class="var-bar">
            {d.variables.map((v) => (
              <VariablePicker
                key={v.name}
                variable={v}
                options={vars.options[v.name]}
                selected={vars.selected[v.name]}
              />
            ))}
            {vars.error !== undefined && <ErrorBox compact error={vars.error} />}
            {props.editing && (
              <div class="edit-actions">
                <button type="button" class="btn" onClick={() => setEditPanel('new')} data-testid="add-panel">
                  <Icon name="plus" size={14} /> Add panel
                </button>
                <button type="button" class="btn" onClick={() => setEditJson(true)} data-testid="edit-json">
                  Edit JSON
                </button>
                {props.dirty && (
                  <>
                    <button type="button" class="btn" onClick={props.onDiscard}>
                      Discard
                    </button>
                    <button
                      type="button"
                      class="btn primary"
                      onClick={props.onSave}
                      data-testid="save-dashboard"
                    >
                      <Icon name="save" size={14} /> Save
                    </button>
                  </>
                )}
              </div>
            )}
          </div>
        )}
        {props.saveError !== undefined && (
          <ErrorBox title="The dashboard was not saved" error={props.saveError} />
        )}
        {props.dirty && !props.editing && (
          <div class="note warning">Unsaved changes. Open Edit to save or discard them.</div>
        )}
        <div class="panel-grid" data-testid="panel-grid">
          {d.panels.map((p, i) => (
            <PanelView
              key={i}
              panel={p}
              ctx={ctx}
              onEdit={props.editing ? () => setEditPanel(i) : undefined}
              onRemove={props.editing ? () => update(d.panels.filter((_, j) => j !== i)) : undefined}
            />
          ))}
        </div>
        {d.panels.length === 0 && (
          <div class="empty-state">
            <div class="empty-title">This dashboard has no panels</div>
            <div class="empty-body">Click Edit, then Add panel.</div>
          </div>
        )}
      </div>
      {editPanel !== undefined && (
        <PanelEditor
          panel={editPanel === 'new' ? newPanel() : d.panels[editPanel]}
          onClose={() => setEditPanel(undefined)}
          onApply={(p) => {
            update(
              editPanel === 'new' ? [...d.panels, p] : d.panels.map((x, j) => (j === editPanel ? p : x)),
            );
            setEditPanel(undefined);
          }}
        />
      )}
      {editJson && (
        <DashboardJsonEditor
          dashboard={d}
          onClose={() => setEditJson(false)}
          onApply={(next) => {
            props.onChange(next);
            setEditJson(false);
          }}
        />
      )}
    </div>
  );
}

interface VariableState {
  /** What each variable expands to in queries. */
  values: Record<string, string>;
  options: Record<string, string[] | undefined>;
  selected: Record<string, string[]>;
  error: unknown;
}

/** Loads each variable's choices (in order, so a variable can use the ones before it). */
function useVariables(variables: readonly Variable[], range: { start: number; end: number }): VariableState {
  const loc = useLocation();
  const key = JSON.stringify(variables);
  const loaded = useAsync(
    async (signal) => {
      const options: Record<string, string[]> = {};
      const values: Record<string, string> = {};
      for (const v of variables) {
        const src = parseVariableQuery(v.query);
        const choices =
          src.kind === 'custom'
            ? [...src.values]
            : await labelValues(
                src.label,
                {
                  match: src.match
                    ? interpolate(src.match, values, { step: 60_000, range: range.end - range.start })
                    : undefined,
                  start: range.start,
                  end: range.end,
                },
                signal,
              );
        options[v.name] = choices;
        values[v.name] = formatSelection(selectionFor(v, choices, loc.params), v);
      }
      return options;
    },
    [key, variables.map((v) => loc.params.getAll(`var-${v.name}`).join('|')).join('\u0000')],
  );
  const options = loaded.data ?? {};
  const values: Record<string, string> = {};
  const selected: Record<string, string[]> = {};
  for (const v of variables) {
    const sel = selectionFor(v, options[v.name] ?? [], loc.params);
    selected[v.name] = sel;
    values[v.name] = formatSelection(sel, v);
  }
  return { values, options, selected, error: loaded.error };
}

function selectionFor(v: Variable, choices: readonly string[], params: URLSearchParams): string[] {
  const fromUrl = params.getAll(`var-${v.name}`);
  if (fromUrl.length) return fromUrl;
  if (v.default) return [v.default];
  if (v.includeAll) return [ALL];
  return choices.length ? [choices[0]] : [];
}

function VariablePicker(props: { variable: Variable; options: string[] | undefined; selected: string[] }) {
  const v = props.variable;
  const choices = [...(v.includeAll ? [ALL] : []), ...(props.options ?? [])];
  return (
    <label class="var-picker">
      <span>{v.label ?? v.name}</span>
      <select
        class="select"
        name={`var-${v.name}`}
        multiple={v.multi}
        value={v.multi ? undefined : props.selected[0]}
        onChange={(e) => {
          const sel = [...e.currentTarget.selectedOptions].map((o) => o.value);
          setParams({ [`var-${v.name}`]: sel });
        }}
        data-testid={`var-${v.name}`}
      >
        {choices.map((c) => (
          <option key={c} value={c} selected={v.multi ? props.selected.includes(c) : undefined}>
            {c === ALL ? 'All' : c}
          </option>
        ))}
        {props.options === undefined && <option>Loading…</option>}
      </select>
    </label>
  );
}
