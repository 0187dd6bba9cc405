/**
 * Builds each receiver's integrations from its config: one per `*_configs` entry, named and
 * numbered as Alertmanager does (the notification log keys on receiver/integration/index).
 */
import type { AmReceiverConfig } from '../../config/alerting.ts';
import { EmailNotifier } from './email.ts';
import type { Notifier, ReceiverEnv } from './notifier.ts';
import { OpsgenieNotifier } from './opsgenie.ts';
import { PagerdutyNotifier } from './pagerduty.ts';
import { SlackNotifier } from './slack.ts';
import { WebhookNotifier } from './webhook.ts';

export type { Notifier, NotifyContext, ReceiverEnv } from './notifier.ts';
export { NotifyError } from './notifier.ts';

export type IntegrationName = 'webhook' | 'slack' | 'pagerduty' | 'email' | 'opsgenie';

/** One configured way of notifying a receiver. */
export interface Integration {
  readonly name: IntegrationName;
  /** Position among the receiver's integrations of the same kind. */
  readonly index: number;
  readonly sendResolved: boolean;
  readonly notifier: Notifier;
}

/** All integrations of a receiver, in Alertmanager's order. */
export function buildIntegrations(rcv: AmReceiverConfig, env: ReceiverEnv): Integration[] {
  const out: Integration[] = [];
  // Alertmanager's order (buildReceiverIntegrations).
  for (const [i, c] of rcv.webhook_configs.entries()) {
    out.push({
      name: 'webhook',
      index: i,
      sendResolved: c.send_resolved,
      notifier: new WebhookNotifier(c, env),
    });
  }
  for (const [i, c] of rcv.email_configs.entries()) {
    out.push({ name: 'email', index: i, sendResolved: c.send_resolved, notifier: new EmailNotifier(c, env) });
  }
  for (const [i, c] of rcv.pagerduty_configs.entries()) {
    out.push({
      name: 'pagerduty',
      index: i,
      sendResolved: c.send_resolved,
      notifier: new PagerdutyNotifier(c, env),
    });
  }
  for (const [i, c] of rcv.opsgenie_configs.entries()) {
    out.push({
      name: 'opsgenie',
      index: i,
      sendResolved: c.send_resolved,
      notifier: new OpsgenieNotifier(c, env),
    });
  }
  for (const [i, c] of rcv.slack_configs.entries()) {
    out.push({ name: 'slack', index: i, sendResolved: c.send_resolved, notifier: new SlackNotifier(c, env) });
  }
  return out;
}

/** Every template string a receiver config renders, to check them when the config loads. */
export function receiverTemplates(rcv: AmReceiverConfig): { path: string; source: string }[] {
  const out: { path: string; source: string }[] = [];
  const add = (path: string, source: string | undefined) => {
    if (source) out.push({ path, source });
  };
  rcv.slack_configs.forEach((c, i) => {
    const p = `slack_configs.${i}`;
    for (const k of [
      'channel',
      'username',
      'color',
      'title',
      'title_link',
      'pretext',
      'text',
      'footer',
      'fallback',
      'callback_id',
      'icon_emoji',
      'icon_url',
      'image_url',
      'thumb_url',
    ] as const)
      add(`${p}.${k}`, c[k]);
    c.fields.forEach((f, j) => {
      add(`${p}.fields.${j}.title`, f.title);
      add(`${p}.fields.${j}.value`, f.value);
    });
  });
  rcv.pagerduty_configs.forEach((c, i) => {
    const p = `pagerduty_configs.${i}`;
    for (const k of [
      'client',
      'client_url',
      'description',
      'source',
      'severity',
      'class',
      'component',
      'group',
    ] as const)
      add(`${p}.${k}`, c[k]);
    for (const [k, v] of Object.entries(c.details)) add(`${p}.details.${k}`, v);
  });
  rcv.opsgenie_configs.forEach((c, i) => {
    const p = `opsgenie_configs.${i}`;
    for (const k of [
      'message',
      'description',
      'source',
      'entity',
      'actions',
      'tags',
      'note',
      'priority',
    ] as const)
      add(`${p}.${k}`, c[k]);
    for (const [k, v] of Object.entries(c.details ?? {})) add(`${p}.details.${k}`, v);
  });
  rcv.email_configs.forEach((c, i) => {
    const p = `email_configs.${i}`;
    add(`${p}.to`, c.to);
    add(`${p}.from`, c.from);
    add(`${p}.html`, c.html);
    add(`${p}.text`, c.text);
    for (const [k, v] of Object.entries(c.headers)) add(`${p}.headers.${k}`, v);
  });
  return out;
}
