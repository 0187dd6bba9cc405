/**
 * Turns Vigil's `alertmanager:` section into a loaded Alertmanager configuration: inline, from
 * `config_file` (read now, errors with file:line:key), or the default (one receiver that notifies
 * nobody, so the API still shows alerts). Also produces the text GET /api/v2/status returns as
 * `config.original`, with secrets replaced by `<secret>` as Alertmanager shows them.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { type AmConfig, alertmanagerFileSchema, type FatigueConfig } from '../config/alerting.ts';
import { ConfigError, parseConfig } from '../config/load.ts';
import type { VigilConfig } from '../config/schema.ts';
import { receiverTemplates } from './receivers/index.ts';
import { loadTemplates, type NotificationTemplates, TemplateError } from './template/index.ts';

/** A loaded Alertmanager configuration and what was derived from it. */
export interface LoadedAmConfig {
  readonly config: AmConfig;
  /** YAML for /api/v2/status, secrets redacted. */
  readonly original: string;
  readonly templates: NotificationTemplates;
  /** Where the configuration came from, for logs. */
  readonly source: string;
  /** Vigil's alert-fatigue controls (`alerting.fatigue`). */
  readonly fatigue: FatigueConfig;
}

const NO_FATIGUE: FatigueConfig = { flapDetection: undefined, rateLimits: [] };

const DEFAULT_YAML = 'route:\n  receiver: default\nreceivers:\n  - name: default\n';

/** Loads and checks the configuration; throws ConfigError naming file, line and key. */
export function loadAmConfig(vigil: VigilConfig, baseDir: string): LoadedAmConfig {
  const section = vigil.alertmanager;
  let config: AmConfig;
  let raw: unknown;
  let source: string;
  let templateDir = baseDir;
  let keyPrefix = 'alertmanager.';
  if (!section) {
    config = parseConfig(DEFAULT_YAML, '(default alertmanager config)', alertmanagerFileSchema);
    raw = parse(DEFAULT_YAML);
    source = 'default (no alertmanager section)';
  } else if (section.kind === 'inline') {
    // Validated when Vigil's config was parsed; parsing again cannot fail.
    config = alertmanagerFileSchema.parse(section.raw);
    raw = section.raw;
    source = 'alertmanager section of the config file';
  } else {
    const path = resolve(baseDir, section.configFile);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read alertmanager.config_file ${path}: ${(err as Error).message}`);
    }
    config = parseConfig(text, path, alertmanagerFileSchema);
    raw = parse(text);
    source = path;
    templateDir = dirname(path);
    keyPrefix = `${path}: `;
  }

  let templates: NotificationTemplates;
  try {
    templates = loadTemplates(config.templates, templateDir).templates;
  } catch (err) {
    if (err instanceof TemplateError) throw new ConfigError(`${keyPrefix}templates: ${err.message}`);
    throw err;
  }
  const problems: string[] = [];
  config.receivers.forEach((rcv, i) => {
    for (const { path, source: tmpl } of receiverTemplates(rcv)) {
      try {
        templates.check(tmpl);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        problems.push(`${keyPrefix}receivers.${i}.${path}: ${err.message}`);
      }
    }
  });
  const fatigue = vigil.alerting?.fatigue ?? NO_FATIGUE;
  const receiverNames = new Set(config.receivers.map((r) => r.name));
  fatigue.rateLimits.forEach((limit, i) => {
    for (const name of limit.receivers ?? []) {
      if (!receiverNames.has(name))
        problems.push(
          `alerting.fatigue.rate_limits.${i}.receivers: no receiver named ${JSON.stringify(name)} in the alertmanager configuration (receivers: ${[...receiverNames].join(', ')})`,
        );
    }
  });
  if (problems.length > 0) throw new ConfigError(problems.join('\n'), problems);
  return { config, original: stringify(redact(raw ?? {})), templates, source, fatigue };
}

const SECRET_KEYS = new Set([
  'password',
  'auth_password',
  'auth_secret',
  'smtp_auth_password',
  'smtp_auth_secret',
  'api_key',
  'opsgenie_api_key',
  'victorops_api_key',
  'wechat_api_secret',
  'api_secret',
  'routing_key',
  'service_key',
  'credentials',
  'bearer_token',
  'slack_api_url',
]);

/**
 * Replaces secret values with `<secret>`, Alertmanager's placeholder (which its config loader
 * accepts back). `list` is the key of the list the value sits in: Slack's api_url is a secret,
 * OpsGenie's is a plain URL.
 */
export function redact(value: unknown, key = '', list = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, '', key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, list);
    return out;
  }
  const secret = SECRET_KEYS.has(key) || (key === 'api_url' && list === 'slack_configs');
  if (secret && typeof value === 'string' && value !== '') return '<secret>';
  return value;
}
