import { useEffect, useState } from 'preact/hooks';
import { EmptyState, ErrorBox, Spinner } from '../../components/feedback.tsx';
import { LabelChips } from '../../components/labels.tsx';
import { Link } from '../../components/link.tsx';
import { type PromRule, type PromRuleGroup, rules } from '../../lib/alertmanager.ts';
import { setParams, useLocation, withParams } from '../../lib/router.ts';
import { useSettings } from '../../lib/settings.ts';
import { formatAgo, formatDuration, formatSeconds, formatTime } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function never(ts: string | undefined): boolean {
  return !ts || ts.startsWith('0001-');
}

export function RulesView() {
  const loc = useLocation();
  const filter = loc.params.get('rule') ?? '';
  const unhealthy = loc.params.get('unhealthy') === '1';
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setTick((t) => t + 1), 15_000);
    return () => clearInterval(id);
  }, []);
  const res = useAsync((signal) => rules(signal), [tick]);
  if (res.error) return <ErrorBox title="Cannot load rules" error={res.error} />;
  if (!res.data) return <Spinner label="Loading rules" />;
  const groups = res.data.groups
    .map((g) => ({
      ...g,
      rules: g.rules.filter(
        (r) =>
          (!unhealthy || r.health === 'err') &&
          (!filter || r.name.includes(filter) || r.query.includes(filter) || g.name.includes(filter)),
      ),
    }))
    .filter((g) => g.rules.length > 0);
  const all = res.data.groups.flatMap((g) => g.rules);
  const failing = all.filter((r) => r.health === 'err').length;
  return (
    <div class="stack">
      <div class="row">
        <input
          class="input"
          style={{ width: '280px' }}
          placeholder="Filter by name, query or group"
          value={filter}
          onInput={(e) => setParams({ rule: e.currentTarget.value }, { replace: true })}
          aria-label="Filter rules"
        />
        <label class="checkbox">
          <input
            type="checkbox"
            checked={unhealthy}
            onChange={(e) =>
              setParams({ unhealthy: e.currentTarget.checked ? '1' : undefined }, { replace: true })
            }
          />
          Failing only
        </label>
        <span class="grow" />
        <span class="muted" data-testid="rules-summary">
          {plural(all.length, 'rule')} in {plural(res.data.groups.length, 'group')}
          {failing > 0 ? ` · ${failing} failing` : ''}
        </span>
      </div>
      {res.data.groups.length === 0 && (
        <EmptyState title="No rules loaded">
          List Prometheus rule files under <code>rule_files</code> in the config file; recording and alerting
          rules use Prometheus's format.
        </EmptyState>
      )}
      {groups.map((g) => (
        <RuleGroupCard key={`${g.file}|${g.name}`} group={g} />
      ))}
    </div>
  );
}

function RuleGroupCard(props: { group: PromRuleGroup }) {
  const { utc } = useSettings();
  const g = props.group;
  return (
    <div class="card" data-testid="rule-group">
      <div class="card-header">
        <h2>{g.name}</h2>
        <span class="muted mono" style={{ fontSize: '12px' }}>
          {g.file}
        </span>
        <span class="grow" />
        <span
          class="muted"
          title={never(g.lastEvaluation) ? '' : formatTime(Date.parse(g.lastEvaluation), utc)}
        >
          every {formatDuration(g.interval * 1000)} · last{' '}
          {never(g.lastEvaluation) ? 'never' : formatAgo(Date.parse(g.lastEvaluation))} ·{' '}
          {formatSeconds(g.evaluationTime)}
        </span>
      </div>
      <div class="table-wrap">
        <table class="data">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Health</th>
              <th>State</th>
              <th>Last evaluation</th>
              <th class="num">Took</th>
            </tr>
          </thead>
          <tbody>
            {g.rules.map((r) => (
              <RuleRow key={`${r.type}|${r.name}|${r.query}`} rule={r} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function RuleRow(props: { rule: PromRule }) {
  const r = props.rule;
  const active = r.alerts?.filter((a) => a.state !== 'inactive').length ?? 0;
  return (
    <tr data-testid="rule">
      <td style={{ maxWidth: '720px' }}>
        <div class="row">
          <strong>{r.name}</strong>
          <span class="badge">{r.type}</span>
          {r.type === 'alerting' && r.duration ? (
            <span class="muted">for {formatDuration(r.duration * 1000)}</span>
          ) : null}
        </div>
        <Link
          href={withParams('/explore/metrics', { q: r.query })}
          class="rule-query mono"
          title="Open in Explore"
        >
          {r.query}
        </Link>
        {r.labels && <LabelChips labels={r.labels} />}
        {r.lastError && <div class="rule-error">{r.lastError}</div>}
      </td>
      <td>
        <span class={`badge ${r.health === 'ok' ? 'ok' : r.health === 'err' ? 'err' : ''}`}>{r.health}</span>
      </td>
      <td>
        {r.type === 'alerting' ? (
          <span class={`badge ${r.state === 'firing' ? 'err' : r.state === 'pending' ? 'warn' : ''}`}>
            {r.state ?? 'inactive'}
            {active > 0 ? ` (${active})` : ''}
          </span>
        ) : (
          <span class="muted">–</span>
        )}
      </td>
      <td class="nowrap muted">
        {never(r.lastEvaluation) ? 'never' : formatAgo(Date.parse(r.lastEvaluation))}
      </td>
      <td class="num">{formatSeconds(r.evaluationTime)}</td>
    </tr>
  );
}
