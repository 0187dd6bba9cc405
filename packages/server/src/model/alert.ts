import type { Labels } from './labels.ts';

/**
 * An alert as the rules engine hands it to alerting, and as Alertmanager's API v2 receives it
 * (POST /api/v2/alerts). Times are Unix milliseconds; `endsAt` 0 means "not known yet" (the
 * alert stays active until it is resolved or times out).
 */
export interface Alert {
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly generatorURL: string;
}

/** Where rules send firing and resolved alerts (Prometheus's rules.NotifyFunc). Must not throw. */
export type NotifyFunc = (alerts: readonly Alert[]) => void;
