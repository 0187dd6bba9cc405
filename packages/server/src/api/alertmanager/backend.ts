/**
 * What the Alertmanager API v2 needs from the notification pipeline. alerting/ implements it; the
 * API only shapes requests and responses.
 */
import type { AmAlert } from '../../alerting/alert.ts';
import type { FatigueStatus, PostableAlert } from '../../alerting/alertmanager.ts';
import type { AlertStatus } from '../../alerting/marker.ts';
import type { RateLimitStatus } from '../../alerting/ratelimit.ts';
import type { Silence } from '../../alerting/silences.ts';

export interface AlertGroupData {
  readonly labels: Readonly<Record<string, string>>;
  readonly receiver: string;
  readonly alerts: readonly AmAlert[];
}

export interface AlertmanagerBackend {
  /** Unix ms. */
  now(): number;
  readonly startedAt: number;
  readonly version: string;
  /** Stores alerts; returns one message per rejected alert. */
  receive(alerts: readonly PostableAlert[]): string[];
  /** Every alert held (resolved ones until garbage collection). */
  alerts(): readonly AmAlert[];
  /** Recomputes and returns an alert's silenced/inhibited status. */
  status(alert: AmAlert): AlertStatus;
  /** Receivers of the routes the labels match. */
  receiversFor(labels: Readonly<Record<string, string>>): string[];
  /** Aggregation groups passing the filters, and each alert's receivers. */
  groups(
    receiverFilter: (receiver: string) => boolean,
    alertFilter: (a: AmAlert) => boolean,
  ): { groups: readonly AlertGroupData[]; receivers: ReadonlyMap<string, readonly string[]> };
  silences(): readonly Silence[];
  silence(id: string): Silence | undefined;
  /** Creates or updates; throws SilenceError (400) or SilenceNotFoundError (404). */
  setSilence(input: Omit<Silence, 'id' | 'updatedAt'> & { readonly id?: string }): string;
  /** Throws SilenceNotFoundError. */
  expireSilence(id: string): void;
  /** The configuration as shown in /api/v2/status. */
  originalConfig(): string;
  receiverNames(): string[];
  /** Vigil's alert-fatigue state of an alert (flapping, held for a rate-limit digest). */
  fatigue(alert: AmAlert): FatigueStatus;
  /** Receivers with a rate limit and their usage. */
  rateLimits(): RateLimitStatus[];
}
