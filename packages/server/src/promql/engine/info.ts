/**
 * info(v, {data label selector}) (experimental): enriches each series of `v` with labels of the
 * info series (by default target_info) that share its `instance` and `job` labels
 * (Prometheus's promql/info.go). The info series are selected during evaluation, restricted to
 * the identifying label values actually present in `v`.
 */
import { type Labels, METRIC_NAME } from '../../model/labels.ts';
import { type Matcher, newMatcher } from '../../model/matcher.ts';
import { type Expr, inspect } from '../parser/ast.ts';
import { EvaluationError } from './errors.ts';
import type { Evaluator } from './evaluator.ts';
import { formatLabelsProm } from './format.ts';
import { labelValue, type Matrix, newSeries, pushPoint, type Series, seriesKey } from './values.ts';

const TARGET_INFO = 'target_info';
const IDENTIFYING_LABELS = ['instance', 'job'];

function effectiveInfoNameMatchers(matchers: readonly Matcher[]): Matcher[] {
  for (const m of matchers) if (m.type === '=' || m.type === '=~') return [...matchers];
  if (matchers.length > 0) return [newMatcher('=~', METRIC_NAME, '.+_info'), ...matchers];
  return [newMatcher('=', METRIC_NAME, TARGET_INFO)];
}

function selectTimestampAndOffset(expr: Expr): { ts: number | undefined; offset: number } {
  let result: { ts: number | undefined; offset: number } | undefined;
  inspect(expr, (node, path) => {
    if (result) return false;
    if (node.kind !== 'VectorSelector') return true;
    let ts = node.timestamp;
    let offset = node.offset;
    for (let i = path.length - 1; ts === undefined && i >= 0; i--) {
      const p = path[i];
      if (p.kind === 'SubqueryExpr') {
        offset += p.offset;
        ts = p.timestamp;
      }
    }
    result = { ts, offset };
    return false;
  });
  return result ?? { ts: undefined, offset: 0 };
}

function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** Evaluates info(v, selector?) over the whole query range. */
export async function evalInfo(ev: Evaluator, args: readonly Expr[]): Promise<Matrix> {
  const { ts: nodeTimestamp, offset } = selectTimestampAndOffset(args[0]);
  const mat = await ev.evalMatrix(args[0]);
  const dataLabelMatchers = new Map<string, Matcher[]>();
  let infoNameMatchers: Matcher[] = [];
  const selector = args[1];
  if (selector?.kind === 'VectorSelector') {
    for (const m of selector.matchers) {
      const list = dataLabelMatchers.get(m.name) ?? [];
      list.push(m);
      dataLabelMatchers.set(m.name, list);
      if (m.name === METRIC_NAME) infoNameMatchers.push(m);
    }
  } else {
    infoNameMatchers = [newMatcher('=', METRIC_NAME, TARGET_INFO)];
  }
  const effective = effectiveInfoNameMatchers(infoNameMatchers);
  const ignore = new Set<string>();
  for (const s of mat) {
    const name = labelValue(s.metric, METRIC_NAME);
    if (effective.every((m) => m.matches(name))) ignore.add(seriesKey(s.metric));
  }

  // The info series, selected for the identifying label values present in the input.
  const lookback = ev.q.lookbackDelta;
  let start = nodeTimestamp ?? ev.start;
  let end = nodeTimestamp ?? ev.end;
  start -= lookback - 1;
  start -= offset;
  end -= offset;
  const idValues = new Map<string, Set<string>>();
  for (const s of mat) {
    if (ignore.has(seriesKey(s.metric))) continue;
    for (const l of IDENTIFYING_LABELS) {
      const v = labelValue(s.metric, l);
      if (v === '') continue;
      let set = idValues.get(l);
      if (!set) {
        set = new Set();
        idValues.set(l, set);
      }
      set.add(v);
    }
  }
  const nameMatchers: Matcher[] = [];
  const infoLabelMatchers: Matcher[] = [];
  for (const [name, values] of idValues)
    infoLabelMatchers.push(newMatcher('=~', name, [...values].map(quoteMeta).join('|')));
  for (const ms of dataLabelMatchers.values()) {
    for (const m of ms) {
      if (m.name === METRIC_NAME) nameMatchers.push(m);
      else infoLabelMatchers.push(m);
    }
  }
  dataLabelMatchers.delete(METRIC_NAME);
  let infoMat: Matrix = [];
  if (idValues.size > 0) {
    infoLabelMatchers.push(...effectiveInfoNameMatchers(nameMatchers));
    const infoSeries = await ev.q.select(infoLabelMatchers, start, end);
    infoMat = ev.evalSeries(infoSeries, offset, true, nodeTimestamp);
  }
  return combine(ev, mat, infoMat, ignore, dataLabelMatchers);
}

function infoSignature(name: string, metric: Labels): string {
  let k = `${METRIC_NAME}\ud800${name}\udbff`;
  for (const l of metric)
    if (IDENTIFYING_LABELS.includes(l.name)) k += l.name + '\ud800' + l.value + '\udbff';
  return k;
}

interface Point {
  metric: Labels;
  f: number;
  dropName: boolean;
}

async function combine(
  ev: Evaluator,
  mat: Matrix,
  infoMat: Matrix,
  ignore: ReadonlySet<string>,
  dataLabelMatchers: ReadonlyMap<string, Matcher[]>,
): Promise<Matrix> {
  const infoNames = new Set<string>();
  for (const s of infoMat) infoNames.add(labelValue(s.metric, METRIC_NAME));
  const baseSigs = mat.map((s) =>
    [...infoNames].map((name) => [name, infoSignature(name, s.metric)] as const),
  );
  const infoSigs = infoMat.map((s) => infoSignature(labelValue(s.metric, METRIC_NAME), s.metric));
  const numSteps = ev.numSteps();
  const out = new Map<string, { s: Series; lastTs: number }>();
  const baseCur = new Int32Array(mat.length);
  const infoCur = new Int32Array(infoMat.length);
  const allMatchersMatchEmpty = [...dataLabelMatchers.values()].every((ms) => ms.every((m) => m.matches('')));

  for (let ts = ev.start; ts <= ev.end; ts += ev.interval) {
    if (ev.tick()) await ev.checkpoint();
    const right = new Map<string, { metric: Labels; origT: number }>();
    for (let i = 0; i < infoMat.length; i++) {
      const s = infoMat[i];
      const p = infoCur[i];
      if (p >= s.n || s.ts[p] !== ts) continue;
      infoCur[i] = p + 1;
      const origT = Math.trunc(s.fs[p]);
      const sig = infoSigs[i];
      const existing = right.get(sig);
      if (existing) {
        if (existing.origT > origT) continue;
        if (existing.origT === origT) {
          throw new EvaluationError(
            `found duplicate series for info metric: existing ${formatLabelsProm(existing.metric)} @ ${existing.origT}, new ${formatLabelsProm(s.metric)} @ ${origT}`,
          );
        }
      }
      right.set(sig, { metric: s.metric, origT });
    }
    const result: Point[] = [];
    for (let i = 0; i < mat.length; i++) {
      const s = mat[i];
      const p = baseCur[i];
      if (p >= s.n || s.ts[p] !== ts) continue;
      baseCur[i] = p + 1;
      const f = s.fs[p];
      if (ignore.has(seriesKey(s.metric))) {
        result.push({ metric: s.metric, f, dropName: s.dropName });
        continue;
      }
      const baseNames = new Set(s.metric.map((l) => l.name));
      const added = new Map<string, string>();
      let seen = 0;
      for (const [, sig] of baseSigs[i]) {
        const is = right.get(sig);
        if (!is) continue;
        for (const l of is.metric) {
          if (l.name === METRIC_NAME) continue;
          if (dataLabelMatchers.size > 0 && !dataLabelMatchers.has(l.name)) continue;
          const prev = added.get(l.name);
          if (prev !== undefined && prev !== '' && prev !== l.value)
            throw new EvaluationError(`conflicting label: ${l.name}`);
          if (baseNames.has(l.name)) continue;
          added.set(l.name, l.value);
        }
        seen++;
      }
      if (seen === 0 && !allMatchersMatchEmpty) continue;
      let metric = s.metric;
      if (added.size > 0) {
        const merged = [...s.metric];
        for (const [name, value] of added) if (value !== '') merged.push({ name, value });
        metric = merged.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      }
      result.push({ metric, f, dropName: s.dropName });
    }
    ev.currentSamples += result.length;
    ev.checkSamples();
    for (const r of result) {
      const key = seriesKey(r.metric);
      let o = out.get(key);
      if (o) {
        if (o.lastTs === ts)
          throw new EvaluationError('vector cannot contain metrics with the same labelset');
        o.lastTs = ts;
      } else {
        o = { s: newSeries(r.metric, r.dropName, numSteps), lastTs: ts };
        out.set(key, o);
      }
      pushPoint(o.s, ts, r.f);
    }
  }
  return [...out.values()].map((o) => o.s);
}
