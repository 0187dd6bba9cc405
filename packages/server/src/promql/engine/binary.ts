/**
 * Binary operators between scalars and instant vectors, with vector matching
 * (on/ignoring/group_left/group_right, fill) and set operators, as Prometheus's engine.go
 * implements them. `sig` arrays carry each gathered sample's matching-signature ordinal.
 */
import type { Label, Labels } from '../../model/labels.ts';
import { METRIC_NAME } from '../../model/labels.ts';
import { type BinaryOp, isComparisonOp, type PosRange, type VectorMatching } from '../parser/ast.ts';
import { annotations } from './annotations.ts';
import { EvaluationError } from './errors.ts';
import { formatLabelsProm } from './format.ts';
import type { EvalNodeHelper } from './helper.ts';
import { dropMetricName, type Sample, seriesKey, type Vector } from './values.ts';

/** Go's math.Pow, which differs from `**` for 1 ** NaN, 1 ** ±Inf and (-1) ** ±Inf. */
export function goPow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x === 1) return 1;
  if (x === -1 && (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY)) return 1;
  return x ** y;
}

/** A binary operation between two scalars (comparisons give 0 or 1). */
export function scalarBinop(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '^':
      return goPow(l, r);
    case '%':
      return l % r;
    case '==':
      return l === r ? 1 : 0;
    case '!=':
      return l !== r ? 1 : 0;
    case '>':
      return l > r ? 1 : 0;
    case '<':
      return l < r ? 1 : 0;
    case '>=':
      return l >= r ? 1 : 0;
    case '<=':
      return l <= r ? 1 : 0;
    case 'atan2':
      return Math.atan2(l, r);
    default:
      throw new EvaluationError(`operator ${JSON.stringify(op)} not allowed for Scalar operations`);
  }
}

/** Result of one element operation: the value and whether comparison filtering keeps it. */
let elemValue = 0;

/** Applies `op` to two floats; sets elemValue, returns keep (or undefined for trim ops). */
function elemBinop(op: BinaryOp, l: number, r: number): boolean | undefined {
  switch (op) {
    case '+':
      elemValue = l + r;
      return true;
    case '-':
      elemValue = l - r;
      return true;
    case '*':
      elemValue = l * r;
      return true;
    case '/':
      elemValue = l / r;
      return true;
    case '^':
      elemValue = goPow(l, r);
      return true;
    case '%':
      elemValue = l % r;
      return true;
    case '==':
      elemValue = l;
      return l === r;
    case '!=':
      elemValue = l;
      return l !== r;
    case '>':
      elemValue = l;
      return l > r;
    case '<':
      elemValue = l;
      return l < r;
    case '>=':
      elemValue = l;
      return l >= r;
    case '<=':
      elemValue = l;
      return l <= r;
    case 'atan2':
      elemValue = Math.atan2(l, r);
      return true;
    case '</':
    case '>/':
      elemValue = 0;
      return undefined;
    default:
      throw new EvaluationError(`operator ${JSON.stringify(op)} not allowed for operations between Vectors`);
  }
}

function changesMetricSchema(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '^' || op === '%' || op === 'atan2';
}

/** `lhs and rhs`: left samples whose matching signature appears on the right. */
export function vectorAnd(
  lhs: Vector,
  rhs: Vector,
  lsig: Int32Array,
  rsig: Int32Array,
  enh: EvalNodeHelper,
): Vector {
  if (lhs.length === 0 || rhs.length === 0) return enh.out;
  const present = sigSet(enh, rhs.length, rsig);
  for (let i = 0; i < lhs.length; i++) if (present[lsig[i]]) enh.out.push(lhs[i]);
  return enh.out;
}

/** `lhs or rhs`: all left samples, plus right samples whose signature is not on the left. */
export function vectorOr(
  lhs: Vector,
  rhs: Vector,
  lsig: Int32Array,
  rsig: Int32Array,
  enh: EvalNodeHelper,
): Vector {
  if (lhs.length === 0) {
    for (const s of rhs) enh.out.push(s);
    return enh.out;
  }
  if (rhs.length === 0) {
    for (const s of lhs) enh.out.push(s);
    return enh.out;
  }
  const present = sigSet(enh, lhs.length, lsig);
  for (const s of lhs) enh.out.push(s);
  for (let j = 0; j < rhs.length; j++) if (!present[rsig[j]]) enh.out.push(rhs[j]);
  return enh.out;
}

/** `lhs unless rhs`: left samples whose signature does not appear on the right. */
export function vectorUnless(
  lhs: Vector,
  rhs: Vector,
  lsig: Int32Array,
  rsig: Int32Array,
  enh: EvalNodeHelper,
): Vector {
  if (lhs.length === 0 || rhs.length === 0) {
    for (const s of lhs) enh.out.push(s);
    return enh.out;
  }
  const present = sigSet(enh, rhs.length, rsig);
  for (let i = 0; i < lhs.length; i++) if (!present[lsig[i]]) enh.out.push(lhs[i]);
  return enh.out;
}

/** A reusable presence table over signature ordinals, filled from the first `n` of `sig`. */
function sigSet(enh: EvalNodeHelper, n: number, sig: Int32Array): Uint8Array {
  let present = enh.cache.get('sigsPresent') as Uint8Array | undefined;
  if (!present || present.length < enh.numSigs) {
    present = new Uint8Array(enh.numSigs);
    enh.cache.set('sigsPresent', present);
  } else present.fill(0);
  for (let i = 0; i < n; i++) present[sig[i]] = 1;
  return present;
}

/** Labels of `metric` kept for matching: the on(...) labels, or all but ignoring(...) and __name__. */
function matchLabels(metric: Labels, on: boolean, names: readonly string[]): Labels {
  const set = new Set(names);
  return on
    ? metric.filter((l) => set.has(l.name))
    : metric.filter((l) => !set.has(l.name) && l.name !== METRIC_NAME);
}

/** matchLabels, cached per node and input label set (fill values use it at every step). */
function fillMetric(enh: EvalNodeHelper, metric: Labels, matching: VectorMatching): Labels {
  let cache = enh.cache.get('fillMetric') as Map<Labels, Labels> | undefined;
  if (!cache) {
    cache = new Map();
    enh.cache.set('fillMetric', cache);
  }
  let m = cache.get(metric);
  if (!m) {
    m = matchLabels(metric, matching.on, matching.matchingLabels);
    cache.set(metric, m);
  }
  return m;
}

/** A vector/vector binary operation other than the set operators (Prometheus's VectorBinop). */
export function vectorBinop(
  op: BinaryOp,
  lhsIn: Vector,
  rhsIn: Vector,
  matching: VectorMatching,
  returnBool: boolean,
  lsigIn: Int32Array,
  rsigIn: Int32Array,
  enh: EvalNodeHelper,
  pos: PosRange,
): Vector {
  if (matching.card === 'many-to-many')
    throw new EvaluationError('many-to-many only allowed for set operators');
  const fillLeft = matching.fillLeft;
  const fillRight = matching.fillRight;
  if (
    (lhsIn.length === 0 && rhsIn.length === 0) ||
    ((lhsIn.length === 0 || rhsIn.length === 0) && fillLeft === undefined && fillRight === undefined)
  ) {
    return enh.out;
  }
  // One-to-many is handled as many-to-one with the sides swapped.
  const swapped = matching.card === 'one-to-many';
  const lhs = swapped ? rhsIn : lhsIn;
  const rhs = swapped ? lhsIn : rhsIn;
  const lsig = swapped ? rsigIn : lsigIn;
  const rsig = swapped ? lsigIn : rsigIn;

  const numSigs = enh.numSigs;
  let rightSigs = enh.cache.get('rightSigs') as (Sample | undefined)[] | undefined;
  if (!rightSigs || rightSigs.length < numSigs) {
    rightSigs = new Array(numSigs);
    enh.cache.set('rightSigs', rightSigs);
  } else rightSigs.fill(undefined);

  for (let i = 0; i < rhs.length; i++) {
    const rs = rhs[i];
    const ord = rsig[i];
    const dup = rightSigs[ord];
    if (dup) {
      const oneSide = swapped ? 'left' : 'right';
      const matched = formatLabelsProm(matchLabels(rs.metric, matching.on, matching.matchingLabels));
      let d1 = formatLabelsProm(rs.metric);
      let d2 = formatLabelsProm(dup.metric);
      if (d1 > d2) [d1, d2] = [d2, d1];
      throw new EvaluationError(
        `found duplicate series for the match group ${matched} on the ${oneSide} hand-side of the operation: [${d1}, ${d2}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    rightSigs[ord] = rs;
  }

  const oneToOne = matching.card === 'one-to-one';
  let matchedPresent: Uint8Array | undefined;
  let matchedSigs: (Set<string> | undefined)[] | undefined;
  if (oneToOne) {
    matchedPresent = enh.cache.get('matchedPresent') as Uint8Array | undefined;
    if (!matchedPresent || matchedPresent.length < numSigs) {
      matchedPresent = new Uint8Array(numSigs);
      enh.cache.set('matchedPresent', matchedPresent);
    } else matchedPresent.fill(0);
  } else {
    matchedSigs = new Array(numSigs);
  }

  let info: ReturnType<typeof annotations.incompatibleTypesInBinOp> | undefined;
  const dropMetric = !enh.delayedNameRemoval && returnBool;

  const doBinOp = (ls: { metric: Labels; f: number }, rs: { metric: Labels; f: number }, ord: number) => {
    const fl = swapped ? rs.f : ls.f;
    const fr = swapped ? ls.f : rs.f;
    const kept = elemBinop(op, fl, fr);
    if (kept === undefined) {
      info = annotations.incompatibleTypesInBinOp('float', op, 'float', pos);
      return;
    }
    let value = elemValue;
    if (returnBool) value = kept ? 1 : 0;
    const metric = resultMetric(ls.metric, rs.metric, op, matching, dropMetric, enh);
    if (oneToOne) {
      if (matchedPresent![ord]) {
        throw new EvaluationError(
          'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
        );
      }
      matchedPresent![ord] = 1;
    } else {
      const key = seriesKey(metric);
      let inserted = matchedSigs![ord];
      if (!inserted) {
        inserted = new Set();
        matchedSigs![ord] = inserted;
      }
      if (inserted.has(key))
        throw new EvaluationError('multiple matches for labels: grouping labels must ensure unique matches');
      inserted.add(key);
    }
    if (!kept && !returnBool) return;
    enh.push(metric, value, returnBool);
  };

  for (let i = 0; i < lhs.length; i++) {
    const ls = lhs[i];
    const ord = lsig[i];
    let rs: { metric: Labels; f: number } | undefined = rightSigs[ord];
    if (!rs) {
      // Like Prometheus, the fill values are not swapped along with the sides for group_right.
      const fill = fillRight;
      if (fill === undefined) continue;
      rs = { metric: fillMetric(enh, ls.metric, matching), f: fill };
    }
    doBinOp(ls, rs, ord);
  }
  const fillOther = fillLeft;
  if (fillOther !== undefined) {
    for (let i = 0; i < rhs.length; i++) {
      const rs = rhs[i];
      const ord = rsig[i];
      if (oneToOne ? matchedPresent![ord] : (matchedSigs![ord]?.size ?? 0) > 0) continue;
      const ls = { metric: fillMetric(enh, rs.metric, matching), f: fillOther };
      doBinOp(ls, rs, ord);
    }
  }
  if (info) enh.annos.add(info);
  return enh.out;
}

const METADATA = new Set([METRIC_NAME, '__type__', '__unit__']);

/**
 * Label set of a vector/vector result (Prometheus's resultMetric). Cached per node by the
 * identity of both sides' label arrays, which stay the same objects from step to step.
 */
function resultMetric(
  lhs: Labels,
  rhs: Labels,
  op: BinaryOp,
  matching: VectorMatching,
  dropMetricName: boolean,
  enh: EvalNodeHelper,
): Labels {
  if (!enh.resultMetric) enh.resultMetric = new Map();
  let byRhs = enh.resultMetric.get(lhs);
  if (!byRhs) {
    byRhs = new Map();
    enh.resultMetric.set(lhs, byRhs);
  }
  const hit = byRhs.get(rhs);
  if (hit) return hit;
  let out: Label[] = [...lhs];
  if (dropMetricName || changesMetricSchema(op)) out = out.filter((l) => !METADATA.has(l.name));
  if (matching.card === 'one-to-one') {
    const names = new Set(matching.matchingLabels);
    out = matching.on ? out.filter((l) => names.has(l.name)) : out.filter((l) => !names.has(l.name));
  }
  for (const ln of matching.include) {
    let v = '';
    for (const l of rhs) if (l.name === ln) v = l.value;
    out = out.filter((l) => l.name !== ln);
    if (v !== '') out.push({ name: ln, value: v });
  }
  if (matching.include.length > 0) out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  byRhs.set(rhs, out);
  return out;
}

/** A vector/scalar operation; `swap` when the scalar is on the left (Prometheus's VectorscalarBinop). */
export function vectorScalarBinop(
  op: BinaryOp,
  lhs: Vector,
  scalar: number,
  swap: boolean,
  returnBool: boolean,
  enh: EvalNodeHelper,
  pos: PosRange,
): Vector {
  let info = false;
  const comparison = isComparisonOp(op);
  const schemaChange = changesMetricSchema(op);
  for (const s of lhs) {
    const l = swap ? scalar : s.f;
    const r = swap ? s.f : scalar;
    let keep = elemBinop(op, l, r);
    if (keep === undefined) {
      info = true;
      continue;
    }
    let value = elemValue;
    // A comparison with the scalar on the left still returns the vector element's value.
    if (comparison && swap) value = r;
    if (returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    let metric = s.metric;
    let dropName = s.dropName;
    if (schemaChange || returnBool) {
      if (!enh.delayedNameRemoval) metric = dropMetricName(metric);
      dropName = true;
    }
    enh.push(metric, value, dropName);
  }
  if (info) enh.annos.add(annotations.incompatibleTypesInBinOp('float', op, 'float', pos));
  return enh.out;
}
