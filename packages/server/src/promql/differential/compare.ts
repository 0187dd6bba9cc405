/**
 * Compares a Prometheus query answer with Vigil's. Values agree within a relative error of 1e-9
 * (NaN equals NaN, infinities must be exact, magnitudes below 1e-12 count as zero), label sets must be identical, point timestamps
 * exact. Series order is compared only where Prometheus defines it: matrices are sorted by labels;
 * sort()/sort_desc() order by value (ties may come in any order, so only the value sequence is
 * compared); every other vector is compared as a set. Warnings and infos are not compared: 2.42
 * predates most of 3.x's annotations.
 */
import type { ApiAnswer } from './systems.ts';

/** Largest relative difference accepted between two finite sample values. */
export const RELATIVE_TOLERANCE = 1e-9;
/**
 * Values this close to zero on both sides are equal: they are the rounding residue of sums that
 * cancel, and 3.x's compensated (Kahan) summation leaves a different residue than 2.42's.
 */
export const ZERO_TOLERANCE = 1e-12;

/** How the series of a vector answer must be ordered. */
export type VectorOrder = 'any' | 'ascending' | 'descending';

/** Parses a value as the API writes it ("NaN", "+Inf", "-Inf", Go float text). */
export function parseSampleValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  return Number(text);
}

/** True when two sample values agree under the rules above. */
export function valuesAgree(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  if (a === b) return true;
  if (Math.abs(a) < ZERO_TOLERANCE && Math.abs(b) < ZERO_TOLERANCE) return true;
  return Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/** A canonical string for a label set (keys sorted), used as a map key and in messages. */
export function labelKey(metric: Readonly<Record<string, string>>): string {
  const names = Object.keys(metric).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(metric[n])}`).join(', ')}}`;
}

type Point = readonly [number, string];

function describePoint([t, v]: Point): string {
  return `${v} @${t}`;
}

/**
 * Returns undefined when the answers agree, else what differs (first difference only). Both
 * answers must be complete HTTP answers of /api/v1/query or /api/v1/query_range.
 */
export function compareQueryAnswers(
  prometheus: ApiAnswer,
  vigil: ApiAnswer,
  order: VectorOrder,
): string | undefined {
  const p = prometheus.body;
  const v = vigil.body;
  if (typeof p !== 'object' || p === null)
    return `Prometheus did not answer JSON (HTTP ${prometheus.status})`;
  if (typeof v !== 'object' || v === null) return `Vigil did not answer JSON (HTTP ${vigil.status})`;
  if (p.status !== v.status) return `status: Prometheus "${p.status}", Vigil "${v.status}"`;
  if (prometheus.status !== vigil.status)
    return `HTTP status: Prometheus ${prometheus.status}, Vigil ${vigil.status}`;
  if (p.status === 'error') {
    return p.errorType === v.errorType
      ? undefined
      : `errorType: Prometheus "${p.errorType}", Vigil "${v.errorType}"`;
  }
  const pd = p.data;
  const vd = v.data;
  if (pd.resultType !== vd.resultType)
    return `resultType: Prometheus "${pd.resultType}", Vigil "${vd.resultType}"`;
  switch (pd.resultType) {
    case 'scalar':
      return comparePoints('scalar', [pd.result], [vd.result]);
    case 'string':
      return pd.result[0] === vd.result[0] && pd.result[1] === vd.result[1]
        ? undefined
        : `string: Prometheus ${JSON.stringify(pd.result)}, Vigil ${JSON.stringify(vd.result)}`;
    case 'vector':
      return compareVectors(pd.result, vd.result, order);
    case 'matrix':
      return compareMatrices(pd.result, vd.result);
    default:
      return `unknown resultType "${pd.resultType}"`;
  }
}

interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: Point;
}

interface MatrixSeries {
  readonly metric: Record<string, string>;
  readonly values: Point[];
}

function comparePoints(what: string, ps: readonly Point[], vs: readonly Point[]): string | undefined {
  if (ps.length !== vs.length)
    return `${what}: Prometheus has ${ps.length} points, Vigil ${vs.length}${firstExtra(ps, vs)}`;
  for (let i = 0; i < ps.length; i++) {
    if (ps[i][0] !== vs[i][0])
      return `${what}: point ${i} at ${ps[i][0]} in Prometheus, at ${vs[i][0]} in Vigil`;
    if (!valuesAgree(parseSampleValue(ps[i][1]), parseSampleValue(vs[i][1])))
      return `${what}: at ${ps[i][0]} Prometheus ${ps[i][1]}, Vigil ${vs[i][1]}`;
  }
  return undefined;
}

/** Names the first timestamp present in one point list and not the other. */
function firstExtra(ps: readonly Point[], vs: readonly Point[]): string {
  const pt = new Set(ps.map((p) => p[0]));
  const vt = new Set(vs.map((p) => p[0]));
  const onlyP = ps.find((p) => !vt.has(p[0]));
  const onlyV = vs.find((p) => !pt.has(p[0]));
  if (onlyP) return ` (first only in Prometheus: ${describePoint(onlyP)})`;
  if (onlyV) return ` (first only in Vigil: ${describePoint(onlyV)})`;
  return '';
}

function compareVectors(
  ps: readonly VectorSample[],
  vs: readonly VectorSample[],
  order: VectorOrder,
): string | undefined {
  const byKey = new Map<string, VectorSample>();
  for (const s of vs) byKey.set(labelKey(s.metric), s);
  if (byKey.size !== vs.length) return 'Vigil returned two samples with the same label set';
  for (const s of ps) {
    const key = labelKey(s.metric);
    const other = byKey.get(key);
    if (!other) return `series ${key} only in Prometheus (${describePoint(s.value)})`;
    const diff = comparePoints(key, [s.value], [other.value]);
    if (diff) return diff;
    byKey.delete(key);
  }
  for (const [key, s] of byKey) return `series ${key} only in Vigil (${describePoint(s.value)})`;
  if (order !== 'any') {
    // Same samples; now the order of values must be Prometheus's too (ties may swap).
    for (let i = 0; i < ps.length; i++) {
      if (!valuesAgree(parseSampleValue(ps[i].value[1]), parseSampleValue(vs[i].value[1])))
        return `order (${order}): position ${i} is ${ps[i].value[1]} in Prometheus, ${vs[i].value[1]} in Vigil`;
    }
  }
  return undefined;
}

function compareMatrices(ps: readonly MatrixSeries[], vs: readonly MatrixSeries[]): string | undefined {
  const n = Math.min(ps.length, vs.length);
  for (let i = 0; i < n; i++) {
    const pk = labelKey(ps[i].metric);
    const vk = labelKey(vs[i].metric);
    if (pk !== vk) {
      const inVigil = vs.some((s) => labelKey(s.metric) === pk);
      return inVigil
        ? `series order: position ${i} is ${pk} in Prometheus, ${vk} in Vigil`
        : `series ${pk} only in Prometheus (Vigil has ${vk} at position ${i})`;
    }
    const diff = comparePoints(pk, ps[i].values, vs[i].values);
    if (diff) return diff;
  }
  if (ps.length > n) return `series ${labelKey(ps[n].metric)} only in Prometheus (after ${n} equal series)`;
  if (vs.length > n) return `series ${labelKey(vs[n].metric)} only in Vigil (after ${n} equal series)`;
  return undefined;
}
