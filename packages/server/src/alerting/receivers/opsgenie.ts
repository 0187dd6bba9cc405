/**
 * opsgenie_configs: OpsGenie's Alert API v2. Firing groups create (or update) an alert whose
 * alias is the SHA-256 of the group key; resolved groups close it
 * (https://docs.opsgenie.com/docs/alert-api).
 */
import type { OpsgenieConfig } from '../../config/alerting.ts';
import { type AmAlert, alertsStatus } from '../alert.ts';
import { checkResponse, readSecretFile, request } from './http.ts';
import {
  dataFor,
  groupKeyHash,
  type Notifier,
  type NotifyContext,
  type ReceiverEnv,
  textRenderer,
  truncateRunes,
} from './notifier.ts';
import { goJson } from './webhook.ts';

const MAX_MESSAGE_RUNES = 130;

/** One request the notifier makes (exported shape for tests). */
export interface OpsgenieRequest {
  readonly method: 'POST' | 'PUT';
  readonly url: string;
  readonly body: Record<string, unknown>;
}

function splitList(s: string): string[] {
  return s
    .trim()
    .split(',')
    .filter((x) => x !== '');
}

export class OpsgenieNotifier implements Notifier {
  constructor(
    private readonly config: OpsgenieConfig,
    private readonly env: ReceiverEnv,
  ) {}

  async requests(
    ctx: NotifyContext,
    alerts: readonly AmAlert[],
  ): Promise<{ requests: OpsgenieRequest[]; apiKey: string }> {
    const c = this.config;
    const data = dataFor(this.env, ctx, alerts);
    const { tmpl, check } = textRenderer(this.env, data);
    const alias = await groupKeyHash(ctx.groupKey);
    const base = c.api_url as string;
    const requests: OpsgenieRequest[] = [];
    if (alertsStatus(alerts, ctx.now) === 'resolved') {
      requests.push({
        method: 'POST',
        url: `${base}v2/alerts/${alias}/close?identifierType=alias`,
        body: { source: tmpl(c.source) },
      });
    } else {
      const details: Record<string, string> = { ...data.commonLabels };
      for (const [k, v] of Object.entries(c.details ?? {})) details[k] = tmpl(v);
      const responders: Record<string, string>[] = [];
      for (const r of c.responders) {
        const resp = { id: tmpl(r.id), name: tmpl(r.name), username: tmpl(r.username), type: tmpl(r.type) };
        if (!resp.id && !resp.name && !resp.username && !resp.type) continue;
        if (resp.type === 'teams') {
          for (const team of splitList(resp.name)) responders.push({ name: team, type: 'team' });
          continue;
        }
        const out: Record<string, string> = {};
        if (resp.id) out.id = resp.id;
        if (resp.name) out.name = resp.name;
        if (resp.username) out.username = resp.username;
        out.type = resp.type;
        responders.push(out);
      }
      const message = truncateRunes(tmpl(c.message), MAX_MESSAGE_RUNES).text;
      const body: Record<string, unknown> = { alias, message };
      const description = tmpl(c.description);
      if (description) body.description = description;
      body.details = details;
      body.source = tmpl(c.source);
      if (responders.length) body.responders = responders;
      const tags = splitList(tmpl(c.tags));
      if (tags.length) body.tags = tags;
      for (const [key, src] of [
        ['note', c.note],
        ['priority', c.priority],
        ['entity', c.entity],
      ] as const) {
        const v = tmpl(src);
        if (v) body[key] = v;
      }
      const actions = splitList(tmpl(c.actions));
      if (actions.length) body.actions = actions;
      requests.push({ method: 'POST', url: `${base}v2/alerts`, body });
      if (c.update_alerts) {
        requests.push({
          method: 'PUT',
          url: `${base}v2/alerts/${alias}/message?identifierType=alias`,
          body: { message },
        });
        requests.push({
          method: 'PUT',
          url: `${base}v2/alerts/${alias}/description?identifierType=alias`,
          body: description ? { description } : {},
        });
      }
    }
    const apiKey = tmpl(c.api_key || readSecretFile(c.api_key_file));
    check('OpsGenie template');
    return { requests, apiKey };
  }

  async notify(ctx: NotifyContext, alerts: readonly AmAlert[]): Promise<void> {
    const { requests, apiKey } = await this.requests(ctx, alerts);
    for (const r of requests) {
      const res = await request(r.url, {
        method: r.method,
        headers: { 'content-type': 'application/json', authorization: `GenieKey ${apiKey}` },
        body: `${goJson(r.body)}\n`,
        signal: ctx.signal,
        httpConfig: { ...this.config.http_config, basic_auth: undefined, authorization: undefined },
      });
      checkResponse(res, [429]);
    }
  }
}
