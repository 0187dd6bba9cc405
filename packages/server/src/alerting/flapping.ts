/**
 * Flap detection (Vigil's alert-fatigue control; Alertmanager has none): every alert the store
 * receives is observed, and each change between firing and resolved is counted. An alert that
 * changes more than `maxChanges` times within `window` becomes "flapping": the dispatcher then
 * presents it as firing whatever it does, so its flaps cause no notifications, and the pipeline
 * notifies its group once when flapping begins. After `quietFor` without a change it is released
 * and its real state is notified as usual (a resolution, if it ended resolved).
 *
 * State changes are counted as the sender reports them: a new firing alert, a resolution (an
 * explicit end time, or the end time passing without a resend), a firing alert after a resolution.
 */
import type { FlapDetectionConfig } from '../config/alerting.ts';
import { type AmAlert, resolvedAt } from './alert.ts';

/** One alert's flap state, as the API shows it. */
export interface FlapStatus {
  /** Changes within the window (up to now). */
  readonly changes: number;
  readonly flapping: boolean;
  /** When the current flapping episode began (Unix ms); undefined when not flapping. */
  readonly flappingSince: number | undefined;
}

/** One alert's history as saved across restarts. */
export interface SavedHistory extends History {
  readonly fingerprint: string;
}

interface History {
  /** Firing as last reported. */
  firing: boolean;
  /** The end time last reported (0 = none): passing it without a resend is a resolution. */
  endsAt: number;
  /** Times of the changes within the window, oldest first. */
  changes: number[];
  lastChange: number;
  flappingSince: number | undefined;
}

export class FlapDetector {
  private readonly history = new Map<string, History>();

  constructor(private config: FlapDetectionConfig) {}

  /** Applies a new configuration (on reload); histories are kept. */
  update(config: FlapDetectionConfig): void {
    this.config = config;
  }

  /** Records what an alert received at `now` says about its state. */
  observe(alert: AmAlert, now: number): void {
    const firing = !resolvedAt(alert, now);
    let h = this.history.get(alert.fingerprint);
    if (!h) {
      // A first sighting counts as a change only when it fires (inactive → firing).
      h = { firing: false, endsAt: 0, changes: [], lastChange: 0, flappingSince: undefined };
      this.history.set(alert.fingerprint, h);
    }
    // It resolved by its own end time since it was last reported.
    if (h.firing && h.endsAt !== 0 && h.endsAt <= now) this.change(h, h.endsAt, false);
    if (firing !== h.firing) this.change(h, now, firing);
    h.endsAt = alert.endsAt;
  }

  /** The alert's flap state at `now`; releases it when it has been quiet for `quietFor`. */
  status(fp: string, now: number): FlapStatus {
    const h = this.history.get(fp);
    if (!h) return { changes: 0, flapping: false, flappingSince: undefined };
    if (h.firing && h.endsAt !== 0 && h.endsAt <= now) this.change(h, h.endsAt, false);
    if (h.flappingSince !== undefined && now - h.lastChange >= this.config.quietFor) {
      h.flappingSince = undefined;
      // A fresh start: the changes that made it flap do not count towards the next episode.
      h.changes = [];
    }
    const from = now - this.config.window;
    const changes = h.changes.filter((t) => t > from).length;
    return { changes, flapping: h.flappingSince !== undefined, flappingSince: h.flappingSince };
  }

  /** Forgets alerts that are resolved, not flapping and have had no change within the window. */
  gc(now: number): void {
    for (const [fp, h] of this.history) {
      const s = this.status(fp, now);
      const firing = h.firing && !(h.endsAt !== 0 && h.endsAt <= now);
      if (!firing && !s.flapping && s.changes === 0) this.history.delete(fp);
    }
  }

  /** How many alerts are flapping at `now`. */
  flappingCount(now: number): number {
    let n = 0;
    for (const fp of this.history.keys()) if (this.status(fp, now).flapping) n++;
    return n;
  }

  get size(): number {
    return this.history.size;
  }

  /** Every history, for saving across a restart. */
  save(): SavedHistory[] {
    return [...this.history].map(([fingerprint, h]) => ({ fingerprint, ...h, changes: [...h.changes] }));
  }

  /** Takes histories saved before a restart (ignoring malformed ones). */
  restore(saved: readonly SavedHistory[]): void {
    for (const s of saved) {
      if (typeof s?.fingerprint !== 'string' || !Array.isArray(s.changes)) continue;
      this.history.set(s.fingerprint, {
        firing: s.firing === true,
        endsAt: Number(s.endsAt) || 0,
        changes: s.changes.filter((t) => typeof t === 'number'),
        lastChange: Number(s.lastChange) || 0,
        flappingSince: typeof s.flappingSince === 'number' ? s.flappingSince : undefined,
      });
    }
  }

  private change(h: History, at: number, firing: boolean): void {
    h.firing = firing;
    h.lastChange = at;
    const from = at - this.config.window;
    h.changes = h.changes.filter((t) => t > from);
    h.changes.push(at);
    if (h.flappingSince === undefined && h.changes.length > this.config.maxChanges) h.flappingSince = at;
  }
}
