/**
 * Runs Prometheus's PromQL test scripts against our engine and storage, checking each eval case
 * exactly as upstream's promqltest does (../shared/conformance/README.md §1.4-1.5): errors,
 * annotations, results, plus the step-invariance (`@` rewrite) and range-mode cross-checks of
 * instant evals.
 */
import { RE2JS } from 're2js';
import { compareLabels, type Labels, labelsKey } from '../../model/labels.ts';
import { isStaleNaN, type SeriesSamples } from '../../model/sample.ts';
import type { MetricsStorage } from '../../storage/interface.ts';
import type { Engine, QueryResult } from '../engine/engine.ts';
import { QueryError } from '../engine/errors.ts';
import { formatLabelsProm } from '../engine/format.ts';
import { almostEqual } from '../engine/math.ts';
import { AT_MODIFIER_UNSAFE_FUNCTIONS } from '../engine/preprocess.ts';
import type { QueryValue } from '../engine/values.ts';
import { type Expr, inspect } from '../parser/ast.ts';
import { formatExpr } from '../parser/printer.ts';
import {
  type Command,
  type EvalCommand,
  type ExpectDirective,
  type LoadCommand,
  parseScript,
} from './script.ts';

/** Whether one eval case passed, and why not. */
export interface CaseOutcome {
  readonly line: number;
  readonly expr: string;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly reason?: string;
}

/** How to run a script: engine, storage factory, which cases to skip. */
export interface RunOptions {
  /** Returns true for cases to skip (for example native-histogram cases); the string is the reason. */
  readonly skip: (line: number) => string | undefined;
  readonly newStorage: () => MetricsStorage;
  readonly engine: Engine;
}

class CaseFailure extends Error {}

/** Runs one script; returns an outcome per eval command. */
export async function runScript(text: string, opts: RunOptions): Promise<CaseOutcome[]> {
  const outcomes: CaseOutcome[] = [];
  let storage = opts.newStorage();
  for (const cmd of parseScript(text) as Command[]) {
    if (cmd.kind === 'clear') {
      await storage.close();
      storage = opts.newStorage();
    } else if (cmd.kind === 'load') {
      await load(storage, cmd);
    } else {
      const skip = opts.skip(cmd.line);
      if (skip) {
        outcomes.push({ line: cmd.line, expr: cmd.expr, status: 'skip', reason: skip });
        continue;
      }
      try {
        await runEval(cmd, storage, opts.engine);
        outcomes.push({ line: cmd.line, expr: cmd.expr, status: 'pass' });
      } catch (err) {
        outcomes.push({ line: cmd.line, expr: cmd.expr, status: 'fail', reason: (err as Error).message });
      }
    }
  }
  await storage.close();
  return outcomes;
}

async function load(storage: MetricsStorage, cmd: LoadCommand): Promise<void> {
  // Like upstream, a series defined twice in one load block keeps its last definition.
  const byKey = new Map<string, SeriesSamples>();
  for (const s of cmd.series) {
    const ts: number[] = [];
    const vs = new Float64Array(s.values.length);
    let n = 0;
    s.values.forEach((v, i) => {
      // Native histograms cannot be stored; cases that read them are skipped.
      if (v.kind !== 'float') return;
      ts.push(i * cmd.interval);
      vs[n++] = v.value;
    });
    byKey.set(labelsKey(s.labels), {
      labels: s.labels,
      timestamps: Float64Array.from(ts),
      values: vs.slice(0, n),
    });
  }
  const batch = [...byKey.values()].filter((s) => s.timestamps.length > 0);
  const res = await storage.append(batch);
  if (res.rejected.length > 0) {
    throw new Error(
      `load at line ${cmd.line}: ${res.rejected.map((r) => `${r.reason}: ${r.example}`).join('; ')}`,
    );
  }
}

function isFail(cmd: EvalCommand): boolean {
  return cmd.legacyFail || cmd.expects.some((e) => e.type === 'fail');
}

function matches(e: ExpectDirective, s: string): boolean {
  if (e.msg !== undefined) return e.msg === s;
  if (e.regex !== undefined) return RE2JS.compile(e.regex).matcher(s).find();
  return true;
}

async function runEval(cmd: EvalCommand, storage: MetricsStorage, engine: Engine): Promise<void> {
  if (!cmd.instant) {
    const res = await query(cmd, () => engine.rangeQuery(storage, cmd.expr, cmd.start, cmd.end, cmd.step));
    if (!res) return;
    checkAnnotations(cmd, res);
    compareResult(cmd, res.result);
    return;
  }
  const queries = [{ expr: cmd.expr, t: cmd.at }, ...atModifierCases(engine, cmd.expr, cmd.at)];
  for (const iq of queries) {
    const res = await query(cmd, () => engine.instantQuery(storage, iq.expr, iq.t));
    if (!res) continue;
    checkAnnotations(cmd, res);
    compareResult(cmd, res.result, `(query ${JSON.stringify(iq.expr)} at ${iq.t})`);
    if (cmd.rangeVector || cmd.expectString !== undefined) continue;
    if (/(start|end|range|step)\(\)/.test(iq.expr)) continue;
    let rangeRes: QueryResult;
    try {
      rangeRes = await engine.rangeQuery(storage, iq.expr, iq.t - 60_000, iq.t + 60_000, 60_000);
    } catch (err) {
      throw new CaseFailure(
        `error evaluating ${JSON.stringify(iq.expr)} in range mode: ${(err as Error).message}`,
      );
    }
    if (cmd.ordered) continue;
    if (rangeRes.result.type !== 'matrix') throw new CaseFailure('range query did not return a matrix');
    assertSorted(rangeRes.result.series);
    const samples = [];
    for (const s of rangeRes.result.series) {
      const i = s.timestamps.indexOf(iq.t);
      if (i >= 0) samples.push({ metric: s.metric, t: iq.t, v: s.values[i] });
    }
    const asValue: QueryValue =
      res.result.type === 'scalar'
        ? { type: 'scalar', t: iq.t, v: samples[0]?.v ?? Number.NaN }
        : { type: 'vector', samples };
    compareResult(cmd, asValue, `(range mode of ${JSON.stringify(iq.expr)} at ${iq.t})`);
  }
}

/** Runs a query; returns undefined when an expected failure happened as expected. */
async function query(cmd: EvalCommand, run: () => Promise<QueryResult>): Promise<QueryResult | undefined> {
  let res: QueryResult;
  try {
    res = await run();
  } catch (err) {
    if (!(err instanceof QueryError)) throw err;
    if (isFail(cmd)) {
      const fail = cmd.expects.find((e) => e.type === 'fail');
      if (fail && !matches(fail, err.message)) {
        throw new CaseFailure(`expected error matching ${fail.msg ?? fail.regex}, got: ${err.message}`);
      }
      return undefined;
    }
    throw new CaseFailure(`error evaluating query: ${err.message}`);
  }
  if (isFail(cmd)) throw new CaseFailure('expected an error but got none');
  return res;
}

function checkAnnotations(cmd: EvalCommand, res: QueryResult): void {
  const check = (kind: 'warn' | 'info', actual: readonly string[]) => {
    const expected = cmd.expects.filter((e) => e.type === kind);
    if (expected.length > 0) {
      if (actual.length === 0) throw new CaseFailure(`expected ${kind} annotations but none were found`);
      for (const e of expected) {
        if (!actual.some((a) => matches(e, a))) {
          throw new CaseFailure(
            `expected ${kind} annotation ${e.msg ?? e.regex ?? ''}, found: ${JSON.stringify(actual)}`,
          );
        }
      }
      for (const a of actual) {
        if (!expected.some((e) => matches(e, a)))
          throw new CaseFailure(`unexpected ${kind} annotation ${JSON.stringify(a)}`);
      }
    }
    const none = cmd.expects.some((e) => e.type === (kind === 'warn' ? 'no_warn' : 'no_info'));
    if (none && actual.length > 0)
      throw new CaseFailure(`unexpected ${kind} annotations: ${JSON.stringify(actual)}`);
  };
  check('warn', res.warnings);
  check('info', res.infos);
}

function assertSorted(series: readonly { metric: Labels }[]): void {
  for (let i = 1; i < series.length; i++) {
    if (compareLabels(series[i - 1].metric, series[i].metric) > 0) {
      throw new CaseFailure(
        `matrix results should always be sorted by labels: ${formatLabelsProm(series[i].metric)}`,
      );
    }
  }
}

function compareResult(cmd: EvalCommand, value: QueryValue, where = ''): void {
  const fail = (msg: string) => {
    throw new CaseFailure(where ? `${msg} ${where}` : msg);
  };
  const expected = new Map(cmd.expected.map((e, i) => [labelsKey(e.labels), { desc: e, pos: i + 1 }]));
  switch (value.type) {
    case 'matrix': {
      if (cmd.ordered) fail('expected ordered result, but query returned a matrix');
      if (cmd.expectScalar !== undefined) fail('expected scalar result, but got matrix');
      assertSorted(value.series);
      const start = cmd.rangeVector ? cmd.rangeVector.start : cmd.start;
      const end = cmd.rangeVector ? cmd.rangeVector.end : cmd.end;
      const step = cmd.rangeVector ? cmd.rangeVector.step : cmd.step;
      const seen = new Set<string>();
      for (const s of value.series) {
        const key = labelsKey(s.metric);
        const exp = expected.get(key);
        if (!exp) fail(`unexpected metric ${formatLabelsProm(s.metric)} in result`);
        seen.add(key);
        const points: [number, number][] = [];
        let histograms = 0;
        exp!.desc.values.forEach((v, i) => {
          const t = start + i * step;
          if (t > end)
            fail(
              `expected ${exp!.desc.values.length} points for ${formatLabelsProm(s.metric)}, but query time range cannot return this many points`,
            );
          if (v.kind === 'float') points.push([t, v.value]);
          else if (v.kind === 'histogram') histograms++;
        });
        if (points.length !== s.timestamps.length || histograms > 0) {
          fail(
            `expected ${points.length} float points and ${histograms} histogram points for ${formatLabelsProm(s.metric)}, but got ${s.timestamps.length} float points: ${formatPoints(s.timestamps, s.values)}`,
          );
        }
        points.forEach(([t, v], i) => {
          if (s.timestamps[i] !== t)
            fail(`expected point ${i} of ${formatLabelsProm(s.metric)} at ${t}, got ${s.timestamps[i]}`);
          if (!floatEqual(s.values[i], v)) {
            fail(`expected ${v} at t=${t} for ${formatLabelsProm(s.metric)}, got ${s.values[i]}`);
          }
        });
      }
      for (const [key, e] of expected)
        if (!seen.has(key)) fail(`expected metric ${formatLabelsProm(e.desc.labels)} not found`);
      return;
    }
    case 'vector': {
      if (cmd.expectScalar !== undefined) fail('expected scalar result, but got vector');
      const seen = new Set<string>();
      value.samples.forEach((s, i) => {
        const key = labelsKey(s.metric);
        const exp = expected.get(key);
        if (!exp) fail(`unexpected metric ${formatLabelsProm(s.metric)} in result, has value ${s.v}`);
        if (cmd.ordered && exp!.pos !== i + 1) {
          fail(`expected metric ${formatLabelsProm(s.metric)} at position ${exp!.pos} but was at ${i + 1}`);
        }
        const e0 = exp!.desc.values[0];
        if (e0?.kind !== 'float')
          fail(`expected a histogram for ${formatLabelsProm(s.metric)} but got float ${s.v}`);
        else if (!floatEqual(s.v, e0.value))
          fail(`expected ${e0.value} for ${formatLabelsProm(s.metric)} but got ${s.v}`);
        seen.add(key);
      });
      for (const [key, e] of expected)
        if (!seen.has(key)) fail(`expected metric ${formatLabelsProm(e.desc.labels)} not found`);
      return;
    }
    case 'scalar':
      if (cmd.expectScalar === undefined) fail(`expected vector or matrix result, but got scalar ${value.v}`);
      if (!floatEqual(value.v, cmd.expectScalar!))
        fail(`expected scalar ${cmd.expectScalar} but got ${value.v}`);
      return;
    case 'string':
      if (cmd.expectString !== value.v)
        fail(`expected string ${JSON.stringify(cmd.expectString)} but got ${JSON.stringify(value.v)}`);
      return;
  }
}

function floatEqual(actual: number, expected: number): boolean {
  if (isStaleNaN(actual) || isStaleNaN(expected)) return isStaleNaN(actual) && isStaleNaN(expected);
  return almostEqual(actual, expected, 1e-6);
}

function formatPoints(ts: Float64Array, vs: Float64Array): string {
  const parts: string[] = [];
  for (let i = 0; i < ts.length && i < 20; i++) parts.push(`${vs[i]} @[${ts[i]}]`);
  return parts.join(', ');
}

/**
 * Upstream's step-invariance check: every selector and subquery without `@` gets `@ <T>`, and
 * the query is re-run at other times, where it must give the same answer.
 */
function atModifierCases(engine: Engine, exprText: string, evalTime: number): { expr: string; t: number }[] {
  const expr = engine.parse(exprText);
  let unsafe = false;
  inspect(expr, (n) => {
    if (n.kind === 'Call' && AT_MODIFIER_UNSAFE_FUNCTIONS.has(n.func)) unsafe = true;
    return true;
  });
  if (unsafe) return [];
  const rewritten = formatExpr(pinTimestamps(expr, evalTime));
  const times =
    evalTime === 0
      ? [-1000, 0, 1000]
      : [-10 * evalTime, 0, Math.trunc(evalTime / 5), evalTime, 10 * evalTime];
  return times.map((t) => ({ expr: rewritten, t }));
}

function pinTimestamps(e: Expr, ts: number): Expr {
  switch (e.kind) {
    case 'VectorSelector':
      return e.timestamp === undefined ? { ...e, timestamp: ts } : e;
    case 'MatrixSelector':
      return { ...e, vectorSelector: pinTimestamps(e.vectorSelector, ts) as typeof e.vectorSelector };
    case 'SubqueryExpr':
      // Selectors inside a subquery are left alone: the subquery itself now has an @.
      return e.timestamp === undefined ? { ...e, timestamp: ts } : e;
    case 'AggregateExpr':
      return { ...e, expr: pinTimestamps(e.expr, ts), param: e.param && pinTimestamps(e.param, ts) };
    case 'BinaryExpr':
      return { ...e, lhs: pinTimestamps(e.lhs, ts), rhs: pinTimestamps(e.rhs, ts) };
    case 'Call':
      return { ...e, args: e.args.map((a) => pinTimestamps(a, ts)) };
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return { ...e, expr: pinTimestamps(e.expr, ts) };
    default:
      return e;
  }
}
