/**
 * Silences (Alertmanager's silence package): matchers that mute alerts between a start and an
 * end time, with who created them and why. They are kept in the data directory and survive
 * restarts; an expired silence is kept for the retention period (120h) and then garbage
 * collected. Changing the matchers or an active silence's start creates a new silence and expires
 * the old one, as Alertmanager does.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { fingerprint, type LabelSet } from './labelset.ts';
import type { Marker } from './marker.ts';
import { type AmMatcher, type AmMatchType, compileAnchored, MatcherError, newAmMatcher } from './matchers.ts';
import { Journal } from './persist.ts';

export type SilenceMatcherType = 'EQUAL' | 'NOT_EQUAL' | 'REGEXP' | 'NOT_REGEXP';

/** A silence matcher as stored (Alertmanager's silencepb.Matcher). */
export interface SilenceMatcher {
  readonly type: SilenceMatcherType;
  readonly name: string;
  readonly pattern: string;
}

export interface Silence {
  readonly id: string;
  readonly matchers: readonly SilenceMatcher[];
  /** Unix ms. */
  readonly startsAt: number;
  readonly endsAt: number;
  readonly updatedAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

export type SilenceState = 'expired' | 'active' | 'pending';

/** A silence that cannot be stored; the message says why (the API answers 400). */
export class SilenceError extends Error {}

/** No silence has the given ID (the API answers 404). */
export class SilenceNotFoundError extends Error {
  constructor(id: string) {
    super(`silence ${id} not found`);
  }
}

/** The state of a silence at `now` (Alertmanager's getState: both ends inclusive for active). */
export function silenceState(s: Pick<Silence, 'startsAt' | 'endsAt'>, now: number): SilenceState {
  if (now < s.startsAt) return 'pending';
  if (now > s.endsAt) return 'expired';
  return 'active';
}

const TYPES: Record<SilenceMatcherType, AmMatchType> = {
  EQUAL: '=',
  NOT_EQUAL: '!=',
  REGEXP: '=~',
  NOT_REGEXP: '!~',
};

interface StoredSilence {
  readonly silence: Silence;
  /** When GC may drop it: endsAt + retention. */
  readonly expiresAt: number;
}

export class Silences {
  private readonly state = new Map<string, StoredSilence>();
  private readonly matcherCache = new Map<Silence, AmMatcher[]>();
  private readonly journal: Journal<StoredSilence> | undefined;
  /** Increments whenever silences change; the silencer uses it to reuse cached results. */
  private versionCounter = 0;

  constructor(
    private readonly options: {
      readonly clock: Clock;
      readonly logger: Logger;
      readonly dataDir: string | undefined;
      /** How long an expired silence is kept (Alertmanager's --data.retention, 120h). */
      readonly retention: number;
    },
  ) {
    if (options.dataDir) {
      this.journal = new Journal<StoredSilence>(join(options.dataDir, 'silences.jsonl'), { fsync: true });
      for (const entry of this.journal.read((line) =>
        options.logger.warn(
          { file: this.journal!.path, line },
          'skipping an unreadable line in the silences file',
        ),
      )) {
        if (entry?.silence?.id) this.state.set(entry.silence.id, entry);
      }
      if (this.state.size > 0) this.versionCounter++;
    }
  }

  get version(): number {
    return this.versionCounter;
  }

  /**
   * Creates a silence (no id) or updates one (id given). Returns the ID, which is new when the
   * change cannot be made in place. Throws SilenceError or SilenceNotFoundError.
   */
  set(input: Omit<Silence, 'id' | 'updatedAt'> & { readonly id?: string }): string {
    const now = this.options.clock.now();
    const prev = input.id ? this.state.get(input.id)?.silence : undefined;
    if (input.id && !prev) throw new SilenceNotFoundError(input.id);
    if (prev) {
      const next: Silence = { ...input, id: prev.id, updatedAt: now };
      if (canUpdate(prev, next, now)) {
        this.store(next);
        return prev.id;
      }
      if (silenceState(prev, now) !== 'expired') this.expire(prev.id);
    }
    const silence: Silence = {
      ...input,
      id: randomUUID(),
      startsAt: input.startsAt < now ? now : input.startsAt,
      updatedAt: now,
    };
    this.store(silence);
    return silence.id;
  }

  /** Ends a silence now (a pending one never starts). Expiring an expired silence is a no-op. */
  expire(id: string): void {
    const prev = this.state.get(id)?.silence;
    if (!prev) throw new SilenceNotFoundError(id);
    const now = this.options.clock.now();
    const state = silenceState(prev, now);
    if (state === 'expired') return;
    const next: Silence =
      state === 'active'
        ? { ...prev, endsAt: now, updatedAt: now }
        : { ...prev, startsAt: now, endsAt: now, updatedAt: now };
    this.store(next);
  }

  get(id: string): Silence | undefined {
    return this.state.get(id)?.silence;
  }

  /** Every silence held (expired ones until GC). */
  list(): Silence[] {
    return [...this.state.values()].map((s) => s.silence);
  }

  /** Active and pending silences whose matchers all accept the label set. */
  matching(ls: LabelSet): Silence[] {
    const now = this.options.clock.now();
    const out: Silence[] = [];
    for (const { silence } of this.state.values()) {
      if (silenceState(silence, now) === 'expired') continue;
      if (this.matchers(silence).every((m) => m.matches(ls[m.name] ?? ''))) out.push(silence);
    }
    return out;
  }

  /** Silences by state at this moment. */
  count(state: SilenceState): number {
    const now = this.options.clock.now();
    let n = 0;
    for (const { silence } of this.state.values()) if (silenceState(silence, now) === state) n++;
    return n;
  }

  /** Drops silences whose retention has passed; returns how many. */
  gc(): number {
    const now = this.options.clock.now();
    let n = 0;
    for (const [id, s] of this.state) {
      if (s.expiresAt <= now) {
        this.state.delete(id);
        this.matcherCache.delete(s.silence);
        n++;
      }
    }
    if (this.journal && (n > 0 || this.journal.length > 2 * this.state.size + 100)) {
      try {
        this.journal.rewrite([...this.state.values()]);
      } catch (err) {
        this.options.logger.error({ err: (err as Error).message }, 'cannot compact the silences file');
      }
    }
    return n;
  }

  close(): void {
    this.journal?.close();
  }

  private matchers(s: Silence): AmMatcher[] {
    let ms = this.matcherCache.get(s);
    if (!ms) {
      ms = s.matchers.map((m) => newAmMatcher(TYPES[m.type], m.name, m.pattern));
      this.matcherCache.set(s, ms);
    }
    return ms;
  }

  private store(silence: Silence): void {
    validateSilence(silence);
    const prev = this.state.get(silence.id);
    if (prev) this.matcherCache.delete(prev.silence);
    const entry: StoredSilence = { silence, expiresAt: silence.endsAt + this.options.retention };
    // Written before it takes effect: a silence the API acknowledged must survive a crash.
    if (this.journal) {
      try {
        this.journal.append([entry]);
      } catch (err) {
        throw new Error(`cannot save the silence to ${this.journal.path}: ${(err as Error).message}`);
      }
    }
    this.state.set(silence.id, entry);
    this.versionCounter++;
  }
}

/** Alertmanager's canUpdate: same matchers, and the time change is allowed for the state. */
function canUpdate(a: Silence, b: Silence, now: number): boolean {
  if (JSON.stringify(a.matchers) !== JSON.stringify(b.matchers)) return false;
  switch (silenceState(a, now)) {
    case 'active':
      return Math.floor(b.startsAt / 1000) === Math.floor(a.startsAt / 1000) && b.endsAt >= now;
    case 'pending':
      return b.startsAt >= now;
    default:
      return false;
  }
}

/** Alertmanager's validateSilence, with its messages. */
export function validateSilence(s: Silence): void {
  if (!s.id) throw new SilenceError('silence invalid: ID missing');
  if (s.matchers.length === 0) throw new SilenceError('silence invalid: at least one matcher required');
  let allMatchEmpty = true;
  s.matchers.forEach((m, i) => {
    const problem = matcherProblem(m);
    if (problem) throw new SilenceError(`silence invalid: invalid label matcher ${i}: ${problem}`);
    allMatchEmpty &&= matchesEmpty(m);
  });
  if (allMatchEmpty)
    throw new SilenceError('silence invalid: at least one matcher must not match the empty string');
  if (!s.startsAt) throw new SilenceError('silence invalid: invalid zero start timestamp');
  if (!s.endsAt) throw new SilenceError('silence invalid: invalid zero end timestamp');
  if (s.endsAt < s.startsAt)
    throw new SilenceError('silence invalid: end time must not be before start time');
}

function matcherProblem(m: SilenceMatcher): string | undefined {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(m.name)) return `invalid label name ${JSON.stringify(m.name)}`;
  if (!(m.type in TYPES)) return `unknown matcher type ${JSON.stringify(m.type)}`;
  if (m.type === 'REGEXP' || m.type === 'NOT_REGEXP') {
    try {
      compileAnchored(m.pattern);
    } catch (err) {
      if (err instanceof MatcherError) return err.message;
      throw err;
    }
  }
  return undefined;
}

function matchesEmpty(m: SilenceMatcher): boolean {
  if (m.type === 'EQUAL') return m.pattern === '';
  if (m.type === 'REGEXP') return compileAnchored(m.pattern)('');
  return false;
}

/**
 * Mutes alerts matched by an active silence and records the result in the marker (Alertmanager's
 * Silencer). Results are reused while the silences have not changed.
 */
export class Silencer {
  constructor(
    private readonly silences: Silences,
    private readonly marker: Marker,
    private readonly clock: Clock,
  ) {}

  mutes(ls: LabelSet, fp = fingerprint(ls)): boolean {
    const now = this.clock.now();
    const cached = this.marker.silenced(fp);
    let candidates: Silence[];
    if (cached.version === this.silences.version) {
      if (cached.activeIds.length + cached.pendingIds.length === 0) return false;
      candidates = [...cached.activeIds, ...cached.pendingIds]
        .map((id) => this.silences.get(id))
        .filter((s): s is Silence => s !== undefined && silenceState(s, now) !== 'expired');
    } else {
      candidates = this.silences.matching(ls);
    }
    const active: string[] = [];
    const pending: string[] = [];
    for (const s of candidates) {
      const state = silenceState(s, now);
      if (state === 'active') active.push(s.id);
      else if (state === 'pending') pending.push(s.id);
    }
    active.sort();
    pending.sort();
    this.marker.setSilenced(fp, this.silences.version, active, pending);
    return active.length > 0;
  }
}
