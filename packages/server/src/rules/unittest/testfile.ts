/**
 * promtool's unit-test file format, decoded strictly (unknown keys are errors) with go-yaml's
 * messages. See ../../../../../docs/rules.md and the conformance README §2 for the format.
 */
import type { Node } from 'yaml';
import { FatalDecodeError, parseYamlDocument, unmarshalErrors, type YamlDecoder } from '../yaml-decode.ts';

export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

export interface ExpAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface AlertTestCase {
  /** ms after the start. */
  readonly evalTime: number;
  readonly alertname: string;
  readonly expAlerts: readonly ExpAlert[];
}

export interface ExpSample {
  readonly labels: string;
  readonly value: number;
  readonly histogram: string;
}

export interface PromqlTestCase {
  readonly expr: string;
  readonly evalTime: number;
  readonly expSamples: readonly ExpSample[];
}

export interface TestGroup {
  /** ms; 0 when not set (defaults to evaluation_interval). */
  readonly interval: number;
  readonly inputSeries: readonly InputSeries[];
  readonly alertRuleTests: readonly AlertTestCase[];
  readonly promqlExprTests: readonly PromqlTestCase[];
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly name: string;
  /** Unix ms, or undefined for the epoch. */
  readonly startTimestamp: number | undefined;
}

export interface UnitTestFile {
  readonly ruleFiles: readonly string[];
  /** ms; 0 when not set (defaults to 1m). */
  readonly evaluationInterval: number;
  readonly groupEvalOrder: readonly string[];
  readonly tests: readonly TestGroup[];
  readonly fuzzyCompare: boolean;
}

/** promtool's parseTime: Unix seconds (with fraction) or RFC 3339; ms. */
export function parseStartTime(s: string): number {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s.trim())) return Math.trunc(Number(s) * 1000);
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s)) {
    const ms = Date.parse(s);
    if (Number.isFinite(ms)) return ms;
  }
  throw new FatalDecodeError(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
}

function decodeTestGroup(d: YamlDecoder, node: Node | null): TestGroup {
  const f = d.struct(node, 'main.testGroup', [
    'interval',
    'input_series',
    'alert_rule_test',
    'promql_expr_test',
    'external_labels',
    'external_url',
    'name',
    'start_timestamp',
  ]);
  const inputSeries = d.seq(f.get('input_series')?.node, '[]main.series').map((n) => {
    const s = d.struct(n, 'main.series', ['series', 'values']);
    return { series: d.string(s.get('series')?.node), values: d.string(s.get('values')?.node) };
  });
  const alertRuleTests = d.seq(f.get('alert_rule_test')?.node, '[]main.alertTestCase').map((n) => {
    const a = d.struct(n, 'main.alertTestCase', ['eval_time', 'alertname', 'exp_alerts']);
    return {
      evalTime: d.duration(a.get('eval_time')?.node) ?? 0,
      alertname: d.string(a.get('alertname')?.node),
      expAlerts: d.seq(a.get('exp_alerts')?.node, '[]main.alert').map((e) => {
        const x = d.struct(e, 'main.alert', ['exp_labels', 'exp_annotations']);
        return {
          labels: d.stringMap(x.get('exp_labels')?.node),
          annotations: d.stringMap(x.get('exp_annotations')?.node),
        };
      }),
    };
  });
  const promqlExprTests = d.seq(f.get('promql_expr_test')?.node, '[]main.promqlTestCase').map((n) => {
    const p = d.struct(n, 'main.promqlTestCase', ['expr', 'eval_time', 'exp_samples']);
    return {
      expr: d.string(p.get('expr')?.node),
      evalTime: d.duration(p.get('eval_time')?.node) ?? 0,
      expSamples: d.seq(p.get('exp_samples')?.node, '[]main.sample').map((s) => {
        const x = d.struct(s, 'main.sample', ['labels', 'value', 'histogram']);
        return {
          labels: d.string(x.get('labels')?.node),
          value: d.float(x.get('value')?.node),
          histogram: d.string(x.get('histogram')?.node),
        };
      }),
    };
  });
  const start = f.get('start_timestamp')?.node;
  return {
    interval: d.duration(f.get('interval')?.node) ?? 0,
    inputSeries,
    alertRuleTests,
    promqlExprTests,
    externalLabels: d.stringMap(f.get('external_labels')?.node, 'labels.Labels'),
    externalURL: d.string(f.get('external_url')?.node),
    name: d.string(f.get('name')?.node),
    startTimestamp: d.isNull(start) ? undefined : parseStartTime(d.string(start)),
  };
}

/** Decodes a unit-test file; throws Error with go-yaml's message when it is malformed. */
export function parseUnitTestFile(text: string, ignoreUnknownFields = false): UnitTestFile {
  const parsed = parseYamlDocument(text, ignoreUnknownFields);
  if ('error' in parsed) throw new Error(parsed.error);
  const d = parsed.decoder;
  let file: UnitTestFile;
  try {
    const f = d.struct(parsed.root, 'main.unitTestFile', [
      'rule_files',
      'evaluation_interval',
      'group_eval_order',
      'tests',
      'fuzzy_compare',
    ]);
    file = {
      ruleFiles: d.seq(f.get('rule_files')?.node, '[]string').map((n) => d.string(n)),
      evaluationInterval: d.duration(f.get('evaluation_interval')?.node) ?? 0,
      groupEvalOrder: d.seq(f.get('group_eval_order')?.node, '[]string').map((n) => d.string(n)),
      tests: d.seq(f.get('tests')?.node, '[]main.testGroup').map((n) => decodeTestGroup(d, n)),
      fuzzyCompare: d.bool(f.get('fuzzy_compare')?.node),
    };
  } catch (err) {
    if (err instanceof FatalDecodeError) throw new Error(err.message);
    throw err;
  }
  if (d.typeErrors.length > 0) throw new Error(unmarshalErrors(d.typeErrors));
  return file;
}
