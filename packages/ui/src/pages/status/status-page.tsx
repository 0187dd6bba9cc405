/**
 * Status: scrape targets (state, last scrape, duration, error), storage and ingestion statistics
 * from /metrics and the TSDB status, the running configuration, and runtime/build information.
 */
import { Fragment } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { EmptyState, ErrorBox, Spinner } from '../../components/feedback.tsx';
import { Link } from '../../components/link.tsx';
import { requestText } from '../../lib/api.ts';
import { type MetricFamily, parseExposition, sumSamples } from '../../lib/exposition.ts';
import { formatShort, formatValue } from '../../lib/format.ts';
import { status, type Target, targets } from '../../lib/prom.ts';
import { setParams, useLocation } from '../../lib/router.ts';
import { useSettings } from '../../lib/settings.ts';
import { formatAgo, formatSeconds, formatTime } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';

const TABS = [
  { path: '/status/targets', label: 'Targets' },
  { path: '/status/storage', label: 'Storage & ingestion' },
  { path: '/status/config', label: 'Configuration' },
  { path: '/status/runtime', label: 'Runtime & build' },
] as const;

export default function StatusPage() {
  const loc = useLocation();
  const tab = TABS.find((t) => loc.path === t.path) ?? TABS[0];
  return (
    <div class="page">
      <header class="page-header">
        <h1>Status</h1>
      </header>
      <div class="page-body">
        <nav class="tabs">
          {TABS.map((t) => (
            <Link key={t.path} href={t.path} class={`tab${t === tab ? ' active' : ''}`}>
              {t.label}
            </Link>
          ))}
        </nav>
        {tab.path === '/status/targets' && <TargetsTab />}
        {tab.path === '/status/storage' && <StorageTab />}
        {tab.path === '/status/config' && <ConfigTab />}
        {tab.path === '/status/runtime' && <RuntimeTab />}
      </div>
    </div>
  );
}

// ---- targets ----

function TargetsTab() {
  const loc = useLocation();
  const filter = loc.params.get('filter') ?? '';
  const unhealthyOnly = loc.params.get('unhealthy') === '1';
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setTick((t) => t + 1), 10_000);
    return () => clearInterval(id);
  }, []);
  const res = useAsync((signal) => targets(signal), [tick]);
  const pools = useMemo(() => {
    const byPool = new Map<string, Target[]>();
    for (const t of res.data?.activeTargets ?? []) {
      if (unhealthyOnly && t.health === 'up') continue;
      if (filter && !JSON.stringify(t.labels).includes(filter) && !t.scrapeUrl.includes(filter)) continue;
      const list = byPool.get(t.scrapePool) ?? [];
      list.push(t);
      byPool.set(t.scrapePool, list);
    }
    return [...byPool.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [res.data, filter, unhealthyOnly]);

  if (res.error) return <ErrorBox title="Cannot load targets" error={res.error} />;
  if (!res.data) return <Spinner label="Loading targets" />;
  const all = res.data.activeTargets;
  if (all.length === 0) {
    return (
      <EmptyState title="No scrape targets">
        Add <code>scrape_configs</code> to the config file (the same format as Prometheus), then reload with{' '}
        <code>POST /-/reload</code> or SIGHUP.
      </EmptyState>
    );
  }
  const up = all.filter((t) => t.health === 'up').length;
  return (
    <div class="stack">
      <div class="row">
        <input
          class="input"
          style={{ width: '280px' }}
          placeholder="Filter by label or URL"
          value={filter}
          onInput={(e) => setParams({ filter: e.currentTarget.value }, { replace: true })}
          aria-label="Filter targets"
        />
        <label class="checkbox">
          <input
            type="checkbox"
            checked={unhealthyOnly}
            onChange={(e) =>
              setParams({ unhealthy: e.currentTarget.checked ? '1' : undefined }, { replace: true })
            }
          />
          Unhealthy only
        </label>
        <span class="grow" />
        <span class="muted" data-testid="targets-summary">
          {up} of {all.length} targets up
        </span>
      </div>
      {pools.map(([pool, list]) => (
        <div class="card" key={pool} data-testid="target-pool">
          <div class="card-header">
            <h2>{pool}</h2>
            <span class={`badge ${list.every((t) => t.health === 'up') ? 'ok' : 'err'}`}>
              {list.filter((t) => t.health === 'up').length}/{list.length} up
            </span>
          </div>
          <div class="table-wrap">
            <table class="data">
              <thead>
                <tr>
                  <th>Endpoint</th>
                  <th>State</th>
                  <th>Labels</th>
                  <th>Last scrape</th>
                  <th class="num">Duration</th>
                  <th>Error</th>
                </tr>
              </thead>
              <tbody>
                {list.map((t) => (
                  <tr key={t.scrapeUrl + JSON.stringify(t.labels)} data-testid="target-row">
                    <td class="mono" style={{ fontSize: '12.5px' }}>
                      {t.scrapeUrl}
                    </td>
                    <td>
                      <span class={`badge ${t.health === 'up' ? 'ok' : t.health === 'down' ? 'err' : ''}`}>
                        {t.health}
                      </span>
                    </td>
                    <td>
                      <div class="chips">
                        {Object.entries(t.labels).map(([k, v]) => (
                          <span class="label-chip" key={k}>
                            <b>{k}=</b>
                            {v}
                          </span>
                        ))}
                      </div>
                    </td>
                    <td class="nowrap muted">
                      {t.lastScrape && !t.lastScrape.startsWith('0001')
                        ? formatAgo(Date.parse(t.lastScrape))
                        : 'never'}
                    </td>
                    <td class="num">{formatSeconds(t.lastScrapeDuration)}</td>
                    <td class="mono" style={{ fontSize: '12px', color: 'var(--err)' }}>
                      {t.lastError}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ))}
    </div>
  );
}

// ---- storage and ingestion ----

interface Snapshot {
  readonly at: number;
  readonly families: MetricFamily[];
}

interface TsdbStatus {
  headStats: {
    numSeries: number;
    numLabelPairs: number;
    chunkCount: number;
    minTime: number;
    maxTime: number;
  };
  seriesCountByMetricName: { name: string; value: number }[];
  labelValueCountByLabelName: { name: string; value: number }[];
}

function StorageTab() {
  // Two snapshots of /metrics a few seconds apart give per-second rates without needing Vigil
  // to scrape itself.
  const [snaps, setSnaps] = useState<Snapshot[]>([]);
  const [error, setError] = useState<unknown>();
  const snapsRef = useRef(snaps);
  snapsRef.current = snaps;
  const poll = useCallback(async (signal: AbortSignal) => {
    try {
      const text = await requestText('/metrics', { signal });
      const snap = { at: Date.now(), families: parseExposition(text) };
      setSnaps((prev) => [...prev.slice(-1), snap]);
      setError(undefined);
    } catch (err) {
      if (!signal.aborted) setError(err);
    }
  }, []);
  useEffect(() => {
    const controller = new AbortController();
    poll(controller.signal);
    const id = setInterval(() => poll(controller.signal), 5000);
    return () => {
      clearInterval(id);
      controller.abort();
    };
  }, [poll]);
  const tsdb = useAsync((signal) => status<TsdbStatus>('tsdb', signal), []);

  if (error) return <ErrorBox title="Cannot read /metrics" error={error} />;
  const latest = snaps[snaps.length - 1];
  if (!latest) return <Spinner label="Reading self-metrics" />;
  const prev = snaps.length > 1 ? snaps[0] : undefined;
  const f = latest.families;
  const rate = (name: string, match: Record<string, string> = {}) => {
    if (!prev) return undefined;
    const a = sumSamples(prev.families, name, match);
    const b = sumSamples(f, name, match);
    if (a === undefined || b === undefined) return undefined;
    return Math.max(0, (b - a) / ((latest.at - prev.at) / 1000));
  };
  const value = (name: string) => sumSamples(f, name);
  const start = value('process_start_time_seconds');
  const protocols = labelValuesOf(f, 'vigil_ingest_samples_total', 'protocol');
  const rejections = f
    .find((x) => x.name === 'vigil_ingest_rejected_samples_total')
    ?.samples.filter((s) => s.value > 0);

  return (
    <div class="stack" data-testid="storage-status">
      <div class="stat-grid">
        <Stat label="Series in memory" value={formatShort(value('vigil_storage_head_series') ?? 0)} />
        <Stat label="Series stored" value={formatShort(value('vigil_storage_series') ?? 0)} />
        <Stat label="Samples in memory" value={formatShort(value('vigil_storage_head_samples') ?? 0)} />
        <Stat label="Metrics on disk" value={formatValue(value('vigil_storage_bytes') ?? 0, 'bytes')} />
        <Stat
          label="Samples ingested"
          value={formatShort(value('vigil_ingest_samples_total') ?? 0)}
          sub={prev ? `${formatShort(rate('vigil_ingest_samples_total') ?? 0)}/s now` : 'measuring rate…'}
        />
        <Stat label="Log lines stored" value={formatShort(value('vigil_logs_stored_lines_total') ?? 0)} />
        <Stat label="Logs on disk" value={formatValue(value('vigil_logs_storage_bytes') ?? 0, 'bytes')} />
        <Stat
          label="Resident memory"
          value={formatValue(value('process_resident_memory_bytes') ?? 0, 'bytes')}
          sub={`heap ${formatValue(value('nodejs_heap_size_used_bytes') ?? 0, 'bytes')}`}
        />
        <Stat
          label="CPU"
          value={prev ? `${formatShort((rate('process_cpu_seconds_total') ?? 0) * 100)}%` : '…'}
          sub={`${formatSeconds(value('process_cpu_seconds_total') ?? 0)} total`}
        />
        <Stat label="Up for" value={start ? formatAgo(start * 1000).replace(' ago', '') : '–'} />
      </div>

      <div class="card">
        <div class="card-header">
          <h2>Ingestion by protocol</h2>
        </div>
        <table class="data">
          <thead>
            <tr>
              <th>Protocol</th>
              <th class="num">Samples</th>
              <th class="num">Samples/s</th>
            </tr>
          </thead>
          <tbody>
            {protocols.length === 0 && (
              <tr>
                <td colSpan={3} class="muted">
                  Nothing ingested yet.
                </td>
              </tr>
            )}
            {protocols.map((p) => (
              <tr key={p}>
                <td>{p}</td>
                <td class="num">
                  {formatShort(sumSamples(f, 'vigil_ingest_samples_total', { protocol: p }) ?? 0)}
                </td>
                <td class="num">
                  {prev ? formatShort(rate('vigil_ingest_samples_total', { protocol: p }) ?? 0) : '…'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {rejections && rejections.length > 0 && (
        <div class="card">
          <div class="card-header">
            <h2>Rejected samples</h2>
          </div>
          <table class="data">
            <thead>
              <tr>
                <th>Protocol</th>
                <th>Reason</th>
                <th class="num">Samples</th>
              </tr>
            </thead>
            <tbody>
              {rejections.map((s) => (
                <tr key={JSON.stringify(s.labels)}>
                  <td>{s.labels.protocol}</td>
                  <td>{s.labels.reason}</td>
                  <td class="num">{formatShort(s.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {tsdb.data && tsdb.data.seriesCountByMetricName.length > 0 && (
        <div class="card">
          <div class="card-header">
            <h2>Top metrics by series</h2>
          </div>
          <table class="data">
            <tbody>
              {tsdb.data.seriesCountByMetricName.slice(0, 10).map((m) => (
                <tr key={m.name}>
                  <td class="mono">
                    <Link href={`/explore/metrics?q=${encodeURIComponent(m.name)}`}>{m.name}</Link>
                  </td>
                  <td class="num">{formatShort(m.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <SelfMetricsTable families={f} />
    </div>
  );
}

function labelValuesOf(families: readonly MetricFamily[], name: string, label: string): string[] {
  const fam = families.find((x) => x.name === name);
  return [...new Set((fam?.samples ?? []).map((s) => s.labels[label]).filter(Boolean))].sort();
}

function Stat(props: { label: string; value: string; sub?: string }) {
  return (
    <div class="stat-card">
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.value}</div>
      {props.sub && <div class="stat-sub">{props.sub}</div>}
    </div>
  );
}

function SelfMetricsTable(props: { families: MetricFamily[] }) {
  const [filter, setFilter] = useState('');
  const shown = props.families.filter((f) => f.samples.length > 0 && (!filter || f.name.includes(filter)));
  return (
    <div class="card">
      <div class="card-header">
        <h2>All self-metrics</h2>
        <span class="muted">/metrics</span>
        <span class="grow" />
        <input
          class="input"
          placeholder="Filter"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
          aria-label="Filter self-metrics"
        />
      </div>
      <div class="table-wrap" style={{ maxHeight: '480px' }}>
        <table class="data">
          <thead>
            <tr>
              <th>Metric</th>
              <th>Type</th>
              <th>Samples</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((f) => (
              <tr key={f.name}>
                <td>
                  <div class="mono" style={{ fontSize: '12.5px' }}>
                    {f.name}
                  </div>
                  <div class="muted" style={{ fontSize: '12px' }}>
                    {f.help}
                  </div>
                </td>
                <td class="muted">{f.type}</td>
                <td class="mono" style={{ fontSize: '12px' }}>
                  {f.samples
                    .filter((s) => !s.name.endsWith('_bucket'))
                    .slice(0, 8)
                    .map((s) => (
                      <div key={s.name + JSON.stringify(s.labels)}>
                        {s.name !== f.name && <span class="muted">{s.name.slice(f.name.length)} </span>}
                        {Object.entries(s.labels)
                          .map(([k, v]) => `${k}="${v}"`)
                          .join(', ')}{' '}
                        <b>{formatShort(s.value, 6)}</b>
                      </div>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

// ---- configuration ----

function ConfigTab() {
  const res = useAsync((signal) => status<{ yaml: string }>('config', signal), []);
  if (res.error) return <ErrorBox title="Cannot load the configuration" error={res.error} />;
  if (!res.data) return <Spinner label="Loading configuration" />;
  return (
    <div class="card">
      <div class="card-header">
        <h2>Running configuration</h2>
        <span class="muted">secrets are shown as &lt;secret&gt;</span>
        <span class="grow" />
        <button
          type="button"
          class="btn small"
          onClick={() => navigator.clipboard?.writeText(res.data!.yaml)}
        >
          Copy
        </button>
      </div>
      <div class="card-body">
        <pre class="code" data-testid="config-yaml">
          <YamlView text={res.data.yaml} />
        </pre>
      </div>
    </div>
  );
}

/** YAML with keys and comments coloured (line-based; good enough for a config dump). */
function YamlView(props: { text: string }) {
  return (
    <>
      {props.text.split('\n').map((line, i) => {
        const comment = /^(\s*)(#.*)$/.exec(line);
        if (comment) {
          return (
            <div key={i}>
              {comment[1]}
              <span class="yaml-comment">{comment[2]}</span>
            </div>
          );
        }
        const kv = /^(\s*(?:- )?)([^\s:#][^:#]*?):(\s|$)(.*)$/.exec(line);
        if (kv) {
          return (
            <div key={i}>
              {kv[1]}
              <span class="yaml-key">{kv[2]}</span>:{kv[3]}
              {kv[4]}
            </div>
          );
        }
        return <div key={i}>{line || ' '}</div>;
      })}
    </>
  );
}

// ---- runtime and build ----

function RuntimeTab() {
  const { utc } = useSettings();
  const build = useAsync((signal) => status<Record<string, string>>('buildinfo', signal), []);
  const runtime = useAsync((signal) => status<Record<string, unknown>>('runtimeinfo', signal), []);
  const flags = useAsync((signal) => status<Record<string, string>>('flags', signal), []);
  const error = build.error ?? runtime.error ?? flags.error;
  if (error) return <ErrorBox title="Cannot load runtime information" error={error} />;
  const show = (v: unknown) => {
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return formatTime(Date.parse(v), utc);
    return String(v);
  };
  return (
    <div class="stack">
      <KvCard title="Build" data={build.data} show={show} />
      <KvCard title="Runtime" data={runtime.data} show={show} />
      <KvCard title="Flags" data={flags.data} show={show} />
    </div>
  );
}

function KvCard(props: {
  title: string;
  data: Record<string, unknown> | undefined;
  show: (v: unknown) => string;
}) {
  return (
    <div class="card">
      <div class="card-header">
        <h2>{props.title}</h2>
      </div>
      <div class="card-body">
        {!props.data ? (
          <Spinner />
        ) : (
          <dl class="kv">
            {Object.entries(props.data).map(([k, v]) => (
              <Fragment key={k}>
                <dt>{k}</dt>
                <dd>{props.show(v)}</dd>
              </Fragment>
            ))}
          </dl>
        )}
      </div>
    </div>
  );
}
