/**
 * The application shell: navigation, global shortcuts, theme and time-zone toggles, and the
 * route table. Every page is its own lazily loaded chunk.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Icon, type IconName } from './components/icons.tsx';
import { linkHandler } from './components/link.tsx';
import { Modal } from './components/modal.tsx';
import { lazyComponent } from './lib/lazy.tsx';
import { navigate, useLocation } from './lib/router.ts';
import { updateSettings, useSettings } from './lib/settings.ts';
import { activeShortcuts, type ShortcutHelp, useShortcut, useShortcuts } from './lib/shortcuts.ts';

const MetricsExplore = lazyComponent(() => import('./pages/metrics/metrics-explore.tsx'));
const LogsExplore = lazyComponent(() => import('./pages/logs/logs-explore.tsx'));
const TracesExplore = lazyComponent(() => import('./pages/traces/traces-explore.tsx'));
const Dashboards = lazyComponent(() => import('./pages/dashboards/dashboards-page.tsx'));
const Alerts = lazyComponent(() => import('./pages/alerts/alerts-page.tsx'));
const ServiceMap = lazyComponent(() => import('./pages/service-map/service-map.tsx'));
const Status = lazyComponent(() => import('./pages/status/status-page.tsx'));

interface NavItem {
  readonly path: string;
  readonly label: string;
  readonly icon: IconName;
  readonly key: string;
}

const NAV: readonly (NavItem | 'gap')[] = [
  { path: '/explore/metrics', label: 'Metrics', icon: 'metrics', key: 'm' },
  { path: '/explore/logs', label: 'Logs', icon: 'logs', key: 'l' },
  { path: '/explore/traces', label: 'Traces', icon: 'traces', key: 't' },
  'gap',
  { path: '/dashboards', label: 'Dashboards', icon: 'dashboards', key: 'd' },
  { path: '/alerts', label: 'Alerts', icon: 'alerts', key: 'a' },
  { path: '/service-map', label: 'Service map', icon: 'map', key: 'n' },
  { path: '/status', label: 'Status', icon: 'status', key: 's' },
];

const NAV_SHORTCUTS = NAV.filter((item): item is NavItem => item !== 'gap').map((item) => ({
  keys: `g ${item.key}`,
  description: `Go to ${item.label}`,
  handler: () => navigate(item.path),
}));

/** Which page a path shows. */
function route(path: string): ComponentChildren {
  if (path === '/explore/metrics') return <MetricsExplore />;
  if (path === '/explore/logs') return <LogsExplore />;
  if (path.startsWith('/explore/traces')) return <TracesExplore />;
  if (path.startsWith('/dashboards')) return <Dashboards />;
  if (path.startsWith('/alerts')) return <Alerts />;
  if (path === '/service-map') return <ServiceMap />;
  if (path.startsWith('/status')) return <Status />;
  return <NotFound path={path} />;
}

export function App() {
  const loc = useLocation();
  const settings = useSettings();
  const [help, setHelp] = useState<ShortcutHelp[] | undefined>();

  useEffect(() => {
    if (loc.path === '/') navigate('/explore/metrics', { replace: true });
  }, [loc.path]);

  useShortcuts(NAV_SHORTCUTS);
  useShortcut('T', 'Switch dark/light theme', () =>
    updateSettings({ theme: settings.theme === 'dark' ? 'light' : 'dark' }),
  );
  useShortcut('U', 'Show times in UTC / local time', () => updateSettings({ utc: !settings.utc }));
  useShortcut('?', 'Show keyboard shortcuts', () => setHelp(activeShortcuts()));
  useShortcut('Esc', 'Close dialogs and menus', () => setHelp(undefined));

  return (
    <div class="shell">
      <nav class="sidebar" aria-label="Main">
        <a class="brand" href="/explore/metrics" onClick={linkHandler('/explore/metrics')}>
          <span class="brand-mark" aria-hidden="true">
            <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
              <rect width="32" height="32" rx="7" fill="var(--accent)" />
              <path
                d="M7 17h4l3-8 4 14 3-6h4"
                fill="none"
                stroke="white"
                stroke-width="2.6"
                stroke-linecap="round"
                stroke-linejoin="round"
              />
            </svg>
          </span>
          <span class="brand-name">Vigil</span>
        </a>
        <div class="nav-section-label">Explore</div>
        {NAV.map((item, i) =>
          item === 'gap' ? (
            <div class="nav-gap" key={`gap-${i}`} />
          ) : (
            <a
              key={item.path}
              href={item.path}
              class={`nav-item${loc.path.startsWith(item.path) ? ' active' : ''}`}
              onClick={linkHandler(item.path)}
              title={`${item.label}  (g ${item.key})`}
              aria-current={loc.path.startsWith(item.path) ? 'page' : undefined}
            >
              <Icon name={item.icon} />
              <span class="nav-label">{item.label}</span>
            </a>
          ),
        )}
        <div class="nav-spacer" />
        <button
          type="button"
          class="nav-item"
          onClick={() => updateSettings({ utc: !settings.utc })}
          title="Show times in UTC or your local zone (U)"
          data-testid="utc-toggle"
        >
          <Icon name="globe" />
          <span class="nav-label">{settings.utc ? 'UTC' : 'Local time'}</span>
        </button>
        <button
          type="button"
          class="nav-item"
          onClick={() => updateSettings({ theme: settings.theme === 'dark' ? 'light' : 'dark' })}
          title="Switch theme (T)"
          data-testid="theme-toggle"
        >
          <Icon name={settings.theme === 'dark' ? 'sun' : 'moon'} />
          <span class="nav-label">{settings.theme === 'dark' ? 'Light theme' : 'Dark theme'}</span>
        </button>
        <button
          type="button"
          class="nav-item"
          onClick={() => setHelp(activeShortcuts())}
          title="Keyboard shortcuts (?)"
        >
          <Icon name="keyboard" />
          <span class="nav-label">Shortcuts</span>
        </button>
      </nav>
      <main class="main">{loc.path === '/' ? null : route(loc.path)}</main>
      {help && <ShortcutsDialog shortcuts={help} onClose={() => setHelp(undefined)} />}
    </div>
  );
}

function ShortcutsDialog(props: { shortcuts: ShortcutHelp[]; onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={props.onClose}>
      <table class="shortcuts">
        <tbody>
          {[
            ...props.shortcuts,
            { keys: 'Ctrl Enter', description: 'Run the query (in an editor)' },
            { keys: 'Shift Enter', description: 'Run the query (in an editor)' },
          ].map((s) => (
            <tr key={s.keys}>
              <td>
                {s.keys.split(' ').map((k) => (
                  <kbd key={k}>{k}</kbd>
                ))}
              </td>
              <td>{s.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}

function NotFound(props: { path: string }) {
  return (
    <div class="page">
      <header class="page-header">
        <h1>Not found</h1>
      </header>
      <div class="page-body">
        <p>
          There is no page at <code>{props.path}</code>.{' '}
          <a href="/explore/metrics" onClick={linkHandler('/explore/metrics')}>
            Go to Explore
          </a>
          .
        </p>
      </div>
    </div>
  );
}
