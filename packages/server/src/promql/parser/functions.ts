/**
 * PromQL function signatures (Prometheus's promql/parser/functions.go): argument types, how many
 * optional trailing arguments a function takes, its return type, and whether it is experimental.
 */
import type { ValueType } from './ast.ts';

/** What a function accepts and returns. */
export interface FunctionSignature {
  readonly name: string;
  readonly argTypes: readonly ValueType[];
  /**
   * 0: exactly argTypes.length arguments. n > 0: the last argument type may be given up to n
   * times, or left out (argTypes.length - 1 .. argTypes.length - 1 + n arguments). -1: the last
   * argument repeats without limit (at least argTypes.length - 1 arguments).
   */
  readonly variadic: number;
  readonly returnType: ValueType;
  /** Behind Prometheus's --enable-feature=promql-experimental-functions. */
  readonly experimental: boolean;
}

function fn(
  name: string,
  argTypes: ValueType[],
  returnType: ValueType,
  opts: { variadic: number; experimental: boolean },
): [string, FunctionSignature] {
  return [name, { name, argTypes, returnType, variadic: opts.variadic, experimental: opts.experimental }];
}

/** Every PromQL function by name. */
export const FUNCTIONS: ReadonlyMap<string, FunctionSignature> = new Map([
  fn('abs', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('absent', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('absent_over_time', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('acos', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('acosh', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('asin', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('asinh', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('atan', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('atanh', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('avg_over_time', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('ceil', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('changes', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('clamp', ['vector', 'scalar', 'scalar'], 'vector', { variadic: 0, experimental: false }),
  fn('clamp_max', ['vector', 'scalar'], 'vector', { variadic: 0, experimental: false }),
  fn('clamp_min', ['vector', 'scalar'], 'vector', { variadic: 0, experimental: false }),
  fn('cos', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('cosh', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('count_over_time', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('days_in_month', ['vector'], 'vector', { variadic: 1, experimental: false }),
  fn('day_of_month', ['vector'], 'vector', { variadic: 1, experimental: false }),
  fn('day_of_week', ['vector'], 'vector', { variadic: 1, experimental: false }),
  fn('day_of_year', ['vector'], 'vector', { variadic: 1, experimental: false }),
  fn('deg', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('end', [], 'scalar', { variadic: 0, experimental: true }),
  fn('delta', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('deriv', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('exp', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('first_over_time', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('floor', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('histogram_avg', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('histogram_count', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('histogram_sum', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('histogram_stddev', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('histogram_stdvar', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('histogram_fraction', ['scalar', 'scalar', 'vector'], 'vector', { variadic: 0, experimental: false }),
  fn('histogram_quantile', ['scalar', 'vector'], 'vector', { variadic: 0, experimental: false }),
  fn('histogram_quantiles', ['vector', 'string', 'scalar', 'scalar'], 'vector', {
    variadic: 9,
    experimental: true,
  }),
  fn('double_exponential_smoothing', ['matrix', 'scalar', 'scalar'], 'vector', {
    variadic: 0,
    experimental: true,
  }),
  fn('hour', ['vector'], 'vector', { variadic: 1, experimental: false }),
  fn('idelta', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('increase', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('info', ['vector', 'vector'], 'vector', { variadic: 1, experimental: true }),
  fn('irate', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('label_replace', ['vector', 'string', 'string', 'string', 'string'], 'vector', {
    variadic: 0,
    experimental: false,
  }),
  fn('label_join', ['vector', 'string', 'string', 'string'], 'vector', { variadic: -1, experimental: false }),
  fn('max_of', ['scalar', 'scalar'], 'scalar', { variadic: 0, experimental: true }),
  fn('last_over_time', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('min_of', ['scalar', 'scalar'], 'scalar', { variadic: 0, experimental: true }),
  fn('ln', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('log10', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('log2', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('mad_over_time', ['matrix'], 'vector', { variadic: 0, experimental: true }),
  fn('max_over_time', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('min_over_time', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('ts_of_first_over_time', ['matrix'], 'vector', { variadic: 0, experimental: true }),
  fn('ts_of_max_over_time', ['matrix'], 'vector', { variadic: 0, experimental: true }),
  fn('ts_of_min_over_time', ['matrix'], 'vector', { variadic: 0, experimental: true }),
  fn('ts_of_last_over_time', ['matrix'], 'vector', { variadic: 0, experimental: true }),
  fn('minute', ['vector'], 'vector', { variadic: 1, experimental: false }),
  fn('month', ['vector'], 'vector', { variadic: 1, experimental: false }),
  fn('pi', [], 'scalar', { variadic: 0, experimental: false }),
  fn('predict_linear', ['matrix', 'scalar'], 'vector', { variadic: 0, experimental: false }),
  fn('present_over_time', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('quantile_over_time', ['scalar', 'matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('rad', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('range', [], 'scalar', { variadic: 0, experimental: true }),
  fn('rate', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('resets', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('round', ['vector', 'scalar'], 'vector', { variadic: 1, experimental: false }),
  fn('scalar', ['vector'], 'scalar', { variadic: 0, experimental: false }),
  fn('sgn', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('sin', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('sinh', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('sort', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('sort_desc', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('sort_by_label', ['vector', 'string'], 'vector', { variadic: -1, experimental: true }),
  fn('sort_by_label_desc', ['vector', 'string'], 'vector', { variadic: -1, experimental: true }),
  fn('sqrt', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('start', [], 'scalar', { variadic: 0, experimental: true }),
  fn('start_timestamp', ['vector'], 'vector', { variadic: 0, experimental: true }),
  fn('step', [], 'scalar', { variadic: 0, experimental: true }),
  fn('stddev_over_time', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('stdvar_over_time', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('sum_over_time', ['matrix'], 'vector', { variadic: 0, experimental: false }),
  fn('tan', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('tanh', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('time', [], 'scalar', { variadic: 0, experimental: false }),
  fn('timestamp', ['vector'], 'vector', { variadic: 0, experimental: false }),
  fn('vector', ['scalar'], 'vector', { variadic: 0, experimental: false }),
  fn('year', ['vector'], 'vector', { variadic: 1, experimental: false }),
]);
