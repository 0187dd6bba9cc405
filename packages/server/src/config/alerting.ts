import { z } from 'zod';
import { type AmMatcher, MatcherError, newAmMatcher, parseAmMatchers } from '../alerting/matchers.ts';
import {
  parseTimeInterval,
  type TimeInterval,
  TimeIntervalError,
  type TimeIntervalInput,
} from '../alerting/timeinterval.ts';
import { relabelConfigSchema } from '../relabel/config.ts';
import { type TlsConfig, tlsConfigSchema } from './tls.ts';
import { durationMs } from './units.ts';

export type { TlsConfig };

/**
 * `alertmanager:` — an Alertmanager configuration (alertmanager.yml) inline, or
 * `{ config_file: path }`; and `alerting:` — Prometheus's section for forwarding alerts to
 * external Alertmanagers. Owned by alerting/.
 *
 * The Alertmanager format is Alertmanager 0.25's, unchanged, so users can paste their file. It is
 * validated the way Alertmanager's config.Load does (unknown keys are errors, defaults filled in
 * from `global`, receivers and time intervals referenced by routes must exist), and every error
 * names the key it concerns so parseConfig can point at the file and line.
 */

// ---------------------------------------------------------------------------------------------
// Small pieces

/** YAML scalars Go's YAML decoder accepts for string fields (`port: 9100`). */
const str = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

/** A list that may be written as `key:` with nothing after it (YAML null), as Go allows. */
function list<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);
}

/** An http(s) URL with a host, as Alertmanager's config.URL requires. */
const httpUrl = z.string().superRefine((s, ctx) => {
  const problem = urlProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

function urlProblem(s: string): string | undefined {
  if (s === '<secret>') return undefined;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return `${JSON.stringify(s)} is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `unsupported scheme "${u.protocol.slice(0, -1)}" for URL`;
  if (u.host === '') return 'missing host for URL';
  return undefined;
}

/** host:port (Alertmanager's HostPort); the port is required. */
const hostPort = z.string().superRefine((s, ctx) => {
  if (s !== '' && !splitHostPort(s)) {
    ctx.addIssue({
      code: 'custom',
      message: `address ${JSON.stringify(s)}: expected host:port, e.g. smtp.example.org:587`,
    });
  }
});

/** Splits `host:port` or `[v6]:port`; undefined when the port is missing. */
export function splitHostPort(s: string): { host: string; port: string } | undefined {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(s);
  if (!m) return undefined;
  return { host: m[1] ?? m[2], port: m[3] };
}

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'invalid label name' });

/** `matchers:` — a list of strings, each holding one or more matchers. */
const matcherLines = list(z.string()).transform((lines, ctx) => {
  const out: AmMatcher[] = [];
  lines.forEach((line, i) => {
    try {
      out.push(...parseAmMatchers(line));
    } catch (err) {
      if (!(err instanceof MatcherError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message, path: [i] });
    }
  });
  return out;
});

/** `match:` — label name → value (deprecated equality matchers). */
const matchMap = z
  .record(z.string(), str)
  .nullish()
  .transform((m, ctx) => {
    const out: AmMatcher[] = [];
    for (const [name, value] of Object.entries(m ?? {})) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) {
        ctx.addIssue({ code: 'custom', message: `invalid label name ${JSON.stringify(name)}`, path: [name] });
        continue;
      }
      out.push(newAmMatcher('=', name, value));
    }
    return out;
  });

/** `match_re:` — label name → regex (deprecated regex matchers). */
const matchReMap = z
  .record(z.string(), str.nullable())
  .nullish()
  .transform((m, ctx) => {
    const out: AmMatcher[] = [];
    for (const [name, value] of Object.entries(m ?? {})) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) {
        ctx.addIssue({ code: 'custom', message: `invalid label name ${JSON.stringify(name)}`, path: [name] });
        continue;
      }
      if (value === null) {
        ctx.addIssue({
          code: 'custom',
          message: `invalid regexp value for ${JSON.stringify(name)}`,
          path: [name],
        });
        continue;
      }
      try {
        // Alertmanager builds these from the compiled regex's String(), so the value (and the
        // route key that shows it) carries the anchors: `^(?:a|b)$`.
        out.push(newAmMatcher('=~', name, `^(?:${value})$`));
      } catch (err) {
        if (!(err instanceof MatcherError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message, path: [name] });
      }
    }
    return out;
  });

// ---------------------------------------------------------------------------------------------
// HTTP client settings (prometheus/common's http_config, the parts Vigil implements)

const UNSUPPORTED_HTTP_KEYS: Readonly<Record<string, string>> = {
  oauth2: 'OAuth2 is not supported by Vigil; use authorization or basic_auth',
  proxy_url: 'sending notifications through a proxy is not supported by Vigil',
  no_proxy: 'sending notifications through a proxy is not supported by Vigil',
  proxy_from_environment: 'sending notifications through a proxy is not supported by Vigil',
  proxy_connect_header: 'sending notifications through a proxy is not supported by Vigil',
};

export const httpConfigSchema = z
  .object({
    basic_auth: z
      .object({
        username: z.string().default(''),
        username_file: z.string().optional(),
        password: z.string().optional(),
        password_file: z.string().optional(),
      })
      .strict()
      .optional(),
    authorization: z
      .object({
        type: z.string().default('Bearer'),
        credentials: z.string().optional(),
        credentials_file: z.string().optional(),
      })
      .strict()
      .optional(),
    bearer_token: z.string().optional(),
    bearer_token_file: z.string().optional(),
    tls_config: tlsConfigSchema.prefault({}),
    follow_redirects: z.boolean().default(true),
    enable_http2: z.boolean().default(true),
    ...Object.fromEntries(Object.keys(UNSUPPORTED_HTTP_KEYS).map((k) => [k, z.unknown().optional()])),
  })
  .strict()
  .transform((c, ctx) => {
    for (const [key, message] of Object.entries(UNSUPPORTED_HTTP_KEYS)) {
      if ((c as Record<string, unknown>)[key] !== undefined)
        ctx.addIssue({ code: 'custom', message, path: [key] });
    }
    const auths = [c.basic_auth, c.authorization, c.bearer_token ?? c.bearer_token_file].filter(
      (x) => x !== undefined,
    );
    if (auths.length > 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of basic_auth, authorization and bearer_token can be set',
      });
    }
    if (c.authorization?.type.toLowerCase() === 'basic') {
      ctx.addIssue({
        code: 'custom',
        message: 'authorization type cannot be "Basic"; use basic_auth instead',
        path: ['authorization', 'type'],
      });
    }
    return {
      basic_auth: c.basic_auth,
      authorization:
        c.authorization ??
        (c.bearer_token !== undefined || c.bearer_token_file !== undefined
          ? { type: 'Bearer', credentials: c.bearer_token, credentials_file: c.bearer_token_file }
          : undefined),
      tls_config: c.tls_config,
      follow_redirects: c.follow_redirects,
    };
  });

/** An HTTP client configuration after validation. */
export type HttpConfig = z.infer<typeof httpConfigSchema>;

const DEFAULT_HTTP_CONFIG: HttpConfig = {
  basic_auth: undefined,
  authorization: undefined,
  tls_config: { insecure_skip_verify: false },
  follow_redirects: true,
};

// ---------------------------------------------------------------------------------------------
// Receivers

const webhookSchema = z
  .object({
    send_resolved: z.boolean().default(true),
    http_config: httpConfigSchema.optional(),
    url: z.string({ error: 'missing URL in webhook config' }).superRefine((s, ctx) => {
      if (!/^https?:\/\//.test(s) && s !== '<secret>')
        ctx.addIssue({ code: 'custom', message: 'scheme required for webhook url' });
      else {
        const problem = urlProblem(s);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }
    }),
    max_alerts: z.number().int().nonnegative().default(0),
  })
  .strict();

const slackFieldSchema = z
  .object({
    title: z
      .string({ error: 'missing title in Slack field configuration' })
      .min(1, 'missing title in Slack field configuration'),
    value: z
      .string({ error: 'missing value in Slack field configuration' })
      .min(1, 'missing value in Slack field configuration'),
    short: z.boolean().optional(),
  })
  .strict();

const slackActionSchema = z
  .object({
    type: z.string().default(''),
    text: z.string().default(''),
    url: z.string().default(''),
    style: z.string().default(''),
    name: z.string().default(''),
    value: z.string().default(''),
    confirm: z
      .object({
        text: z
          .string({ error: 'missing text in Slack confirmation configuration' })
          .min(1, 'missing text in Slack confirmation configuration'),
        title: z.string().default(''),
        ok_text: z.string().default(''),
        dismiss_text: z.string().default(''),
      })
      .strict()
      .optional(),
  })
  .strict()
  .transform((a, ctx) => {
    if (a.type === '')
      ctx.addIssue({ code: 'custom', message: 'missing type in Slack action configuration' });
    if (a.text === '')
      ctx.addIssue({ code: 'custom', message: 'missing text in Slack action configuration' });
    if (a.url !== '') return { ...a, name: '', value: '', confirm: undefined };
    if (a.name !== '') return { ...a, url: '' };
    ctx.addIssue({ code: 'custom', message: 'missing name or url in Slack action configuration' });
    return a;
  });

const slackSchema = z
  .object({
    send_resolved: z.boolean().default(false),
    http_config: httpConfigSchema.optional(),
    api_url: httpUrl.optional(),
    api_url_file: z.string().optional(),
    channel: z.string().default(''),
    username: z.string().default('{{ template "slack.default.username" . }}'),
    color: z.string().default('{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}'),
    title: z.string().default('{{ template "slack.default.title" . }}'),
    title_link: z.string().default('{{ template "slack.default.titlelink" . }}'),
    pretext: z.string().default('{{ template "slack.default.pretext" . }}'),
    text: z.string().default('{{ template "slack.default.text" . }}'),
    fields: list(slackFieldSchema),
    short_fields: z.boolean().default(false),
    footer: z.string().default('{{ template "slack.default.footer" . }}'),
    fallback: z.string().default('{{ template "slack.default.fallback" . }}'),
    callback_id: z.string().default('{{ template "slack.default.callbackid" . }}'),
    icon_emoji: z.string().default('{{ template "slack.default.iconemoji" . }}'),
    icon_url: z.string().default('{{ template "slack.default.iconurl" . }}'),
    image_url: z.string().default(''),
    thumb_url: z.string().default(''),
    link_names: z.boolean().default(false),
    mrkdwn_in: list(z.string()),
    actions: list(slackActionSchema),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.api_url !== undefined && c.api_url_file !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'at most one of api_url & api_url_file must be configured' });
    }
  });

const pagerdutySchema = z
  .object({
    send_resolved: z.boolean().default(true),
    http_config: httpConfigSchema.optional(),
    service_key: z.string().default(''),
    service_key_file: z.string().default(''),
    routing_key: z.string().default(''),
    routing_key_file: z.string().default(''),
    url: httpUrl.optional(),
    client: z.string().default('{{ template "pagerduty.default.client" . }}'),
    client_url: z.string().default('{{ template "pagerduty.default.clientURL" . }}'),
    description: z.string().default('{{ template "pagerduty.default.description" .}}'),
    details: z.record(z.string(), str).nullish(),
    images: list(
      z
        .object({ src: z.string().default(''), alt: z.string().default(''), href: z.string().default('') })
        .strict(),
    ),
    links: list(z.object({ href: z.string().default(''), text: z.string().default('') }).strict()),
    source: z.string().default(''),
    severity: z.string().default(''),
    class: z.string().default(''),
    component: z.string().default(''),
    group: z.string().default(''),
  })
  .strict()
  .transform((c, ctx) => {
    if (!c.routing_key && !c.service_key && !c.routing_key_file && !c.service_key_file) {
      ctx.addIssue({ code: 'custom', message: 'missing service or routing key in PagerDuty config' });
    }
    if (c.routing_key && c.routing_key_file) {
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of routing_key & routing_key_file must be configured',
      });
    }
    if (c.service_key && c.service_key_file) {
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of service_key & service_key_file must be configured',
      });
    }
    const details: Record<string, string> = { ...(c.details ?? {}) };
    for (const [k, v] of Object.entries(DEFAULT_PAGERDUTY_DETAILS)) if (!(k in details)) details[k] = v;
    return { ...c, details, source: c.source || c.client };
  });

const DEFAULT_PAGERDUTY_DETAILS: Readonly<Record<string, string>> = {
  firing: '{{ template "pagerduty.default.instances" .Alerts.Firing }}',
  resolved: '{{ template "pagerduty.default.instances" .Alerts.Resolved }}',
  num_firing: '{{ .Alerts.Firing | len }}',
  num_resolved: '{{ .Alerts.Resolved | len }}',
};

const emailSchema = z
  .object({
    send_resolved: z.boolean().default(false),
    to: z
      .string({ error: 'missing to address in email config' })
      .min(1, 'missing to address in email config'),
    from: z.string().default(''),
    hello: z.string().default(''),
    smarthost: hostPort.default(''),
    auth_username: z.string().default(''),
    auth_password: z.string().default(''),
    auth_password_file: z.string().default(''),
    auth_secret: z.string().default(''),
    auth_identity: z.string().default(''),
    headers: z.record(z.string(), str).nullish(),
    html: z.string().default('{{ template "email.default.html" . }}'),
    text: z.string().default(''),
    require_tls: z.boolean().optional(),
    tls_config: tlsConfigSchema.prefault({}),
  })
  .strict()
  .transform((c, ctx) => {
    // Header names are case-insensitive; Alertmanager stores them canonicalised.
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(c.headers ?? {})) {
      const canonical = canonicalHeaderName(name);
      if (canonical in headers) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate header ${JSON.stringify(canonical)} in email config`,
          path: ['headers', name],
        });
      }
      headers[canonical] = value;
    }
    if (c.auth_password && c.auth_password_file) {
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of auth_password & auth_password_file must be configured',
      });
    }
    return { ...c, headers };
  });

/** Go's textproto.CanonicalMIMEHeaderKey: `content-type` → `Content-Type`. */
function canonicalHeaderName(name: string): string {
  if (/[^A-Za-z0-9-]/.test(name)) return name;
  return name
    .split('-')
    .map((p) => (p === '' ? p : p[0].toUpperCase() + p.slice(1).toLowerCase()))
    .join('-');
}

const OPSGENIE_RESPONDER_TYPES = /^(team|teams|user|escalation|schedule)$/;

const opsgenieSchema = z
  .object({
    send_resolved: z.boolean().default(true),
    http_config: httpConfigSchema.optional(),
    api_key: z.string().default(''),
    api_key_file: z.string().default(''),
    api_url: httpUrl.optional(),
    message: z.string().default('{{ template "opsgenie.default.message" . }}'),
    description: z.string().default('{{ template "opsgenie.default.description" . }}'),
    source: z.string().default('{{ template "opsgenie.default.source" . }}'),
    details: z.record(z.string(), str).nullish(),
    entity: z.string().default(''),
    responders: list(
      z
        .object({
          id: z.string().default(''),
          name: z.string().default(''),
          username: z.string().default(''),
          type: z.string().default(''),
        })
        .strict()
        .transform((r, ctx) => {
          if (!r.id && !r.name && !r.username) {
            ctx.addIssue({
              code: 'custom',
              message: 'an OpsGenie responder needs at least one of id, username or name',
            });
          }
          if (r.type.includes('{{')) return r;
          const type = r.type.toLowerCase();
          if (!OPSGENIE_RESPONDER_TYPES.test(type)) {
            ctx.addIssue({
              code: 'custom',
              message: `responder type ${JSON.stringify(r.type)} must be one of team, teams, user, escalation, schedule`,
              path: ['type'],
            });
          }
          return { ...r, type };
        }),
    ),
    actions: z.string().default(''),
    tags: z.string().default(''),
    note: z.string().default(''),
    priority: z.string().default(''),
    update_alerts: z.boolean().default(false),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.api_key && c.api_key_file) {
      ctx.addIssue({ code: 'custom', message: 'at most one of api_key & api_key_file must be configured' });
    }
    if (c.priority && !c.priority.includes('{{') && !/^P[1-5]$/.test(c.priority)) {
      ctx.addIssue({
        code: 'custom',
        message: `priority ${JSON.stringify(c.priority)} must be one of P1 to P5`,
        path: ['priority'],
      });
    }
  });

/** Receiver kinds Alertmanager has and Vigil does not send yet. */
const UNSUPPORTED_RECEIVERS = [
  'wechat_configs',
  'pushover_configs',
  'victorops_configs',
  'sns_configs',
  'telegram_configs',
  'discord_configs',
  'webex_configs',
  'msteams_configs',
];

const receiverSchema = z
  .object({
    name: z.string({ error: 'missing name in receiver' }).min(1, 'missing name in receiver'),
    webhook_configs: list(webhookSchema),
    slack_configs: list(slackSchema),
    pagerduty_configs: list(pagerdutySchema),
    email_configs: list(emailSchema),
    opsgenie_configs: list(opsgenieSchema),
    ...Object.fromEntries(UNSUPPORTED_RECEIVERS.map((k) => [k, z.unknown().optional()])),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const key of UNSUPPORTED_RECEIVERS) {
      const value = (r as Record<string, unknown>)[key];
      if (Array.isArray(value) && value.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `${key} are not supported by Vigil yet; use webhook_configs, slack_configs, pagerduty_configs, email_configs or opsgenie_configs`,
          path: [key],
        });
      }
    }
  })
  .transform((r) => ({
    name: r.name,
    webhook_configs: r.webhook_configs,
    slack_configs: r.slack_configs,
    pagerduty_configs: r.pagerduty_configs,
    email_configs: r.email_configs,
    opsgenie_configs: r.opsgenie_configs,
  }));

// ---------------------------------------------------------------------------------------------
// Routes, inhibition, time intervals

/** One node of the routing tree after validation; options not set are undefined (inherited). */
export interface RouteConfig {
  readonly receiver: string | undefined;
  /** undefined = inherit; [] = group by nothing. `...` is reported as groupByAll. */
  readonly group_by: readonly string[] | undefined;
  readonly group_by_all: boolean;
  /** match, match_re and matchers together. */
  readonly matchers: readonly AmMatcher[];
  readonly has_matchers: boolean;
  readonly mute_time_intervals: readonly string[];
  readonly active_time_intervals: readonly string[];
  readonly continue: boolean;
  readonly routes: readonly RouteConfig[];
  readonly group_wait: number | undefined;
  readonly group_interval: number | undefined;
  readonly repeat_interval: number | undefined;
}

const routeSchema: z.ZodType<RouteConfig> = z.lazy(() =>
  z
    .object({
      receiver: z.string().optional(),
      group_by: z.array(str).nullish(),
      match: matchMap,
      match_re: matchReMap,
      matchers: matcherLines,
      mute_time_intervals: list(z.string()),
      active_time_intervals: list(z.string()),
      continue: z.boolean().default(false),
      routes: list(routeSchema),
      group_wait: durationMs.optional(),
      group_interval: durationMs.optional(),
      repeat_interval: durationMs.optional(),
    })
    .strict()
    .transform((r, ctx): RouteConfig => {
      let groupBy: string[] | undefined;
      let groupByAll = false;
      if (r.group_by !== undefined && r.group_by !== null) {
        groupBy = [];
        const seen = new Set<string>();
        r.group_by.forEach((name, i) => {
          if (name === '...') {
            groupByAll = true;
            return;
          }
          if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) {
            ctx.addIssue({
              code: 'custom',
              message: `invalid label name ${JSON.stringify(name)} in group_by list`,
              path: ['group_by', i],
            });
          }
          if (seen.has(name))
            ctx.addIssue({
              code: 'custom',
              message: `duplicated label ${JSON.stringify(name)} in group_by`,
              path: ['group_by', i],
            });
          seen.add(name);
          groupBy!.push(name);
        });
        if (groupByAll && groupBy.length > 0) {
          ctx.addIssue({
            code: 'custom',
            message: 'cannot have wildcard group_by (`...`) and other other labels at the same time',
            path: ['group_by'],
          });
        }
        // As in Alertmanager, an empty list (or one holding only `...`) inherits the parent's labels.
        if (groupBy.length === 0) groupBy = undefined;
      }
      if (r.group_interval === 0)
        ctx.addIssue({ code: 'custom', message: 'group_interval cannot be zero', path: ['group_interval'] });
      if (r.repeat_interval === 0)
        ctx.addIssue({
          code: 'custom',
          message: 'repeat_interval cannot be zero',
          path: ['repeat_interval'],
        });
      return {
        receiver: r.receiver || undefined,
        group_by: groupBy,
        group_by_all: groupByAll,
        matchers: [...r.match, ...r.match_re, ...r.matchers],
        has_matchers: r.match.length + r.match_re.length + r.matchers.length > 0,
        mute_time_intervals: r.mute_time_intervals,
        active_time_intervals: r.active_time_intervals,
        continue: r.continue,
        routes: r.routes,
        group_wait: r.group_wait,
        group_interval: r.group_interval,
        repeat_interval: r.repeat_interval,
      };
    }),
);

const inhibitRuleSchema = z
  .object({
    source_match: matchMap,
    source_match_re: matchReMap,
    source_matchers: matcherLines,
    target_match: matchMap,
    target_match_re: matchReMap,
    target_matchers: matcherLines,
    equal: list(labelName),
  })
  .strict()
  .transform((r) => ({
    source_matchers: [...r.source_match, ...r.source_match_re, ...r.source_matchers],
    target_matchers: [...r.target_match, ...r.target_match_re, ...r.target_matchers],
    equal: r.equal,
  }));

/** One inhibition rule after validation. */
export type InhibitRuleConfig = z.infer<typeof inhibitRuleSchema>;

const timeIntervalSchema = z
  .object({
    times: list(z.object({ start_time: z.string().optional(), end_time: z.string().optional() }).strict()),
    weekdays: z.array(str).nullish(),
    days_of_month: z.array(str).nullish(),
    months: z.array(str).nullish(),
    years: z.array(str).nullish(),
    location: z.string().nullish(),
  })
  .strict()
  .transform((input, ctx): TimeInterval => {
    try {
      return parseTimeInterval({
        ...input,
        times: input.times.length ? input.times : undefined,
      } as TimeIntervalInput);
    } catch (err) {
      if (!(err instanceof TimeIntervalError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message, path: [...err.path] });
      return z.NEVER;
    }
  });

const namedTimeIntervalSchema = (what: string) =>
  z
    .object({
      name: z.string({ error: `missing name in ${what}` }).min(1, `missing name in ${what}`),
      time_intervals: list(timeIntervalSchema),
    })
    .strict();

// ---------------------------------------------------------------------------------------------
// Global and the whole file

const globalSchema = z
  .object({
    resolve_timeout: durationMs.prefault('5m'),
    http_config: httpConfigSchema.optional(),
    smtp_from: z.string().default(''),
    smtp_hello: z.string().default('localhost'),
    smtp_smarthost: hostPort.default(''),
    smtp_auth_username: z.string().default(''),
    smtp_auth_password: z.string().default(''),
    smtp_auth_password_file: z.string().default(''),
    smtp_auth_secret: z.string().default(''),
    smtp_auth_identity: z.string().default(''),
    smtp_require_tls: z.boolean().default(true),
    slack_api_url: httpUrl.optional(),
    slack_api_url_file: z.string().optional(),
    pagerduty_url: httpUrl.default('https://events.pagerduty.com/v2/enqueue'),
    opsgenie_api_url: httpUrl.default('https://api.opsgenie.com/'),
    opsgenie_api_key: z.string().default(''),
    opsgenie_api_key_file: z.string().default(''),
    // Accepted so pasted files load; the receivers that use them are not supported yet.
    wechat_api_url: httpUrl.optional(),
    wechat_api_secret: z.string().optional(),
    wechat_api_corp_id: z.string().optional(),
    victorops_api_url: httpUrl.optional(),
    victorops_api_key: z.string().optional(),
    victorops_api_key_file: z.string().optional(),
    telegram_api_url: httpUrl.optional(),
    webex_api_url: httpUrl.optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (g.slack_api_url !== undefined && g.slack_api_url_file !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of slack_api_url & slack_api_url_file must be configured',
      });
    }
    if (g.opsgenie_api_key && g.opsgenie_api_key_file) {
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of opsgenie_api_key & opsgenie_api_key_file must be configured',
      });
    }
    if (g.smtp_auth_password && g.smtp_auth_password_file) {
      ctx.addIssue({
        code: 'custom',
        message: 'at most one of smtp_auth_password & smtp_auth_password_file must be configured',
      });
    }
  });

const amFileSchema = z
  .object({
    global: globalSchema.nullish().transform((g) => g ?? globalSchema.parse({})),
    route: routeSchema.optional(),
    inhibit_rules: list(inhibitRuleSchema),
    receivers: list(receiverSchema),
    templates: list(z.string()),
    mute_time_intervals: list(namedTimeIntervalSchema('mute time interval')),
    time_intervals: list(namedTimeIntervalSchema('time interval')),
  })
  .strict()
  .transform((c, ctx) => {
    const issue = (message: string, path: (string | number)[]) =>
      ctx.addIssue({ code: 'custom', message, path });
    const g = c.global;
    const globalHttp = g.http_config ?? DEFAULT_HTTP_CONFIG;
    const names = new Set<string>();
    const receivers = c.receivers.map((rcv, ri) => {
      if (names.has(rcv.name))
        issue(`notification config name ${JSON.stringify(rcv.name)} is not unique`, [
          'receivers',
          ri,
          'name',
        ]);
      names.add(rcv.name);
      const at = (kind: string, i: number, key?: string) => ['receivers', ri, kind, i, ...(key ? [key] : [])];
      return {
        name: rcv.name,
        webhook_configs: rcv.webhook_configs.map((w) => ({ ...w, http_config: w.http_config ?? globalHttp })),
        slack_configs: rcv.slack_configs.map((s, i) => {
          let apiUrl = s.api_url;
          let apiUrlFile = s.api_url_file;
          if (apiUrl === undefined && apiUrlFile === undefined) {
            if (g.slack_api_url === undefined && g.slack_api_url_file === undefined) {
              issue(
                'no global Slack API URL set either inline or in a file',
                at('slack_configs', i, 'api_url'),
              );
            }
            apiUrl = g.slack_api_url;
            apiUrlFile = g.slack_api_url_file;
          }
          return {
            ...s,
            api_url: apiUrl,
            api_url_file: apiUrlFile,
            http_config: s.http_config ?? globalHttp,
          };
        }),
        pagerduty_configs: rcv.pagerduty_configs.map((p) => ({
          ...p,
          url: p.url ?? g.pagerduty_url,
          http_config: p.http_config ?? globalHttp,
        })),
        email_configs: rcv.email_configs.map((e, i) => {
          const smarthost = e.smarthost || g.smtp_smarthost;
          if (!smarthost) issue('no global SMTP smarthost set', at('email_configs', i, 'smarthost'));
          const from = e.from || g.smtp_from;
          if (!from) issue('no global SMTP from set', at('email_configs', i, 'from'));
          const usePassword = !e.auth_password && !e.auth_password_file;
          return {
            ...e,
            smarthost,
            from,
            hello: e.hello || g.smtp_hello,
            auth_username: e.auth_username || g.smtp_auth_username,
            auth_password: usePassword ? g.smtp_auth_password : e.auth_password,
            auth_password_file: usePassword ? g.smtp_auth_password_file : e.auth_password_file,
            auth_secret: e.auth_secret || g.smtp_auth_secret,
            auth_identity: e.auth_identity || g.smtp_auth_identity,
            require_tls: e.require_tls ?? g.smtp_require_tls,
          };
        }),
        opsgenie_configs: rcv.opsgenie_configs.map((o, i) => {
          let apiUrl = o.api_url ?? g.opsgenie_api_url;
          if (!apiUrl.endsWith('/')) apiUrl += '/';
          let apiKey = o.api_key;
          let apiKeyFile = o.api_key_file;
          if (!apiKey && !apiKeyFile) {
            if (!g.opsgenie_api_key && !g.opsgenie_api_key_file) {
              issue(
                'no global OpsGenie API Key set either inline or in a file',
                at('opsgenie_configs', i, 'api_key'),
              );
            }
            apiKey = g.opsgenie_api_key;
            apiKeyFile = g.opsgenie_api_key_file;
          }
          return {
            ...o,
            api_url: apiUrl,
            api_key: apiKey,
            api_key_file: apiKeyFile,
            http_config: o.http_config ?? globalHttp,
          };
        }),
      };
    });

    const route = c.route;
    if (!route) {
      issue('no route provided in config; add a route with a default receiver', ['route']);
      return z.NEVER;
    }
    if (!route.receiver) issue('root route must specify a default receiver', ['route', 'receiver']);
    if (route.has_matchers) issue('root route must not have any matchers', ['route']);
    if (route.mute_time_intervals.length > 0)
      issue('root route must not have any mute time intervals', ['route', 'mute_time_intervals']);
    if (route.active_time_intervals.length > 0)
      issue('root route must not have any active time intervals', ['route', 'active_time_intervals']);
    if (route.continue) issue('cannot have continue in root route', ['route', 'continue']);

    const intervalNames = new Set<string>();
    c.mute_time_intervals.forEach((t, i) => {
      if (intervalNames.has(t.name))
        issue(`mute time interval ${JSON.stringify(t.name)} is not unique`, [
          'mute_time_intervals',
          i,
          'name',
        ]);
      intervalNames.add(t.name);
    });
    c.time_intervals.forEach((t, i) => {
      if (intervalNames.has(t.name))
        issue(`time interval ${JSON.stringify(t.name)} is not unique`, ['time_intervals', i, 'name']);
      intervalNames.add(t.name);
    });

    const checkRoute = (r: RouteConfig, path: (string | number)[]) => {
      if (r.receiver !== undefined && !names.has(r.receiver)) {
        issue(`undefined receiver ${JSON.stringify(r.receiver)} used in route`, [...path, 'receiver']);
      }
      r.mute_time_intervals.forEach((n, i) => {
        if (!intervalNames.has(n))
          issue(`undefined time interval ${JSON.stringify(n)} used in route`, [
            ...path,
            'mute_time_intervals',
            i,
          ]);
      });
      r.active_time_intervals.forEach((n, i) => {
        if (!intervalNames.has(n))
          issue(`undefined time interval ${JSON.stringify(n)} used in route`, [
            ...path,
            'active_time_intervals',
            i,
          ]);
      });
      r.routes.forEach((child, i) => {
        checkRoute(child, [...path, 'routes', i]);
      });
    };
    checkRoute(route, ['route']);

    const timeIntervals = new Map<string, readonly TimeInterval[]>();
    for (const t of [...c.mute_time_intervals, ...c.time_intervals])
      timeIntervals.set(t.name, t.time_intervals);

    return {
      global: { ...g, http_config: globalHttp },
      route,
      inhibit_rules: c.inhibit_rules,
      receivers,
      templates: c.templates,
      time_intervals: timeIntervals,
    };
  });

/** A validated Alertmanager configuration with global defaults applied. */
export type AmConfig = z.infer<typeof amFileSchema>;
export type AmReceiverConfig = AmConfig['receivers'][number];
export type WebhookConfig = AmReceiverConfig['webhook_configs'][number];
export type SlackConfig = AmReceiverConfig['slack_configs'][number];
export type PagerdutyConfig = AmReceiverConfig['pagerduty_configs'][number];
export type EmailConfig = AmReceiverConfig['email_configs'][number];
export type OpsgenieConfig = AmReceiverConfig['opsgenie_configs'][number];

/** The schema of a standalone alertmanager.yml (for `config_file:` and tests). */
export const alertmanagerFileSchema = amFileSchema;

const configFileRefSchema = z.object({ config_file: z.string().min(1, 'config_file is empty') }).strict();

/**
 * `alertmanager:` in Vigil's config: `{ config_file: path }` (loaded by alerting at start and on
 * reload, relative to the config file's directory), or the Alertmanager configuration inline.
 *
 * An inline configuration is fully validated here (so errors point into Vigil's config file) but
 * kept as the plain data the user wrote: alerting parses it again with alertmanagerFileSchema,
 * and the config stays printable (/api/v1/status/config).
 */
export const alertmanagerConfigSchema = z.unknown().transform((raw, ctx) => {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'config_file' in raw) {
    const ref = configFileRefSchema.safeParse(raw);
    if (!ref.success) {
      for (const i of ref.error.issues) ctx.addIssue({ code: 'custom', path: i.path, message: describe(i) });
      return z.NEVER;
    }
    return { kind: 'file' as const, configFile: ref.data.config_file };
  }
  const parsed = amFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', path: i.path, message: describe(i) });
    return z.NEVER;
  }
  return { kind: 'inline' as const, raw: (raw ?? {}) as Readonly<Record<string, unknown>> };
});

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return issue.message;
}

export type AlertmanagerConfigInput = z.infer<typeof alertmanagerConfigSchema>;

// ---------------------------------------------------------------------------------------------
// `alerting:` — Prometheus's forwarding to external Alertmanagers

const alertmanagerTargetSchema = z
  .object({
    static_configs: list(
      z
        .object({
          targets: list(str),
          labels: z
            .record(z.string(), str)
            .nullish()
            .transform((l) => l ?? {}),
        })
        .strict(),
    ),
    scheme: z.enum(['http', 'https']).default('http'),
    path_prefix: z.string().default('/'),
    timeout: durationMs.prefault('10s'),
    api_version: z
      .string()
      .default('v2')
      .superRefine((v, ctx) => {
        if (v !== 'v2')
          ctx.addIssue({
            code: 'custom',
            message: `api_version ${JSON.stringify(v)} is not supported; Alertmanager's API v1 was removed, use v2`,
          });
      }),
    relabel_configs: list(relabelConfigSchema),
    alert_relabel_configs: list(relabelConfigSchema),
    basic_auth: z.unknown().optional(),
    authorization: z.unknown().optional(),
    tls_config: z.unknown().optional(),
    follow_redirects: z.boolean().optional(),
    enable_http2: z.boolean().optional(),
    file_sd_configs: z.unknown().optional(),
  })
  .strict()
  .transform((c, ctx) => {
    if (c.file_sd_configs !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'file_sd_configs for Alertmanagers are not supported by Vigil; use static_configs',
        path: ['file_sd_configs'],
      });
    }
    const http = httpConfigSchema.safeParse({
      basic_auth: c.basic_auth,
      authorization: c.authorization,
      tls_config: c.tls_config,
      follow_redirects: c.follow_redirects,
    });
    if (!http.success) {
      for (const i of http.error.issues) ctx.addIssue({ code: 'custom', path: i.path, message: describe(i) });
      return z.NEVER;
    }
    return {
      static_configs: c.static_configs,
      scheme: c.scheme,
      path_prefix: c.path_prefix,
      timeout: c.timeout,
      relabel_configs: c.relabel_configs,
      alert_relabel_configs: c.alert_relabel_configs,
      http_config: http.data,
    };
  });

/** One `alerting.alertmanagers` entry after validation. */
export type AlertmanagerTargetConfig = z.infer<typeof alertmanagerTargetSchema>;

// ---------------------------------------------------------------------------------------------
// `alerting.fatigue:` — Vigil's alert-fatigue controls (not part of either upstream format)

const positiveDuration = durationMs.refine((ms) => ms > 0, 'must be longer than 0s');

/**
 * Flap detection: an alert whose state (firing/resolved) changes more than `max_changes` times
 * within `window` is held firing ("flapping"), notified once, and released after `quiet_for`
 * without a change.
 */
const flapDetectionSchema = z
  .object({
    max_changes: z.number().int().min(1, 'must be at least 1').default(4),
    window: positiveDuration.prefault('1h'),
    /** Default: the window. */
    quiet_for: positiveDuration.optional(),
  })
  .strict()
  .transform((f) => ({ maxChanges: f.max_changes, window: f.window, quietFor: f.quiet_for ?? f.window }));

export type FlapDetectionConfig = z.infer<typeof flapDetectionSchema>;

/**
 * A notification rate limit: at most `max_notifications` per `interval` (sliding) to each of
 * `receivers` (all receivers when omitted); what is held back goes out as one digest.
 */
const rateLimitSchema = z
  .object({
    receivers: z.array(z.string().min(1)).optional(),
    max_notifications: z.number().int().min(1, 'must be at least 1'),
    interval: positiveDuration,
  })
  .strict()
  .transform((r) => ({ receivers: r.receivers, max: r.max_notifications, interval: r.interval }));

export type RateLimitConfig = z.infer<typeof rateLimitSchema>;

const fatigueSchema = z
  .object({
    flap_detection: flapDetectionSchema.optional(),
    rate_limits: list(rateLimitSchema),
  })
  .strict()
  .transform((f) => ({ flapDetection: f.flap_detection, rateLimits: f.rate_limits }));

export type FatigueConfig = z.infer<typeof fatigueSchema>;

export const alertingConfigSchema = z
  .object({
    alert_relabel_configs: list(relabelConfigSchema),
    alertmanagers: list(alertmanagerTargetSchema),
    /** Vigil's alert-fatigue controls for the built-in pipeline. */
    fatigue: fatigueSchema.optional(),
  })
  .strict();

export type AlertingConfigInput = z.infer<typeof alertingConfigSchema>;
