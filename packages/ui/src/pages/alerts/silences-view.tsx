import { useState } from 'preact/hooks';
import { EmptyState, ErrorBox, Spinner } from '../../components/feedback.tsx';
import { Link } from '../../components/link.tsx';
import { type AmSilence, expireSilence, formatMatcher, silences } from '../../lib/alertmanager.ts';
import { setParams, useLocation, withParams } from '../../lib/router.ts';
import { useSettings } from '../../lib/settings.ts';
import { formatAgo, formatTime } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';

const STATES = ['active', 'pending', 'expired'] as const;

export function SilencesView() {
  const loc = useLocation();
  const state = (STATES as readonly string[]).includes(loc.params.get('state') ?? '')
    ? (loc.params.get('state') as (typeof STATES)[number])
    : 'active';
  const highlight = loc.params.get('highlight');
  const [version, setVersion] = useState(0);
  const res = useAsync((signal) => silences(signal), [version]);
  const [actionError, setActionError] = useState<unknown>();

  if (res.error) return <ErrorBox title="Cannot load silences" error={res.error} />;
  if (!res.data) return <Spinner label="Loading silences" />;
  const counts = Object.fromEntries(
    STATES.map((s) => [s, res.data!.filter((x) => x.status.state === s).length]),
  );
  const shown = res.data
    .filter((s) => s.status.state === state)
    .sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt));

  const expire = async (s: AmSilence) => {
    setActionError(undefined);
    try {
      await expireSilence(s.id);
      setVersion((v) => v + 1);
    } catch (err) {
      setActionError(err);
    }
  };

  return (
    <div class="stack">
      <nav class="tabs">
        {STATES.map((s) => (
          <button
            type="button"
            key={s}
            class={`tab${s === state ? ' active' : ''}`}
            onClick={() => setParams({ state: s === 'active' ? undefined : s, highlight: undefined })}
          >
            {s[0].toUpperCase() + s.slice(1)}
            <span class="count">{counts[s]}</span>
          </button>
        ))}
      </nav>
      {actionError !== undefined && <ErrorBox title="The silence could not be expired" error={actionError} />}
      {shown.length === 0 && (
        <EmptyState title={`No ${state} silences`}>
          Silence an alert from the Alerts tab, or create one with{' '}
          <Link href="/alerts/silences/new">New silence</Link>.
        </EmptyState>
      )}
      {shown.map((s) => (
        <SilenceCard key={s.id} silence={s} highlighted={s.id === highlight} onExpire={() => expire(s)} />
      ))}
    </div>
  );
}

function SilenceCard(props: { silence: AmSilence; highlighted: boolean; onExpire: () => void }) {
  const { utc } = useSettings();
  const s = props.silence;
  const ends = Date.parse(s.endsAt);
  const starts = Date.parse(s.startsAt);
  return (
    <div
      class={`card silence${props.highlighted ? ' highlighted' : ''}`}
      data-testid="silence"
      data-id={s.id}
    >
      <div class="card-body stack" style={{ gap: '8px' }}>
        <div class="chips">
          {s.matchers.map((m) => (
            <span class="label-chip" key={formatMatcher(m)}>
              {formatMatcher(m)}
            </span>
          ))}
        </div>
        <div>{s.comment}</div>
        <div class="row muted" style={{ flexWrap: 'wrap', fontSize: '12.5px' }}>
          <span>by {s.createdBy}</span>
          <span>·</span>
          <span title={formatTime(starts, utc)}>
            {s.status.state === 'pending' ? `starts ${formatAgo(starts)}` : `started ${formatAgo(starts)}`}
          </span>
          <span>·</span>
          <span title={formatTime(ends, utc)}>
            {s.status.state === 'expired' ? `expired ${formatAgo(ends)}` : `ends ${formatAgo(ends)}`}
          </span>
          <span>·</span>
          <span class="mono">{s.id.slice(0, 8)}</span>
          <span class="grow" />
          {s.status.state !== 'expired' && (
            <>
              <Link href={withParams('/alerts/silences/new', { id: s.id })} class="btn small">
                Edit
              </Link>
              <button
                type="button"
                class="btn small danger"
                onClick={props.onExpire}
                data-testid="expire-silence"
              >
                Expire
              </button>
            </>
          )}
          {s.status.state === 'expired' && (
            <Link
              href={withParams('/alerts/silences/new', { recreate: s.id })}
              class="btn small"
              data-testid="recreate-silence"
            >
              Recreate
            </Link>
          )}
        </div>
      </div>
    </div>
  );
}
