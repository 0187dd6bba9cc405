/**
 * Dashboards: the list at /dashboards (files in the dashboards folder plus the built-ins) and one
 * dashboard at /dashboards/<id>.
 */
import { useState } from 'preact/hooks';
import { EmptyState, ErrorBox, Spinner } from '../../components/feedback.tsx';
import { Icon } from '../../components/icons.tsx';
import { Link } from '../../components/link.tsx';
import { Modal } from '../../components/modal.tsx';
import { createDashboard, listDashboards } from '../../lib/dashboards.ts';
import { navigate, useLocation } from '../../lib/router.ts';
import { useAsync } from '../../lib/use-async.ts';
import { DashboardView } from './dashboard-view.tsx';

export default function DashboardsPage() {
  const loc = useLocation();
  const id = decodeURIComponent(loc.path.slice('/dashboards/'.length));
  if (loc.path.startsWith('/dashboards/') && id) return <DashboardView key={id} id={id} />;
  return <DashboardList />;
}

function DashboardList() {
  const [creating, setCreating] = useState(false);
  const list = useAsync((signal) => listDashboards(signal), []);
  return (
    <div class="page">
      <header class="page-header">
        <h1>Dashboards</h1>
        <div class="toolbar">
          {list.data && !list.data.readOnly && (
            <button
              type="button"
              class="btn primary"
              onClick={() => setCreating(true)}
              data-testid="new-dashboard"
            >
              <Icon name="plus" size={14} /> New dashboard
            </button>
          )}
        </div>
      </header>
      <div class="page-body">
        {list.error !== undefined && <ErrorBox title="Cannot list the dashboards" error={list.error} />}
        {list.loading && !list.data && <Spinner label="Loading" />}
        {list.data && list.data.dashboards.length === 0 && (
          <EmptyState title="No dashboards yet">
            Create one, or put JSON or YAML files in the dashboards folder.
          </EmptyState>
        )}
        {list.data && list.data.dashboards.length > 0 && (
          <div class="card">
            <table class="data" data-testid="dashboard-list">
              <thead>
                <tr>
                  <th>Dashboard</th>
                  <th>Tags</th>
                  <th class="num">Panels</th>
                  <th>Source</th>
                </tr>
              </thead>
              <tbody>
                {list.data.dashboards.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <Link href={`/dashboards/${encodeURIComponent(d.id)}`} data-testid="dashboard-link">
                        {d.title}
                      </Link>
                      {d.description && <div class="muted">{d.description}</div>}
                      {d.error && <ErrorBox compact error={d.error} />}
                    </td>
                    <td>
                      {d.tags.map((t) => (
                        <span class="badge" key={t}>
                          {t}
                        </span>
                      ))}
                    </td>
                    <td class="num">{d.panels}</td>
                    <td class="muted">{d.source === 'builtin' ? 'built-in' : d.file}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {creating && <NewDashboard onClose={() => setCreating(false)} />}
    </div>
  );
}

function NewDashboard(props: { onClose: () => void }) {
  const [title, setTitle] = useState('');
  const [error, setError] = useState<unknown>();
  const create = async () => {
    try {
      const d = await createDashboard({ title: title.trim() });
      navigate(`/dashboards/${encodeURIComponent(d.id)}?edit=1`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Modal
      title="New dashboard"
      onClose={props.onClose}
      footer={
        <>
          <button type="button" class="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            class="btn primary"
            disabled={!title.trim()}
            onClick={create}
            data-testid="create-dashboard"
          >
            Create
          </button>
        </>
      }
    >
      <label class="field">
        <span>Title</span>
        <input
          class="input"
          name="title"
          value={title}
          onInput={(e) => setTitle(e.currentTarget.value)}
          onKeyDown={(e) => e.key === 'Enter' && title.trim() && create()}
          // biome-ignore lint/a11y/noAutofocus: the dialog exists to type this
          autoFocus
        />
      </label>
      {error !== undefined && <ErrorBox compact error={error} />}
    </Modal>
  );
}
