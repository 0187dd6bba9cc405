/**
 * Alertmanager's internal alert (types.Alert): the alert as posted plus the time it was last
 * updated and whether its end time is a guess (resolve_timeout) rather than the sender's.
 */
import { compareLabelSets, fingerprint, type LabelSet } from './labelset.ts';

/** An alert held by the pipeline. Times are Unix ms; endsAt 0 = not set. */
export interface AmAlert {
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly generatorURL: string;
  /** When Alertmanager last received it: the authoritative timestamp for merging. */
  readonly updatedAt: number;
  /** endsAt was set from resolve_timeout because the sender gave none. */
  readonly timeout: boolean;
  /** fingerprint(labels), cached. */
  readonly fingerprint: string;
}

/** Builds an alert, computing its fingerprint. */
export function newAlert(fields: Omit<AmAlert, 'fingerprint'>): AmAlert {
  return { ...fields, fingerprint: fingerprint(fields.labels) };
}

/** Resolved at `now`: it has an end time and that time has come (model.Alert.ResolvedAt). */
export function resolvedAt(a: AmAlert, now: number): boolean {
  return a.endsAt !== 0 && a.endsAt <= now;
}

/** "firing" or "resolved" at `now`. */
export function alertStatus(a: AmAlert, now: number): 'firing' | 'resolved' {
  return resolvedAt(a, now) ? 'resolved' : 'firing';
}

/** A group's status: firing when any alert fires (model.Alerts.Status). */
export function alertsStatus(alerts: readonly AmAlert[], now: number): 'firing' | 'resolved' {
  return alerts.some((a) => !resolvedAt(a, now)) ? 'firing' : 'resolved';
}

/**
 * Alertmanager's Alert.Merge: the younger alert (by updatedAt) wins, keeping the earliest start;
 * an explicit end time from the older one survives if it is later and not a timeout guess.
 */
export function mergeAlerts(a: AmAlert, o: AmAlert, now: number): AmAlert {
  if (o.updatedAt < a.updatedAt) return mergeAlerts(o, a, now);
  let startsAt = o.startsAt;
  let endsAt = o.endsAt;
  if (a.startsAt < o.startsAt) startsAt = a.startsAt;
  if (resolvedAt(o, now)) {
    if (resolvedAt(a, now) && a.endsAt > o.endsAt) endsAt = a.endsAt;
  } else if (a.endsAt > o.endsAt && !a.timeout) {
    endsAt = a.endsAt;
  }
  return { ...o, startsAt, endsAt };
}

/**
 * Alertmanager's sort order for alerts in a notification: by `job`, then `instance` (alerts
 * lacking the label last), then by the whole label set.
 */
export function compareAlerts(a: AmAlert, b: AmAlert): number {
  for (const key of ['job', 'instance']) {
    const av = a.labels[key];
    const bv = b.labels[key];
    if (av === undefined && bv === undefined) continue;
    if (av === undefined) return 1;
    if (bv === undefined) return -1;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return compareLabelSets(a.labels, b.labels);
}
