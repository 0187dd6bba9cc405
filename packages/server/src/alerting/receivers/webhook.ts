/**
 * webhook_configs: POSTs Alertmanager's webhook payload, version 4, byte-for-byte in the field
 * order and formats Alertmanager uses (Go's JSON encoding: map keys sorted, RFC 3339 times, a
 * trailing newline).
 */
import type { WebhookConfig } from '../../config/alerting.ts';
import type { AmAlert } from '../alert.ts';
import type { TemplateData } from '../template/index.ts';
import { formatRfc3339 } from '../time.ts';
import { checkResponse, request } from './http.ts';
import { dataFor, type Notifier, type NotifyContext, type ReceiverEnv } from './notifier.ts';

/** The payload as Alertmanager sends it. */
export function webhookPayload(data: TemplateData, groupKey: string, truncatedAlerts: number): string {
  return `${goJson({
    receiver: data.receiver,
    status: data.status,
    alerts: data.alerts.map((a) => ({
      status: a.status,
      labels: sortedObject(a.labels),
      annotations: sortedObject(a.annotations),
      startsAt: formatRfc3339(a.startsAt),
      endsAt: formatRfc3339(a.endsAt),
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
    groupLabels: sortedObject(data.groupLabels),
    commonLabels: sortedObject(data.commonLabels),
    commonAnnotations: sortedObject(data.commonAnnotations),
    externalURL: data.externalURL,
    version: '4',
    groupKey,
    truncatedAlerts,
  })}\n`;
}

/**
 * JSON as Go's encoding/json writes it: like JSON.stringify, plus the HTML-safe escapes Go's
 * encoder applies by default (<, >, &, U+2028, U+2029).
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Go marshals maps with sorted keys. */
export function sortedObject(kv: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(kv).sort()) out[k] = kv[k];
  return out;
}

export class WebhookNotifier implements Notifier {
  constructor(
    private readonly config: WebhookConfig,
    private readonly env: ReceiverEnv,
  ) {}

  async notify(ctx: NotifyContext, alerts: readonly AmAlert[]): Promise<void> {
    const max = this.config.max_alerts;
    const sent = max > 0 && alerts.length > max ? alerts.slice(0, max) : alerts;
    const body = webhookPayload(dataFor(this.env, ctx, sent), ctx.groupKey, alerts.length - sent.length);
    const res = await request(this.config.url, {
      headers: { 'content-type': 'application/json' },
      body,
      signal: ctx.signal,
      httpConfig: this.config.http_config,
    });
    checkResponse(res, [], `${this.config.url}: `);
  }
}
