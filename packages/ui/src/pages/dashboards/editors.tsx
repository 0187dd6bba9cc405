/**
 * Editing a dashboard in the UI: one panel through a form, or the whole dashboard as JSON. Both
 * change the working copy; the dashboard view saves it through the API, which validates it and
 * answers every problem with its key path.
 */
import { useState } from 'preact/hooks';
import { ErrorBox } from '../../components/feedback.tsx';
import { Icon } from '../../components/icons.tsx';
import { Modal } from '../../components/modal.tsx';
import { type Dashboard, PANEL_TYPES, type Panel, type PanelType } from '../../lib/dashboards.ts';
import { UNITS } from '../../lib/format.ts';

const METRIC = new Set<PanelType>(['timeseries', 'stat', 'gauge', 'bargauge', 'table', 'heatmap']);

export function PanelEditor(props: { panel: Panel; onClose: () => void; onApply: (p: Panel) => void }) {
  const [p, setP] = useState<Panel>(props.panel);
  const set = (patch: Partial<Panel>) => setP({ ...p, ...patch });
  const metric = METRIC.has(p.type);
  const queries = p.queries.length ? p.queries : [{ expr: '' }];
  return (
    <Modal
      title="Panel"
      wide
      onClose={props.onClose}
      footer={
        <>
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            class="btn primary"
            data-testid="apply-panel"
            onClick={() =>
              props.onApply({ ...p, queries: metric ? queries.filter((q) => q.expr.trim()) : p.queries })
            }
          >
            Apply
          </button>
        </>
      }
    >
      <div class="form-grid">
        <label class="field">
          <span>Title</span>
          <input
            class="input"
            name="panel-title"
            value={p.title}
            onInput={(e) => set({ title: e.currentTarget.value })}
          />
        </label>
        <label class="field">
          <span>Type</span>
          <select
            class="select"
            name="panel-type"
            value={p.type}
            onChange={(e) => {
              const type = e.currentTarget.value as PanelType;
              const extra: Partial<Panel> =
                type === 'logs' && !p.query
                  ? { query: '{job=~".+"}' }
                  : type === 'traces' && !p.query
                    ? { query: '{}' }
                    : {};
              set({ type, ...extra });
            }}
          >
            {PANEL_TYPES.map((t) => (
              <option key={t.id} value={t.id}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Width (of 24)</span>
          <input
            class="input"
            type="number"
            min={1}
            max={24}
            value={p.width}
            onInput={(e) => set({ width: clamp(Number(e.currentTarget.value), 1, 24) })}
          />
        </label>
        <label class="field">
          <span>Height (rows)</span>
          <input
            class="input"
            type="number"
            min={2}
            max={40}
            value={p.height}
            onInput={(e) => set({ height: clamp(Number(e.currentTarget.value), 2, 40) })}
          />
        </label>
        {metric && (
          <label class="field">
            <span>Unit</span>
            <select
              class="select"
              value={p.unit ?? 'short'}
              onChange={(e) => set({ unit: e.currentTarget.value })}
            >
              {UNITS.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.label}
                </option>
              ))}
            </select>
          </label>
        )}
        {p.type === 'timeseries' && (
          <label class="checkbox">
            <input
              type="checkbox"
              checked={!!p.stacked}
              onChange={(e) => set({ stacked: e.currentTarget.checked })}
            />
            Stacked
          </label>
        )}
      </div>
      {metric &&
        queries.map((q, i) => (
          <div class="query-edit" key={i}>
            <label class="field grow">
              <span>PromQL {queries.length > 1 ? i + 1 : ''}</span>
              <textarea
                class="input mono"
                rows={2}
                name="panel-query"
                value={q.expr}
                placeholder='sum by (job) (rate(http_requests_total{job="$job"}[$__rate_interval]))'
                onInput={(e) =>
                  set({
                    queries: queries.map((x, j) => (j === i ? { ...x, expr: e.currentTarget.value } : x)),
                  })
                }
              />
            </label>
            <label class="field">
              <span>Legend</span>
              <input
                class="input mono"
                value={q.legend ?? ''}
                placeholder="{{job}}"
                onInput={(e) =>
                  set({
                    queries: queries.map((x, j) =>
                      j === i ? { ...x, legend: e.currentTarget.value || undefined } : x,
                    ),
                  })
                }
              />
            </label>
            {queries.length > 1 && (
              <button
                type="button"
                class="icon-button"
                aria-label="Remove query"
                onClick={() => set({ queries: queries.filter((_, j) => j !== i) })}
              >
                <Icon name="trash" size={14} />
              </button>
            )}
          </div>
        ))}
      {metric && (
        <button type="button" class="btn small" onClick={() => set({ queries: [...queries, { expr: '' }] })}>
          <Icon name="plus" size={12} /> Query
        </button>
      )}
      {(p.type === 'logs' || p.type === 'traces') && (
        <label class="field">
          <span>{p.type === 'logs' ? 'LogQL' : 'TraceQL'}</span>
          <textarea
            class="input mono"
            rows={2}
            name="panel-query"
            value={p.query ?? ''}
            onInput={(e) => set({ query: e.currentTarget.value })}
          />
        </label>
      )}
      {p.type === 'text' && (
        <label class="field">
          <span>Text</span>
          <textarea
            class="input"
            rows={5}
            value={p.content ?? ''}
            onInput={(e) => set({ content: e.currentTarget.value })}
          />
        </label>
      )}
    </Modal>
  );
}

function clamp(v: number, min: number, max: number): number {
  return Number.isFinite(v) ? Math.min(max, Math.max(min, Math.round(v))) : min;
}

export function DashboardJsonEditor(props: {
  dashboard: Dashboard;
  onClose: () => void;
  onApply: (d: Dashboard) => void;
}) {
  const [text, setText] = useState(() => JSON.stringify(props.dashboard, null, 2));
  const [error, setError] = useState<string>();
  const apply = () => {
    try {
      const d = JSON.parse(text) as Dashboard;
      if (!d || typeof d !== 'object' || Array.isArray(d))
        throw new Error('the dashboard must be a JSON object');
      if (!Array.isArray(d.panels)) throw new Error('"panels" must be a list');
      props.onApply({
        ...d,
        tags: d.tags ?? [],
        variables: d.variables ?? [],
        refresh: d.refresh ?? '',
        time: d.time ?? { from: 'now-1h', to: 'now' },
      });
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <Modal
      title="Dashboard JSON"
      wide
      onClose={props.onClose}
      footer={
        <>
          <span class="muted grow">The server checks the dashboard when you save and names any problem.</span>
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="button" class="btn primary" onClick={apply} data-testid="apply-json">
            Apply
          </button>
        </>
      }
    >
      <textarea
        class="input mono json-editor"
        spellcheck={false}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        name="dashboard-json"
      />
      {error && <ErrorBox compact error={`Not valid JSON: ${error}`} />}
    </Modal>
  );
}
