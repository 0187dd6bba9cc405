/**
 * GET /api/v1/rules and GET /api/v1/alerts in Prometheus's JSON shapes, with its filters
 * (type, rule_name[], rule_group[], file[], match[], exclude_alerts) and group pagination
 * (group_limit, group_next_token). Reads rule state through the small RulesSource interface.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatFloat } from '../../gotemplate/index.ts';
import { getLabel, type Labels, labelsToRecord } from '../../model/labels.ts';
import type { Matcher } from '../../model/matcher.ts';
import { parseSeriesSelector } from '../../promql/index.ts';
import { badRequest } from '../http-error.ts';
import { getParam, getParams, type Params } from './params.ts';
import { requestParams } from './read.ts';

/** One alert instance. Times are Unix ms. */
export interface ApiAlert {
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly state: 'pending' | 'firing' | 'inactive';
  readonly activeAt: number;
  readonly keepFiringSince: number | undefined;
  readonly value: number;
}

interface ApiRuleCommon {
  readonly name: string;
  readonly query: string;
  readonly labels: Labels;
  readonly health: string;
  readonly lastError: string | undefined;
  /** Seconds. */
  readonly evaluationTime: number;
  /** Unix ms of the last evaluation's start; undefined before the first. */
  readonly lastEvaluation: number | undefined;
}

export interface ApiAlertingRule extends ApiRuleCommon {
  readonly type: 'alerting';
  /** 'inactive', 'pending' or 'firing'; 'unknown' before the first evaluation. */
  readonly state: string;
  /** `for`, seconds. */
  readonly duration: number;
  readonly keepFiringFor: number;
  readonly annotations: Labels;
  alerts(): ApiAlert[];
}

export interface ApiRecordingRule extends ApiRuleCommon {
  readonly type: 'recording';
}

export interface ApiRuleGroup {
  readonly name: string;
  readonly file: string;
  /** Seconds. */
  readonly interval: number;
  readonly limit: number;
  readonly evaluationTime: number;
  readonly lastEvaluation: number | undefined;
  readonly rules: readonly (ApiAlertingRule | ApiRecordingRule)[];
}

/**
 * Vigil-specific facts about an alert from elsewhere (alerting's flap and rate-limit state),
 * shown as the alert's `vigil` field; undefined adds nothing.
 */
export type AlertExtras = (labels: Labels) => Record<string, unknown> | undefined;

/** What the API needs from the rules engine. */
export interface RulesSource {
  /** Groups sorted by file, then name. */
  groups(): readonly ApiRuleGroup[];
}

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros dropped), UTC. */
export function goTimeJson(ms: number | undefined): string {
  if (ms === undefined) return '0001-01-01T00:00:00Z';
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.?0+Z$/, 'Z');
}

function alertJsonWith(a: ApiAlert, extras?: AlertExtras): Record<string, unknown> {
  const out: Record<string, unknown> = {
    labels: labelsToRecord(a.labels),
    annotations: labelsToRecord(a.annotations),
    state: a.state,
    activeAt: goTimeJson(a.activeAt),
  };
  if (a.keepFiringSince !== undefined) out.keepFiringSince = goTimeJson(a.keepFiringSince);
  out.value = formatFloat(a.value, 'e', -1);
  const vigil = extras?.(a.labels);
  if (vigil) out.vigil = vigil;
  return out;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function parseBool(name: string, text: string): boolean {
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw badRequest(
    `invalid parameter ${JSON.stringify(name)}: error converting ${name}: strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`,
  );
}

function matcherSets(params: Params): Matcher[][] {
  const sets = getParams(params, 'match[]').map((text) => {
    try {
      return parseSeriesSelector(text);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
  });
  for (const set of sets)
    if (!set.some((m) => !m.matches('')))
      throw badRequest('match[] must contain at least one non-empty matcher');
  return sets;
}

function matchesSets(sets: readonly Matcher[][], labels: Labels): boolean {
  if (sets.length === 0) return true;
  return sets.some((set) => set.every((m) => m.matches(getLabel(labels, m.name))));
}

function nextToken(file: string, name: string): string {
  return createHash('sha256').update(`${file};${name}`).digest('hex');
}

/** Registers the rules and alerts endpoints. */
export function registerPrometheusRulesApi(
  app: FastifyInstance,
  source: RulesSource,
  extras?: AlertExtras,
): void {
  const alertJson = (a: ApiAlert) => alertJsonWith(a, extras);
  const rules = async (request: FastifyRequest) => {
    const params = requestParams(request);
    const ruleNames = new Set(getParams(params, 'rule_name[]'));
    const groupNames = new Set(getParams(params, 'rule_group[]'));
    const files = new Set(getParams(params, 'file[]'));
    const sets = matcherSets(params);
    const typ = (getParam(params, 'type') ?? '').toLowerCase();
    if (typ !== '' && typ !== 'alert' && typ !== 'record')
      throw badRequest(`invalid parameter "type": not supported value ${JSON.stringify(typ)}`);
    const returnAlerts = typ === '' || typ === 'alert';
    const returnRecording = typ === '' || typ === 'record';
    const exclude = (getParam(params, 'exclude_alerts') ?? '').toLowerCase();
    const excludeAlerts = exclude === '' ? false : parseBool('exclude_alerts', exclude);
    const limitText = getParam(params, 'group_limit');
    const token = getParam(params, 'group_next_token') ?? '';
    if (token !== '' && limitText === undefined)
      throw badRequest(
        'invalid parameter "group_next_token": group_limit needs to be present in order to paginate over the groups',
      );
    let maxGroups = -1;
    if (limitText !== undefined) {
      if (!/^[+-]?\d+$/.test(limitText) || Math.abs(Number(limitText)) > 2 ** 31 - 1)
        throw badRequest(
          `invalid parameter "group_limit": group_limit needs to be a valid number: strconv.ParseInt: parsing ${JSON.stringify(limitText)}: invalid syntax`,
        );
      maxGroups = Number(limitText);
      if (maxGroups <= 0)
        throw badRequest('invalid parameter "group_limit": group_limit needs to be greater than 0');
    }

    const out: Record<string, unknown>[] = [];
    let groupNextToken: string | undefined;
    let foundToken = false;
    for (const g of source.groups()) {
      if (maxGroups > 0 && token !== '' && !foundToken) {
        if (token !== nextToken(g.file, g.name)) continue;
        foundToken = true;
      }
      if (groupNames.size > 0 && !groupNames.has(g.name)) continue;
      if (files.size > 0 && !files.has(g.file)) continue;
      const rulesJson: Record<string, unknown>[] = [];
      for (const r of g.rules) {
        if (!matchesSets(sets, r.labels)) continue;
        if (ruleNames.size > 0 && !ruleNames.has(r.name)) continue;
        const lastError = r.lastError !== undefined ? { lastError: r.lastError } : {};
        if (r.type === 'alerting') {
          if (!returnAlerts) continue;
          rulesJson.push({
            state: r.state,
            name: r.name,
            query: r.query,
            duration: r.duration,
            keepFiringFor: r.keepFiringFor,
            labels: labelsToRecord(r.labels),
            annotations: labelsToRecord(r.annotations),
            alerts: excludeAlerts ? null : r.alerts().map(alertJson),
            health: r.health,
            ...lastError,
            evaluationTime: r.evaluationTime,
            lastEvaluation: goTimeJson(r.lastEvaluation),
            type: 'alerting',
          });
        } else {
          if (!returnRecording) continue;
          rulesJson.push({
            name: r.name,
            query: r.query,
            // Prometheus's recordingRule has `labels,omitempty`; alerting rules always have it.
            ...(r.labels.length > 0 ? { labels: labelsToRecord(r.labels) } : {}),
            health: r.health,
            ...lastError,
            evaluationTime: r.evaluationTime,
            lastEvaluation: goTimeJson(r.lastEvaluation),
            type: 'recording',
          });
        }
      }
      if (rulesJson.length === 0) continue;
      if (maxGroups > 0 && out.length === maxGroups) {
        groupNextToken = nextToken(g.file, g.name);
        break;
      }
      out.push({
        name: g.name,
        file: g.file,
        rules: rulesJson,
        interval: g.interval,
        limit: g.limit,
        evaluationTime: g.evaluationTime,
        lastEvaluation: goTimeJson(g.lastEvaluation),
      });
    }
    if (maxGroups > 0 && token !== '' && !foundToken)
      throw badRequest(
        `invalid parameter "group_next_token": invalid group_next_token '${token}'. were rule groups changed?`,
      );
    return { status: 'success', data: groupNextToken ? { groups: out, groupNextToken } : { groups: out } };
  };

  const alerts = async () => {
    const list: Record<string, unknown>[] = [];
    for (const g of source.groups())
      for (const r of g.rules) if (r.type === 'alerting') for (const a of r.alerts()) list.push(alertJson(a));
    return { status: 'success', data: { alerts: list } };
  };

  app.get('/api/v1/rules', rules);
  app.post('/api/v1/rules', rules);
  app.get('/api/v1/alerts', alerts);
}
