/**
 * What every receiver integration implements, and the error it throws. A notifier sends one
 * notification for a group's alerts; the retry stage calls it again while the error says a retry
 * may help (Alertmanager's Notifier and Retrier).
 */
import type { AmAlert } from '../alert.ts';
import type { LabelSet } from '../labelset.ts';
import type { NotificationTemplates, TemplateData } from '../template/index.ts';
import { templateData } from '../template/index.ts';

/** What a notifier knows about the notification it sends. */
export interface NotifyContext {
  /** Alertmanager's group key: `<route key>:<group labels>`. */
  readonly groupKey: string;
  readonly receiver: string;
  readonly groupLabels: LabelSet;
  /** The flush time (Unix ms) that firing/resolved status is judged at. */
  readonly now: number;
  /** Aborts when the flush's deadline passes or alerting stops. */
  readonly signal: AbortSignal;
}

export interface Notifier {
  /** Sends one notification; throws NotifyError on failure. */
  notify(ctx: NotifyContext, alerts: readonly AmAlert[]): Promise<void>;
}

/** A failed notification attempt; `retry` says whether trying again may succeed. */
export class NotifyError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

/** What receivers share: templates and the external URL for links. */
export interface ReceiverEnv {
  readonly templates: NotificationTemplates;
  readonly externalURL: string;
}

/** Template data for this notification. */
export function dataFor(env: ReceiverEnv, ctx: NotifyContext, alerts: readonly AmAlert[]): TemplateData {
  return templateData(ctx.receiver, ctx.groupLabels, alerts, env.externalURL, ctx.now);
}

/**
 * Renders template strings, remembering the first failure instead of throwing at each field
 * (Alertmanager's TmplText); call `check()` once all fields are rendered.
 */
export function textRenderer(
  env: ReceiverEnv,
  data: TemplateData,
): { tmpl: (s: string) => string; check: (what: string) => void } {
  let error: Error | undefined;
  return {
    tmpl(s) {
      if (error) return '';
      try {
        return env.templates.text(s, data);
      } catch (err) {
        error = err as Error;
        return '';
      }
    },
    check(what) {
      if (error) throw new NotifyError(`${what}: ${error.message}`, false);
    },
  };
}

/**
 * Alertmanager's TruncateInRunes: at most `n` characters, the last replaced by `…` when cut.
 */
export function truncateRunes(s: string, n: number): { text: string; truncated: boolean } {
  const chars = [...s];
  if (chars.length <= n) return { text: s, truncated: false };
  if (n <= 3) return { text: chars.slice(0, n).join(''), truncated: true };
  return { text: `${chars.slice(0, n - 1).join('')}…`, truncated: true };
}

/** The SHA-256 of the group key in hex, which PagerDuty and OpsGenie use as dedup key. */
export async function groupKeyHash(groupKey: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(groupKey).digest('hex');
}
