/**
 * The Alertmanager API v2 (alerts, alert groups, silences) and Prometheus's /api/v1/rules and
 * /api/v1/alerts, with the upstream JSON shapes.
 */
import { buildUrl, promGet, requestJson } from './api.ts';

export interface AmMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** false for != and !~ (Alertmanager ≥ 0.22). */
  isEqual?: boolean;
}

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  generatorURL?: string;
  fingerprint: string;
  receivers: { name: string }[];
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}

export interface AmAlertGroup {
  labels: Record<string, string>;
  receiver: { name: string };
  alerts: AmAlert[];
}

export interface AmSilence {
  id: string;
  matchers: AmMatcher[];
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

/** What POST /api/v2/silences takes; with `id`, it replaces that silence. */
export interface SilenceInput {
  id?: string;
  matchers: AmMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** Options of the alert listing endpoints. */
export interface AlertFilter {
  readonly filter?: readonly string[];
  readonly silenced?: boolean;
  readonly inhibited?: boolean;
  readonly active?: boolean;
}

function filterParams(f: AlertFilter) {
  return {
    filter: f.filter && f.filter.length > 0 ? f.filter : undefined,
    silenced: f.silenced === undefined ? undefined : String(f.silenced),
    inhibited: f.inhibited === undefined ? undefined : String(f.inhibited),
    active: f.active === undefined ? undefined : String(f.active),
  };
}

export function alertGroups(f: AlertFilter, signal?: AbortSignal): Promise<AmAlertGroup[]> {
  return requestJson(buildUrl('/api/v2/alerts/groups', filterParams(f)), { signal });
}

export function alerts(f: AlertFilter, signal?: AbortSignal): Promise<AmAlert[]> {
  return requestJson(buildUrl('/api/v2/alerts', filterParams(f)), { signal });
}

export function silences(signal?: AbortSignal): Promise<AmSilence[]> {
  return requestJson('/api/v2/silences', { signal });
}

export function silence(id: string, signal?: AbortSignal): Promise<AmSilence> {
  return requestJson(`/api/v2/silence/${encodeURIComponent(id)}`, { signal });
}

export function createSilence(input: SilenceInput): Promise<{ silenceID: string }> {
  return requestJson('/api/v2/silences', { json: input });
}

export async function expireSilence(id: string): Promise<void> {
  await requestJson(`/api/v2/silence/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** A matcher as Alertmanager's filter parameter and amtool write it: name="value", name=~"re". */
export function formatMatcher(m: AmMatcher): string {
  const op = m.isRegex ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=';
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}

/** Reads `name="value"` / `name=~"re"` etc.; undefined when it is not a matcher. */
export function parseMatcher(text: string): AmMatcher | undefined {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]*))\s*$/.exec(text);
  if (!m) return undefined;
  const value = m[3] !== undefined ? (JSON.parse(`"${m[3]}"`) as string) : m[4];
  return { name: m[1], value, isRegex: m[2].includes('~'), isEqual: !m[2].startsWith('!') };
}

// ---- Prometheus rules API ----

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value: string;
}

export interface PromRule {
  name: string;
  query: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  lastEvaluation: string;
  evaluationTime: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  duration?: number;
  keepFiringFor?: number;
  state?: 'pending' | 'firing' | 'inactive';
  alerts?: PromAlert[];
}

export interface PromRuleGroup {
  name: string;
  file: string;
  interval: number;
  limit?: number;
  rules: PromRule[];
  lastEvaluation: string;
  evaluationTime: number;
}

export function rules(signal?: AbortSignal): Promise<{ groups: PromRuleGroup[] }> {
  return promGet('/api/v1/rules', {}, signal);
}

export function promAlerts(signal?: AbortSignal): Promise<{ alerts: PromAlert[] }> {
  return promGet('/api/v1/alerts', {}, signal);
}
