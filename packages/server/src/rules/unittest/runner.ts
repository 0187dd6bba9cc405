/**
 * promtool's rule unit tests (cmd/promtool/unittest.go): load input series lazily, evaluate
 * every group at each step of the evaluation interval, compare firing alerts and PromQL results
 * with what the test expects, and report in promtool's words. Storage and engine are supplied
 * by the caller, so this file names no concrete backend.
 */

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import { RE2JS } from 're2js';
import { compareLabels, type Label, type Labels, labelsEqual } from '../../model/labels.ts';
import type { SeriesSamples } from '../../model/sample.ts';
import type { Engine } from '../../promql/index.ts';
import type { MetricsStorage } from '../../storage/interface.ts';
import { AlertingRule } from '../alerting-rule.ts';
import { ManualClock } from '../clock.ts';
import { glob } from '../glob.ts';
import { Group } from '../group.ts';
import { loadRuleFiles } from '../loader.ts';
import { engineQueryFunc } from '../query.ts';
import type { NameValidation } from '../rulefmt.ts';
import {
  goDurationString,
  goFloatE,
  goLabelsString,
  goQuote,
  indentLines,
  modelDurationString,
} from './format.ts';
import { parseInputSeries, parseSeriesLabels, SeriesError, type SeriesValue } from './series.ts';
import { type AlertTestCase, parseUnitTestFile, type TestGroup, type UnitTestFile } from './testfile.ts';

/** What the runner needs from outside: fresh storage and engines, and a (quiet) logger. */
export interface UnitTestDeps {
  newStorage(): MetricsStorage;
  /** An engine whose subqueries without a step use `subqueryInterval` (ms). */
  newEngine(subqueryInterval: number): Engine;
  readonly logger: Logger;
}

export interface UnitTestOptions {
  /** Only test groups whose name matches one of these regexes (unanchored). */
  readonly run?: readonly string[];
  readonly ignoreUnknownFields?: boolean;
  readonly nameValidation?: NameValidation;
  readonly debug?: boolean;
}

/** Where results go: promtool prints progress to stdout and failures to stderr. */
export interface UnitTestOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** One failing test group's report, for JUnit output. */
export interface SuiteResult {
  readonly file: string;
  readonly cases: { name: string; failures: string[] }[];
  error: string | undefined;
}

/**
 * Runs the unit-test files; returns promtool's exit code (0 all passed, 1 otherwise) and one
 * result per file.
 */
export async function rulesUnitTest(
  files: readonly string[],
  opts: UnitTestOptions,
  deps: UnitTestDeps,
  out: UnitTestOutput,
): Promise<{ code: number; suites: SuiteResult[] }> {
  let failed = false;
  const run = opts.run && opts.run.length > 0 ? RE2JS.compile(opts.run.join('|')) : undefined;
  const suites: SuiteResult[] = [];
  for (const f of files) {
    const suite: SuiteResult = { file: f, cases: [], error: undefined };
    suites.push(suite);
    const errs = await ruleUnitTest(f, opts, run, deps, out, suite);
    if (errs.length > 0) {
      out.stderr('  FAILED:\n');
      for (const e of errs) {
        out.stderr(`${e}\n`);
        out.stdout('\n');
      }
      failed = true;
    } else out.stdout('  SUCCESS\n');
    out.stdout('\n');
  }
  return { code: failed ? 1 : 0, suites };
}

async function ruleUnitTest(
  filename: string,
  opts: UnitTestOptions,
  run: RE2JS | undefined,
  deps: UnitTestDeps,
  out: UnitTestOutput,
  suite: SuiteResult,
): Promise<string[]> {
  let file: UnitTestFile;
  try {
    file = parseUnitTestFile(readFileSync(filename, 'utf8'), opts.ignoreUnknownFields);
  } catch (err) {
    const e =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? `open ${filename}: no such file or directory`
        : (err as Error).message;
    suite.error = e;
    return [e];
  }
  // Rule files resolve against the test file's directory; globs expand there.
  const ruleFiles: string[] = [];
  for (const rf of file.ruleFiles) {
    const pattern = rf !== '' && !isAbsolute(rf) ? join(dirname(filename), rf) : rf;
    let matches: string[];
    try {
      matches = glob(pattern);
    } catch (err) {
      suite.error = (err as Error).message;
      return [(err as Error).message];
    }
    if (matches.length === 0) out.stderr(`  WARNING: no file match pattern ${pattern}\n`);
    ruleFiles.push(...matches);
  }
  const evalInterval = file.evaluationInterval || 60_000;
  const groupOrder = new Map<string, number>();
  for (const [i, gn] of file.groupEvalOrder.entries()) {
    if (groupOrder.has(gn)) {
      const e = `group name repeated in evaluation order: ${gn}`;
      suite.error = e;
      return [e];
    }
    groupOrder.set(gn, i);
  }
  const errs: string[] = [];
  for (const [i, tg] of file.tests.entries()) {
    if (run && !run.test(tg.name)) continue;
    const testname = tg.name !== '' ? tg.name : `unnamed#${i}`;
    const c = { name: testname, failures: [] as string[] };
    suite.cases.push(c);
    if (opts.debug) out.stderr(`DEBUG: Starting test ${testname}\n`);
    const ers = await testGroup(
      { ...tg, interval: tg.interval || evalInterval },
      evalInterval,
      groupOrder,
      file.fuzzyCompare,
      ruleFiles,
      opts,
      deps,
    );
    c.failures.push(...ers);
    errs.push(...ers);
  }
  return errs;
}

/** The input series loaded up to a time, as promqltest's LazyLoader. */
class LazyLoader {
  private readonly cursors: number[];
  constructor(
    private readonly storage: MetricsStorage,
    private readonly series: readonly { labels: Labels; values: SeriesValue[] }[],
    private readonly start: number,
    private readonly interval: number,
  ) {
    this.cursors = series.map(() => 0);
  }

  /** Appends every sample at or before `ts` not appended yet. */
  async appendTill(ts: number): Promise<void> {
    const batch: SeriesSamples[] = [];
    this.series.forEach((s, k) => {
      const start = this.cursors[k];
      let i = start;
      while (i < s.values.length && this.start + i * this.interval <= ts) i++;
      this.cursors[k] = i;
      let n = 0;
      for (let j = start; j < i; j++) if (s.values[j].kind === 'float') n++;
      if (n === 0) return;
      // Values go straight into Float64Arrays so stale markers keep their NaN bit pattern.
      const times = new Float64Array(n);
      const values = new Float64Array(n);
      let w = 0;
      for (let j = start; j < i; j++) {
        const v = s.values[j];
        if (v.kind !== 'float') continue;
        times[w] = this.start + j * this.interval;
        values[w] = v.value;
        w++;
      }
      batch.push({ labels: s.labels, timestamps: times, values });
    });
    if (batch.length > 0) await this.storage.append(batch);
  }
}

interface Got {
  labels: Labels;
  annotations: Labels;
}

function compareGot(a: Got, b: Got): number {
  return compareLabels(a.labels, b.labels) || compareLabels(a.annotations, b.annotations);
}

/** labels.FromMap: sorted, keeping empty values (unlike model's labelsFromRecord). */
function fromMap(m: Readonly<Record<string, string>>): Labels {
  return Object.entries(m)
    .map(([name, value]): Label => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function gotListString(list: readonly Got[]): string {
  if (list.length === 0) return '[]';
  const one = (g: Got) => `Labels:${goLabelsString(g.labels)}\nAnnotations:${goLabelsString(g.annotations)}`;
  let s = `[\n0:${indentLines(`\n${one(list[0])}`, '  ')}`;
  list.slice(1).forEach((g, i) => {
    s += `,\n${i + 1}:${indentLines(`\n${one(g)}`, '  ')}`;
  });
  return `${s}\n]`;
}

function floatsEqual(x: number, y: number, fuzzy: boolean): boolean {
  if (x === y) return true;
  if (!fuzzy) return false;
  return nextAfter(x, -Infinity) === y || nextAfter(x, Infinity) === y;
}

const f64 = new Float64Array(1);
const u64 = new BigInt64Array(f64.buffer);

/** math.Nextafter. */
function nextAfter(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
  if (x === y) return x;
  if (x === 0) return y > 0 ? 5e-324 : -5e-324;
  f64[0] = x;
  if (y > x === x > 0) u64[0] += 1n;
  else u64[0] -= 1n;
  return f64[0];
}

async function testGroup(
  tg: TestGroup,
  evalInterval: number,
  groupOrder: ReadonlyMap<string, number>,
  fuzzy: boolean,
  ruleFiles: readonly string[],
  opts: UnitTestOptions,
  deps: UnitTestDeps,
): Promise<string[]> {
  const mint = tg.startTimestamp ?? 0;
  // Input series, as promtool's `load <interval>` block.
  const series: { labels: Labels; values: SeriesValue[] }[] = [];
  try {
    for (const s of tg.inputSeries) series.push(parseInputSeries(s.series, s.values));
  } catch (err) {
    if (err instanceof SeriesError) return [err.message];
    throw err;
  }
  const storage = deps.newStorage();
  try {
    const engine = deps.newEngine(evalInterval);
    const loader = new LazyLoader(storage, series, mint, tg.interval);
    const query = engineQueryFunc(engine, storage);

    const loaded = loadRuleFiles(ruleFiles, {
      defaultInterval: tg.interval,
      restored: true,
      nameValidation: opts.nameValidation,
      ignoreUnknownFields: opts.ignoreUnknownFields,
    });
    if (loaded.errors.length > 0) return loaded.errors;
    const clock = new ManualClock(mint);
    const groups = loaded.groups
      .map((lg, i) => ({ lg, i }))
      .sort((a, b) => (groupOrder.get(a.lg.name) ?? 0) - (groupOrder.get(b.lg.name) ?? 0) || a.i - b.i)
      .map(
        ({ lg }) =>
          new Group(
            { ...lg, shouldRestore: false },
            {
              query,
              templateQuery: async (q, t) =>
                (await query(q, t)).map((s) => ({ labels: s.labels, value: s.value })),
              append: (b) => storage.append(b),
              queryable: storage,
              notify: () => {},
              clock,
              logger: deps.logger,
              metrics: undefined,
              externalURL: tg.externalURL,
              externalLabels: tg.externalLabels,
              resendDelay: 60_000,
              outageTolerance: 3_600_000,
              forGracePeriod: 600_000,
              defaultQueryOffset: 0,
            },
          ),
      );

    const maxEval = Math.max(
      0,
      ...tg.alertRuleTests.map((a) => a.evalTime),
      ...tg.promqlExprTests.map((p) => p.evalTime),
    );
    const maxt = mint + maxEval;

    for (const a of tg.alertRuleTests) {
      if (a.alertname === '') {
        const where = tg.name !== '' ? ` (in TestGroup ${tg.name})` : '';
        return [
          `an item under alert_rule_test misses required attribute alertname at eval_time ${modelDurationString(a.evalTime)}${where}`,
        ];
      }
    }
    const alertEvalTimes = [...new Set(tg.alertRuleTests.map((a) => a.evalTime))].sort((x, y) => x - y);
    const alertTests = new Map<number, AlertTestCase[]>();
    for (const a of tg.alertRuleTests) alertTests.set(a.evalTime, [...(alertTests.get(a.evalTime) ?? []), a]);

    const errs: string[] = [];
    let curr = 0;
    for (let ts = mint; ts <= maxt; ts += evalInterval) {
      await loader.appendTill(ts);
      const evalErrs: string[] = [];
      for (const g of groups) {
        await g.eval(ts);
        for (const r of g.rules)
          if (r.lastError !== undefined)
            evalErrs.push(`    rule: ${r.name}, time: ${goDurationString(ts)}, err: ${r.lastError}`);
      }
      errs.push(...evalErrs);
      if (evalErrs.length > 0) return errs;

      while (
        curr < alertEvalTimes.length &&
        ts - mint <= alertEvalTimes[curr] &&
        alertEvalTimes[curr] < ts + evalInterval - mint
      ) {
        const t = alertEvalTimes[curr];
        const present = new Set(alertTests.get(t)!.map((a) => a.alertname));
        const got = new Map<string, Got[]>();
        for (const g of groups) {
          for (const r of g.rules) {
            if (!(r instanceof AlertingRule) || !present.has(r.name)) continue;
            const firing = r
              .activeAlerts()
              .filter((a) => a.state === 'firing')
              .map((a) => ({ labels: a.labels, annotations: a.annotations }));
            got.set(r.name, [...(got.get(r.name) ?? []), ...firing]);
          }
        }
        for (const tc of alertTests.get(t)!) {
          const gotAlerts = [...(got.get(tc.alertname) ?? [])].sort(compareGot);
          const expAlerts = tc.expAlerts
            .map((a) => ({
              labels: fromMap({ ...a.labels, alertname: tc.alertname }),
              annotations: fromMap(a.annotations),
            }))
            .sort(compareGot);
          const equal =
            gotAlerts.length === expAlerts.length &&
            gotAlerts.every(
              (g, k) =>
                labelsEqual(g.labels, expAlerts[k].labels) &&
                labelsEqual(g.annotations, expAlerts[k].annotations),
            );
          if (!equal) {
            const testName = tg.name !== '' ? `    name: ${tg.name},\n` : '';
            errs.push(
              `${testName}    alertname: ${tc.alertname}, time: ${modelDurationString(tc.evalTime)}, \n        exp:${indentLines(gotListString(expAlerts), '            ')}, \n        got:${indentLines(gotListString(gotAlerts), '            ')}`,
            );
          }
        }
        curr++;
      }
    }

    // PromQL expression tests, against the input and everything the rules wrote.
    outer: for (const tc of tg.promqlExprTests) {
      const where = `    expr: ${goQuote(tc.expr)}, time: ${modelDurationString(tc.evalTime)}`;
      let got: { labels: Labels; value: number }[];
      try {
        got = await query(tc.expr, mint + tc.evalTime);
      } catch (err) {
        errs.push(`${where}, err: ${(err as Error).message}`);
        continue;
      }
      const exp: { labels: Labels; value: number }[] = [];
      for (const s of tc.expSamples) {
        try {
          if (s.histogram !== '')
            throw new SeriesError('native histograms are not supported: Vigil stores float samples only');
          exp.push({ labels: parseSeriesLabels(s.labels, true).labels, value: s.value });
        } catch (err) {
          errs.push(`${where}, err: labels ${goQuote(s.labels)}: ${(err as Error).message}`);
          continue outer;
        }
      }
      const byLabels = (a: { labels: Labels }, b: { labels: Labels }) => compareLabels(a.labels, b.labels);
      exp.sort(byLabels);
      got.sort(byLabels);
      const equal =
        exp.length === got.length &&
        exp.every(
          (e, k) => labelsEqual(e.labels, got[k].labels) && floatsEqual(e.value, got[k].value, fuzzy),
        );
      if (!equal) {
        const str = (l: { labels: Labels; value: number }[]) =>
          l.length === 0
            ? 'nil'
            : l.map((s) => `${goLabelsString(s.labels)} ${goFloatE(s.value)}`).join(', ');
        errs.push(`${where},\n        exp: ${str(exp)}\n        got: ${str(got)}`);
      }
    }
    return errs;
  } finally {
    await storage.close();
  }
}
