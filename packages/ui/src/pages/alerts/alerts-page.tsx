/**
 * Alerts: firing alerts grouped as the notification pipeline groups them (plus pending ones),
 * silences (list, create with a matcher editor and preview, expire, recreate), and the rule list.
 */
import { Link } from '../../components/link.tsx';
import { useLocation } from '../../lib/router.ts';
import { AlertGroupsView } from './alert-groups.tsx';
import { RulesView } from './rules-view.tsx';
import { SilenceEditor } from './silence-editor.tsx';
import { SilencesView } from './silences-view.tsx';

const TABS = [
  { path: '/alerts', label: 'Alerts' },
  { path: '/alerts/silences', label: 'Silences' },
  { path: '/alerts/rules', label: 'Rules' },
] as const;

export default function AlertsPage() {
  const loc = useLocation();
  const editing = loc.path === '/alerts/silences/new';
  const tab = editing ? TABS[1] : (TABS.find((t) => t.path === loc.path) ?? TABS[0]);
  return (
    <div class="page">
      <header class="page-header">
        <h1>Alerts</h1>
        <nav class="segmented" aria-label="Alerts">
          {TABS.map((t) => (
            <Link key={t.path} href={t.path} class={`seg-link${t === tab ? ' on' : ''}`}>
              {t.label}
            </Link>
          ))}
        </nav>
        <div class="toolbar">
          {!editing && (
            <Link href="/alerts/silences/new" class="btn">
              New silence
            </Link>
          )}
        </div>
      </header>
      <div class="page-body">
        {editing && <SilenceEditor />}
        {!editing && tab.path === '/alerts' && <AlertGroupsView />}
        {!editing && tab.path === '/alerts/silences' && <SilencesView />}
        {!editing && tab.path === '/alerts/rules' && <RulesView />}
      </div>
    </div>
  );
}
