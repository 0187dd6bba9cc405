/**
 * Creating (or editing, or recreating) a silence: a matcher editor, start and duration, creator
 * and comment, and a live preview of the alerts the matchers would silence.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorBox, Spinner } from '../../components/feedback.tsx';
import { Icon } from '../../components/icons.tsx';
import { LabelChips } from '../../components/labels.tsx';
import {
  type AmMatcher,
  alerts,
  createSilence,
  formatMatcher,
  silence as getSilence,
} from '../../lib/alertmanager.ts';
import { navigate, useLocation, withParams } from '../../lib/router.ts';
import { useSettings } from '../../lib/settings.ts';
import { formatDuration, formatTime, parseDuration, parseTimeExpr } from '../../lib/time.ts';
import { useAsync } from '../../lib/use-async.ts';
import { splitMatchers } from './alert-groups.tsx';

type Op = '=' | '!=' | '=~' | '!~';
interface MatcherRow {
  name: string;
  op: Op;
  value: string;
}

const CREATOR_KEY = 'vigil.silence.creator';

function toRow(m: AmMatcher): MatcherRow {
  const op: Op = m.isRegex ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=';
  return { name: m.name, op, value: m.value };
}

function toMatcher(r: MatcherRow): AmMatcher {
  return { name: r.name.trim(), value: r.value, isRegex: r.op.includes('~'), isEqual: !r.op.startsWith('!') };
}

function rowsFromText(text: string): MatcherRow[] {
  const { matchers } = splitMatchers(text);
  const rows: MatcherRow[] = [];
  for (const m of matchers) {
    const match = /^([^=!~]+)(=~|!~|!=|=)"(.*)"$/.exec(m);
    if (match)
      rows.push({ name: match[1], op: match[2] as Op, value: JSON.parse(`"${match[3]}"`) as string });
  }
  return rows;
}

/** Problems that stop the silence from being saved, for people. */
function validate(
  rows: MatcherRow[],
  duration: number | undefined,
  creator: string,
  comment: string,
): string[] {
  const problems: string[] = [];
  if (rows.length === 0) problems.push('Add at least one matcher.');
  rows.forEach((r, i) => {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(r.name.trim()))
      problems.push(`Matcher ${i + 1}: "${r.name}" is not a valid label name.`);
    if (r.op.includes('~')) {
      try {
        new RegExp(`^(?:${r.value})$`);
      } catch (err) {
        problems.push(
          `Matcher ${i + 1}: the regular expression does not compile (${(err as Error).message}).`,
        );
      }
    }
  });
  if (rows.length > 0 && rows.every((r) => toMatchesEmpty(r)))
    problems.push(
      'At least one matcher must not match the empty string, or the silence would match every alert.',
    );
  if (!duration || duration <= 0) problems.push('Give a duration such as 2h or 1d.');
  if (!creator.trim()) problems.push('Say who creates the silence.');
  if (!comment.trim()) problems.push('Add a comment saying why.');
  return problems;
}

function toMatchesEmpty(r: MatcherRow): boolean {
  const m = toMatcher(r);
  let matches: boolean;
  if (m.isRegex) {
    try {
      matches = new RegExp(`^(?:${m.value})$`).test('');
    } catch {
      return false;
    }
  } else matches = m.value === '';
  return m.isEqual === false ? !matches : matches;
}

export function SilenceEditor() {
  const { utc } = useSettings();
  const loc = useLocation();
  const editId = loc.params.get('id') ?? undefined;
  const recreateId = loc.params.get('recreate') ?? undefined;
  const [rows, setRows] = useState<MatcherRow[]>(() => {
    const r = rowsFromText(loc.params.get('matchers') ?? '');
    return r.length > 0 ? r : [{ name: 'alertname', op: '=', value: '' }];
  });
  const [start, setStart] = useState('now');
  const [durationText, setDurationText] = useState('2h');
  const [creator, setCreator] = useState(() => localStorage.getItem(CREATOR_KEY) ?? '');
  const [comment, setComment] = useState('');
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>();
  const [touched, setTouched] = useState(false);

  // Editing or recreating: start from the existing silence.
  const source = useAsync(
    (signal) => (editId || recreateId ? getSilence((editId ?? recreateId)!, signal) : undefined),
    [editId, recreateId],
  );
  useEffect(() => {
    const s = source.data;
    if (!s) return;
    setRows(s.matchers.map(toRow));
    setCreator(s.createdBy);
    setComment(s.comment);
    const span = Date.parse(s.endsAt) - Date.parse(s.startsAt);
    if (span > 0) setDurationText(formatDuration(span));
    if (editId && Date.parse(s.startsAt) > Date.now()) setStart(s.startsAt);
  }, [source.data, editId]);

  const duration = parseDuration(durationText);
  const startMs =
    parseTimeExpr(start, Date.now()) ?? (Number.isNaN(Date.parse(start)) ? undefined : Date.parse(start));
  const problems = validate(rows, duration, creator, comment);
  const matcherStrings = useMemo(
    () => rows.filter((r) => r.name.trim()).map((r) => formatMatcher(toMatcher(r))),
    [rows],
  );

  // The alerts these matchers would silence, refreshed as the matchers change.
  const [debounced, setDebounced] = useState(matcherStrings);
  useEffect(() => {
    const id = setTimeout(() => setDebounced(matcherStrings), 250);
    return () => clearTimeout(id);
  }, [matcherStrings]);
  const preview = useAsync(
    (signal) =>
      debounced.length === 0 || rows.some((r) => !r.name.trim())
        ? undefined
        : alerts({ filter: debounced, silenced: true, inhibited: true, active: true }, signal),
    [debounced.join('\u0000')],
  );

  const update = (i: number, patch: Partial<MatcherRow>) =>
    setRows((prev) => prev.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  const save = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (problems.length > 0 || startMs === undefined || !duration) return;
    setSaving(true);
    setSaveError(undefined);
    try {
      localStorage.setItem(CREATOR_KEY, creator.trim());
      const startsAt = new Date(startMs).toISOString();
      const endsAt = new Date(startMs + duration).toISOString();
      const res = await createSilence({
        id: editId,
        matchers: rows.map(toMatcher),
        startsAt,
        endsAt,
        createdBy: creator.trim(),
        comment: comment.trim(),
      });
      navigate(withParams('/alerts/silences', { highlight: res.silenceID }));
    } catch (err) {
      setSaveError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="silence-editor" onSubmit={save}>
      <div class="card">
        <div class="card-header">
          <h2>{editId ? 'Edit silence' : recreateId ? 'Recreate silence' : 'New silence'}</h2>
          {source.loading && <Spinner />}
        </div>
        <div class="card-body stack">
          {source.error !== undefined && <ErrorBox title="Cannot load the silence" error={source.error} />}
          <div class="field">
            <span>Matchers — alerts matching all of them are silenced</span>
            {rows.map((r, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place by position
              <div class="row matcher-row" key={i} data-testid="matcher-row">
                <input
                  class="input mono"
                  style={{ width: '180px' }}
                  value={r.name}
                  placeholder="label"
                  aria-label={`Matcher ${i + 1} label name`}
                  onInput={(e) => update(i, { name: e.currentTarget.value })}
                />
                <select
                  class="select mono"
                  value={r.op}
                  aria-label={`Matcher ${i + 1} operator`}
                  onChange={(e) => update(i, { op: e.currentTarget.value as Op })}
                >
                  {(['=', '!=', '=~', '!~'] as const).map((op) => (
                    <option key={op} value={op}>
                      {op}
                    </option>
                  ))}
                </select>
                <input
                  class="input mono grow"
                  value={r.value}
                  placeholder={r.op.includes('~') ? 'regular expression' : 'value'}
                  aria-label={`Matcher ${i + 1} value`}
                  onInput={(e) => update(i, { value: e.currentTarget.value })}
                />
                <button
                  type="button"
                  class="icon-button"
                  aria-label={`Remove matcher ${i + 1}`}
                  onClick={() => setRows((prev) => prev.filter((_, j) => j !== i))}
                >
                  <Icon name="close" size={16} />
                </button>
              </div>
            ))}
            <div>
              <button
                type="button"
                class="btn small"
                onClick={() => setRows((prev) => [...prev, { name: '', op: '=', value: '' }])}
              >
                <Icon name="plus" size={14} />
                Add matcher
              </button>
            </div>
          </div>
          <div class="row" style={{ alignItems: 'flex-start', gap: '14px', flexWrap: 'wrap' }}>
            <label class="field">
              <span>Starts</span>
              <input
                class={`input mono${startMs === undefined ? ' invalid' : ''}`}
                value={start}
                onInput={(e) => setStart(e.currentTarget.value)}
                name="start"
              />
            </label>
            <label class="field">
              <span>Duration</span>
              <input
                class={`input mono${duration ? '' : ' invalid'}`}
                style={{ width: '110px' }}
                value={durationText}
                onInput={(e) => setDurationText(e.currentTarget.value)}
                name="duration"
              />
            </label>
            <div class="field">
              <span>Ends</span>
              <div class="mono" style={{ height: '30px', display: 'flex', alignItems: 'center' }}>
                {startMs !== undefined && duration ? formatTime(startMs + duration, utc) : '–'}
                <span class="muted" style={{ marginLeft: '6px' }}>
                  {utc ? 'UTC' : ''}
                </span>
              </div>
            </div>
          </div>
          <div class="row" style={{ alignItems: 'flex-start', gap: '14px', flexWrap: 'wrap' }}>
            <label class="field">
              <span>Created by</span>
              <input
                class="input"
                style={{ width: '220px' }}
                value={creator}
                onInput={(e) => setCreator(e.currentTarget.value)}
                name="createdBy"
              />
            </label>
            <label class="field grow">
              <span>Comment</span>
              <input
                class="input"
                value={comment}
                placeholder="Why this silence exists (a ticket, a maintenance window)"
                onInput={(e) => setComment(e.currentTarget.value)}
                name="comment"
              />
            </label>
          </div>
          {touched && problems.length > 0 && (
            <div class="error-box compact" role="alert">
              {problems.map((p) => (
                <div key={p}>{p}</div>
              ))}
            </div>
          )}
          {saveError !== undefined && <ErrorBox title="The silence was not saved" error={saveError} />}
          <div class="row">
            <button type="submit" class="btn primary" disabled={saving} data-testid="save-silence">
              {editId ? 'Update silence' : 'Create silence'}
            </button>
            <button type="button" class="btn" onClick={() => history.back()}>
              Cancel
            </button>
          </div>
        </div>
      </div>

      <div class="card" data-testid="silence-preview">
        <div class="card-header">
          <h2>Affected alerts</h2>
          {preview.loading && <Spinner />}
          <span class="grow" />
          {preview.data && (
            <span class="badge" data-testid="preview-count">
              {preview.data.length}
            </span>
          )}
        </div>
        <div class="card-body">
          {preview.error !== undefined && <ErrorBox compact error={preview.error} />}
          {preview.data?.length === 0 && <div class="muted">No alert firing now matches these matchers.</div>}
          {preview.data?.map((a) => (
            <div class="preview-alert" key={a.fingerprint}>
              <strong>{a.labels.alertname}</strong>
              <LabelChips labels={a.labels} omit={['alertname']} />
            </div>
          ))}
        </div>
      </div>
    </form>
  );
}
