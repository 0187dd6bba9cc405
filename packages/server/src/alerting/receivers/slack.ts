/**
 * slack_configs: posts an incoming-webhook message with one attachment, as Alertmanager does
 * (https://api.slack.com/messaging/webhooks, legacy attachment fields). Only 5xx answers are
 * retried, as Slack documents.
 */
import type { SlackConfig } from '../../config/alerting.ts';
import type { AmAlert } from '../alert.ts';
import { checkResponse, readSecretFile, request } from './http.ts';
import {
  dataFor,
  type Notifier,
  type NotifyContext,
  type ReceiverEnv,
  textRenderer,
  truncateRunes,
} from './notifier.ts';
import { goJson } from './webhook.ts';

/** Slack's limit for attachment titles. */
const MAX_TITLE_RUNES = 1024;

export class SlackNotifier implements Notifier {
  constructor(
    private readonly config: SlackConfig,
    private readonly env: ReceiverEnv,
  ) {}

  /** The message body (exported shape for tests). */
  message(ctx: NotifyContext, alerts: readonly AmAlert[]): Record<string, unknown> {
    const c = this.config;
    const { tmpl, check } = textRenderer(this.env, dataFor(this.env, ctx, alerts));
    const attachment: Record<string, unknown> = {};
    const set = (key: string, value: string, always = false) => {
      if (value !== '' || always) attachment[key] = value;
    };
    set('title', truncateRunes(tmpl(c.title), MAX_TITLE_RUNES).text);
    set('title_link', tmpl(c.title_link));
    set('pretext', tmpl(c.pretext));
    set('text', tmpl(c.text), true);
    set('fallback', tmpl(c.fallback), true);
    set('callback_id', tmpl(c.callback_id), true);
    if (c.fields.length > 0) {
      attachment.fields = c.fields.map((f) => ({
        title: tmpl(f.title),
        value: tmpl(f.value),
        short: f.short ?? c.short_fields,
      }));
    }
    if (c.actions.length > 0) {
      attachment.actions = c.actions.map((a) => {
        const out: Record<string, unknown> = {};
        for (const key of ['type', 'text', 'url', 'style', 'name', 'value'] as const) {
          const v = tmpl(a[key]);
          if (v !== '') out[key] = v;
        }
        if (a.confirm) {
          const confirm: Record<string, string> = {};
          for (const [key, src] of [
            ['text', a.confirm.text],
            ['title', a.confirm.title],
            ['ok_text', a.confirm.ok_text],
            ['dismiss_text', a.confirm.dismiss_text],
          ] as const) {
            const v = tmpl(src);
            if (v !== '') confirm[key] = v;
          }
          out.confirm = confirm;
        }
        return out;
      });
    }
    set('image_url', tmpl(c.image_url));
    set('thumb_url', tmpl(c.thumb_url));
    set('footer', tmpl(c.footer), true);
    set('color', tmpl(c.color));
    attachment.mrkdwn_in = c.mrkdwn_in.length > 0 ? c.mrkdwn_in : ['fallback', 'pretext', 'text'];
    const msg: Record<string, unknown> = {};
    const top = (key: string, value: string) => {
      if (value !== '') msg[key] = value;
    };
    top('channel', tmpl(c.channel));
    top('username', tmpl(c.username));
    top('icon_emoji', tmpl(c.icon_emoji));
    top('icon_url', tmpl(c.icon_url));
    if (c.link_names) msg.link_names = true;
    msg.attachments = [attachment];
    check('slack template');
    return msg;
  }

  async notify(ctx: NotifyContext, alerts: readonly AmAlert[]): Promise<void> {
    const msg = this.message(ctx, alerts);
    const url = this.config.api_url ?? readSecretFile(this.config.api_url_file!);
    const res = await request(url, {
      headers: { 'content-type': 'application/json' },
      body: `${goJson(msg)}\n`,
      signal: ctx.signal,
      httpConfig: this.config.http_config,
    });
    try {
      checkResponse(res);
    } catch (err) {
      (err as Error).message = `channel ${JSON.stringify(msg.channel ?? '')}: ${(err as Error).message}`;
      throw err;
    }
  }
}
