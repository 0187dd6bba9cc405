/**
 * The data notification templates and webhook payloads see (Alertmanager's template.Data), built
 * exactly as Alertmanager builds it: the receiver name regex-quoted, firing alerts with a zero end
 * time, common labels and annotations shared by every alert of the notification.
 */
import { type AmAlert, alertStatus, alertsStatus, resolvedAt } from '../alert.ts';
import type { LabelSet } from '../labelset.ts';

/** One alert in template data. Times are Unix ms (0 = Go's zero time). */
export interface TemplateAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly generatorURL: string;
  readonly fingerprint: string;
}

export interface TemplateData {
  readonly receiver: string;
  readonly status: 'firing' | 'resolved';
  readonly alerts: readonly TemplateAlert[];
  readonly groupLabels: LabelSet;
  readonly commonLabels: LabelSet;
  readonly commonAnnotations: LabelSet;
  readonly externalURL: string;
}

/** Builds template data for a notification of `alerts` (already sorted) at `now`. */
export function templateData(
  receiver: string,
  groupLabels: LabelSet,
  alerts: readonly AmAlert[],
  externalURL: string,
  now: number,
): TemplateData {
  const out: TemplateAlert[] = alerts.map((a) => ({
    status: alertStatus(a, now),
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    // An end time that has not come yet is not shown (types.Alerts).
    endsAt: resolvedAt(a, now) ? a.endsAt : 0,
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint,
  }));
  let commonLabels: Record<string, string> = {};
  let commonAnnotations: Record<string, string> = {};
  if (alerts.length > 0) {
    commonLabels = { ...alerts[0].labels };
    commonAnnotations = { ...alerts[0].annotations };
    for (const a of alerts.slice(1)) {
      for (const k of Object.keys(commonLabels)) if (a.labels[k] !== commonLabels[k]) delete commonLabels[k];
      for (const k of Object.keys(commonAnnotations)) {
        if (a.annotations[k] !== commonAnnotations[k]) delete commonAnnotations[k];
      }
    }
  }
  return {
    receiver: quoteMeta(receiver),
    status: alertsStatus(alerts, now),
    alerts: out,
    groupLabels: { ...groupLabels },
    commonLabels,
    commonAnnotations,
    externalURL,
  };
}

/** Go's regexp.QuoteMeta, which Alertmanager applies to the receiver name in template data. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** KV.SortedPairs: `alertname` first, then the other names in order. */
export function sortedPairs(kv: LabelSet): { name: string; value: string }[] {
  const names = Object.keys(kv)
    .filter((n) => n !== 'alertname')
    .sort();
  if ('alertname' in kv) names.unshift('alertname');
  return names.map((name) => ({ name, value: kv[name] }));
}
