import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { EmptyState, ErrorBox, Spinner } from '../../components/feedback.tsx';
import { Icon } from '../../components/icons.tsx';
import { LabelChips } from '../../components/labels.tsx';
import { Link } from '../../components/link.tsx';
import {
  type AmAlert,
  type AmAlertGroup,
  alertGroups,
  formatMatcher,
  type PromAlert,
  parseMatcher,
  promAlerts,
} from '../../lib/alertmanager.ts';
import { setParams, useLocation, withParams } from '../../lib/router.ts';
import { useSettings } from '../../lib/settings.ts';
import { formatAgo, formatTime } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';

/** Splits `a="1", b=~"x"` (braces optional) into matcher strings; returns the bad part if any. */
export function splitMatchers(text: string): { matchers: string[]; bad?: string } {
  const body = text.trim().replace(/^\{/, '').replace(/\}$/, '');
  const parts =
    body.match(/[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*(?:"(?:[^"\\]|\\.)*"|[^,\s"]+)|[^,\s]+/g) ?? [];
  const matchers: string[] = [];
  for (const p of parts) {
    const m = parseMatcher(p);
    if (!m) return { matchers, bad: p };
    matchers.push(formatMatcher(m));
  }
  return { matchers };
}

/** Severity → colour class for the stripe beside an alert. */
function severityClass(labels: Record<string, string>): string {
  const s = (labels.severity ?? labels.priority ?? '').toLowerCase();
  if (/crit|page|p1|high|error/.test(s)) return 'sev-critical';
  if (/warn|p2|medium/.test(s)) return 'sev-warning';
  return 'sev-info';
}

export function AlertGroupsView() {
  const loc = useLocation();
  const filterText = loc.params.get('filter') ?? '';
  const silenced = loc.params.get('silenced') === '1';
  const inhibited = loc.params.get('inhibited') === '1';
  const [draft, setDraft] = useState(filterText);
  useEffect(() => setDraft(filterText), [filterText]);
  const parsed = splitMatchers(filterText);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setTick((t) => t + 1), 10_000);
    return () => clearInterval(id);
  }, []);

  const groups = useAsync(
    (signal) =>
      parsed.bad
        ? undefined
        : alertGroups({ filter: parsed.matchers, silenced, inhibited, active: true }, signal),
    [filterText, silenced, inhibited, tick],
  );
  const pending = useAsync((signal) => promAlerts(signal), [tick]);
  const pendingAlerts = (pending.data?.alerts ?? []).filter((a) => a.state === 'pending');
  const nonEmpty = (groups.data ?? []).filter((g) => g.alerts.length > 0);
  const total = nonEmpty.reduce((n, g) => n + g.alerts.length, 0);

  return (
    <div class="stack">
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          setParams({ filter: draft.trim() || undefined });
        }}
      >
        <input
          class={`input mono${splitMatchers(draft).bad ? ' invalid' : ''}`}
          style={{ flex: 1, maxWidth: '560px' }}
          placeholder='Filter with matchers, e.g. alertname="HighLatency", severity=~"page|critical"'
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
          aria-label="Filter alerts"
          name="filter"
        />
        <label class="checkbox">
          <input
            type="checkbox"
            checked={silenced}
            onChange={(e) => setParams({ silenced: e.currentTarget.checked ? '1' : undefined })}
          />
          Silenced
        </label>
        <label class="checkbox">
          <input
            type="checkbox"
            checked={inhibited}
            onChange={(e) => setParams({ inhibited: e.currentTarget.checked ? '1' : undefined })}
          />
          Inhibited
        </label>
        <span class="grow" />
        <span class="muted" data-testid="alerts-summary">
          {groups.data
            ? `${total} alert${total === 1 ? '' : 's'} in ${nonEmpty.length} group${nonEmpty.length === 1 ? '' : 's'}`
            : ''}
        </span>
      </form>
      {parsed.bad && (
        <ErrorBox
          compact
          error={`"${parsed.bad}" is not a matcher; write name="value", name!="value", name=~"regex" or name!~"regex"`}
        />
      )}
      {groups.error !== undefined && <ErrorBox title="Cannot load alerts" error={groups.error} />}
      {!groups.data && !groups.error && !parsed.bad && <Spinner label="Loading alerts" />}
      {groups.data && nonEmpty.length === 0 && (
        <EmptyState title={filterText ? 'No alerts match this filter' : 'No alerts are firing'}>
          Alerts from alerting rules and from clients posting to <code>/api/v2/alerts</code> appear here,
          grouped as notifications group them.
        </EmptyState>
      )}
      {nonEmpty.map((g) => (
        <AlertGroupCard key={`${g.receiver.name}|${JSON.stringify(g.labels)}`} group={g} />
      ))}
      {pendingAlerts.length > 0 && <PendingCard alerts={pendingAlerts} />}
    </div>
  );
}

function AlertGroupCard(props: { group: AmAlertGroup }) {
  const g = props.group;
  const groupKeys = Object.keys(g.labels);
  return (
    <div class="card" data-testid="alert-group">
      <div class="card-header">
        {groupKeys.length > 0 ? <LabelChips labels={g.labels} /> : <span class="muted">Not grouped</span>}
        <span class="grow" />
        <span class="muted" title="Receiver">
          → {g.receiver.name}
        </span>
        <span class="badge">{g.alerts.length}</span>
      </div>
      <div>
        {g.alerts.map((a) => (
          <AlertRow key={a.fingerprint} alert={a} omit={[...groupKeys, 'alertname']} />
        ))}
      </div>
    </div>
  );
}

function AlertRow(props: { alert: AmAlert; omit: string[] }) {
  const { utc } = useSettings();
  const a = props.alert;
  const state =
    a.status.silencedBy.length > 0 ? 'silenced' : a.status.inhibitedBy.length > 0 ? 'inhibited' : 'firing';
  const { summary, description, ...otherAnnotations } = a.annotations;
  const silenceHref = withParams('/alerts/silences/new', {
    matchers: Object.entries(a.labels)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([k, v]) => formatMatcher({ name: k, value: v, isRegex: false, isEqual: true }))
      .join(', '),
  });
  return (
    <div class={`alert-row ${severityClass(a.labels)}`} data-testid="alert">
      <div class="alert-main">
        <div class="row" style={{ flexWrap: 'wrap' }}>
          <strong class="alert-name">{a.labels.alertname ?? '(no alertname)'}</strong>
          <span class={`badge ${state === 'firing' ? 'err' : 'info'}`}>{state}</span>
          <span class="muted" title={formatTime(Date.parse(a.startsAt), utc)}>
            active since {formatAgo(Date.parse(a.startsAt))}
          </span>
        </div>
        {summary && <div class="alert-summary">{summary}</div>}
        {description && <div class="alert-description">{description}</div>}
        <LabelChips labels={a.labels} omit={props.omit} />
        {Object.keys(otherAnnotations).length > 0 && (
          <dl class="kv alert-annotations">
            {Object.entries(otherAnnotations).map(([k, v]) => (
              <Fragment key={k}>
                <dt>{k}</dt>
                <dd>{/^https?:\/\//.test(v) ? <a href={v}>{v}</a> : v}</dd>
              </Fragment>
            ))}
          </dl>
        )}
      </div>
      <div class="alert-actions">
        {state === 'firing' && (
          <Link href={silenceHref} class="btn small" data-testid="silence-alert">
            <Icon name="mute" size={14} />
            Silence
          </Link>
        )}
        {a.status.silencedBy.map((id) => (
          <Link key={id} href={withParams('/alerts/silences', { highlight: id })} class="btn small">
            View silence
          </Link>
        ))}
        {a.generatorURL && (
          <a class="btn small" href={a.generatorURL} title="Where the alert came from">
            Source
          </a>
        )}
      </div>
    </div>
  );
}

function PendingCard(props: { alerts: PromAlert[] }) {
  return (
    <div class="card" data-testid="pending-alerts">
      <div class="card-header">
        <h2>Pending</h2>
        <span class="muted">
          firing once their rule's "for" duration has passed; not yet sent to notifications
        </span>
        <span class="grow" />
        <span class="badge warn">{props.alerts.length}</span>
      </div>
      {props.alerts.map((a) => (
        <div class="alert-row sev-pending" key={JSON.stringify(a.labels)}>
          <div class="alert-main">
            <div class="row">
              <strong class="alert-name">{a.labels.alertname}</strong>
              <span class="badge warn">pending</span>
              {a.activeAt && <span class="muted">since {formatAgo(Date.parse(a.activeAt))}</span>}
            </div>
            {a.annotations.summary && <div class="alert-summary">{a.annotations.summary}</div>}
            <LabelChips labels={a.labels} omit={['alertname']} />
          </div>
        </div>
      ))}
    </div>
  );
}
