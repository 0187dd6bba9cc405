/**
 * pagerduty_configs: PagerDuty Events API v2 (`routing_key`): one `trigger` event per group while
 * anything fires and a `resolve` when all is resolved, deduplicated by the SHA-256 of the group
 * key (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/). The v1 API
 * (`service_key`) is sent as Alertmanager sends it, to the URL configured.
 */
import type { PagerdutyConfig } from '../../config/alerting.ts';
import { type AmAlert, alertsStatus } from '../alert.ts';
import { checkResponse, readSecretFile, request } from './http.ts';
import {
  dataFor,
  groupKeyHash,
  type Notifier,
  type NotifyContext,
  NotifyError,
  type ReceiverEnv,
  textRenderer,
  truncateRunes,
} from './notifier.ts';
import { goJson } from './webhook.ts';

const MAX_SUMMARY_RUNES = 1024;
/** PagerDuty rejects events over 512 KB. */
const MAX_EVENT_BYTES = 512_000;
const V1_URL = 'https://events.pagerduty.com/generic/2010-04-15/create_event.json';

export class PagerdutyNotifier implements Notifier {
  constructor(
    private readonly config: PagerdutyConfig,
    private readonly env: ReceiverEnv,
  ) {}

  /** The event body (exported shape for tests). */
  async event(ctx: NotifyContext, alerts: readonly AmAlert[]): Promise<Record<string, unknown>> {
    const c = this.config;
    const data = dataFor(this.env, ctx, alerts);
    const { tmpl, check } = textRenderer(this.env, data);
    const resolved = alertsStatus(alerts, ctx.now) === 'resolved';
    const dedupKey = await groupKeyHash(ctx.groupKey);
    const details: Record<string, string> = {};
    for (const k of Object.keys(c.details).sort()) details[k] = tmpl(c.details[k]);

    if (c.service_key || c.service_key_file) {
      const serviceKey = c.service_key || readSecretFile(c.service_key_file);
      const msg: Record<string, unknown> = {
        service_key: tmpl(serviceKey),
        incident_key: dedupKey,
        event_type: resolved ? 'resolve' : 'trigger',
        description: truncateRunes(tmpl(c.description), MAX_SUMMARY_RUNES).text,
        details,
      };
      if (!resolved) {
        msg.client = tmpl(c.client);
        msg.client_url = tmpl(c.client_url);
      }
      check('PagerDuty template');
      return msg;
    }

    const routingKey = c.routing_key || readSecretFile(c.routing_key_file);
    const payload: Record<string, unknown> = {
      summary: truncateRunes(tmpl(c.description), MAX_SUMMARY_RUNES).text,
      source: tmpl(c.source),
      severity: tmpl(c.severity || 'error'),
    };
    const optional = (key: string, value: string) => {
      if (value !== '') payload[key] = value;
    };
    optional('class', tmpl(c.class));
    optional('component', tmpl(c.component));
    optional('group', tmpl(c.group));
    payload.custom_details = details;
    const msg: Record<string, unknown> = {
      routing_key: tmpl(routingKey),
      dedup_key: dedupKey,
      event_action: resolved ? 'resolve' : 'trigger',
      payload,
    };
    const client = tmpl(c.client);
    const clientUrl = tmpl(c.client_url);
    if (client) msg.client = client;
    if (clientUrl) msg.client_url = clientUrl;
    const images = c.images
      .map((i) => ({ src: tmpl(i.src), alt: tmpl(i.alt), href: tmpl(i.href) }))
      .filter((i) => i.src !== '');
    const links = c.links
      .map((l) => ({ href: tmpl(l.href), text: tmpl(l.text) }))
      .filter((l) => l.href !== '');
    if (images.length) msg.images = images;
    if (links.length) msg.links = links;
    check('PagerDuty template');
    if (msg.routing_key === '') throw new NotifyError('routing key cannot be empty', false);
    return msg;
  }

  async notify(ctx: NotifyContext, alerts: readonly AmAlert[]): Promise<void> {
    const v1 = Boolean(this.config.service_key || this.config.service_key_file);
    const msg = await this.event(ctx, alerts);
    let body = `${goJson(msg)}\n`;
    if (Buffer.byteLength(body) > MAX_EVENT_BYTES) {
      // Alertmanager drops the details (firing/resolved lists) rather than fail.
      const trimmed = { ...msg } as Record<string, unknown>;
      if (v1)
        trimmed.details = {
          error:
            'Custom details have been removed because the original event exceeds the maximum size of 512KB',
        };
      else {
        trimmed.payload = {
          ...(msg.payload as Record<string, unknown>),
          custom_details: {
            error:
              'Custom details have been removed because the original event exceeds the maximum size of 512KB',
          },
        };
      }
      body = `${goJson(trimmed)}\n`;
    }
    const url =
      v1 && this.config.url === 'https://events.pagerduty.com/v2/enqueue'
        ? V1_URL
        : (this.config.url as string);
    const res = await request(url, {
      headers: { 'content-type': 'application/json' },
      body,
      signal: ctx.signal,
      httpConfig: this.config.http_config,
    });
    // Rate limits: v2 answers 429, v1 answers 403; both are worth retrying.
    checkResponse(res, [v1 ? 403 : 429]);
  }
}
