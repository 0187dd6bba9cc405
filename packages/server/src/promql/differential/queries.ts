/**
 * The differential query set, generated systematically over the data set in dataset.ts: every
 * float function, every aggregation with and without grouping, every binary operator with its
 * matching modifiers, set operators, the four matcher types, offset, @ and subqueries. Each query
 * names its family so failures group readably. LEFT_OUT lists what is deliberately not compared
 * and why: constructs whose meaning differs between Prometheus 2.42 (the reference binary) and
 * 3.x (which Vigil follows).
 */

/** A construct the differential test does not compare, and why. */
export interface LeftOut {
  readonly construct: string;
  readonly reason: string;
}

/**
 * What differs between Prometheus 2.42 and 3.x (or does not exist in 2.42), and is therefore left
 * out of the comparison or compared in a translated form.
 */
export const LEFT_OUT: readonly LeftOut[] = [
  {
    construct: 'windows whose boundary coincides with a sample',
    reason:
      '2.42 range and lookback windows are closed [t-r, t]; 3.x windows are left-open (t-r, t]. Samples have ' +
      'millisecond parts in [100, 450), top-level evaluation times end in .700 and subquery steps are whole ' +
      'seconds, so no boundary ever lands on a sample. A subquery inside a subquery is evaluated at whole ' +
      'multiples of the outer step, so its own range is never a multiple of its step ([5m30s:1m] inside ' +
      '[20m:5m], not [5m:1m]): else its first step would sit exactly on the window boundary.',
  },
  {
    construct:
      'rate()/increase() extrapolation cut at the zero point of a counter that starts inside the window',
    reason:
      'since 2.51 the cut only ever shortens the extrapolation; in 2.42 it could lengthen it (when the zero ' +
      'point lay between half and 1.1 sampling intervals before the first sample). Counters in the data set ' +
      'start far above their per-scrape increments, so the zero point is never that close.',
  },
  {
    construct: 'atan2 keeping the metric name',
    reason:
      '2.42 keeps __name__ on atan2 results; 2.47 and later drop it like other arithmetic. Prometheus is ' +
      'asked label_replace(<query>, "__name__", "", "", "") for vector atan2 queries.',
  },
  {
    construct: 'rounding residue of sums that cancel to (almost) zero',
    reason:
      '3.x sums with Kahan compensation (sum, avg, *_over_time), 2.42 does not; a sum of values like 0.005 ' +
      'and -0.005 leaves -1.7e-18 in one and -8.7e-19 in the other. Values below 1e-12 in magnitude on both ' +
      'sides are taken as equal (compare.ts).',
  },
  {
    construct:
      'functions that magnify last-bit differences: floor/ceil/%/ln/changes() over avg or avg_over_time results',
    reason:
      '2.42 averages with an incremental mean, 3.x divides a compensated sum; the two agree to ~1e-15 relative, ' +
      'but ceil(avg(...)) can land on either side of an integer and changes() counts 1-ulp wobbles. The query ' +
      'set does not apply such functions to averages.',
  },
  {
    construct: 'stddev/stdvar of a group whose only (or first) value is NaN or ±Inf',
    reason:
      '3.0 returns NaN (prometheus#14941), 2.42 returns 0. The vd_odd_values queries avoid one-member groups.',
  },
  {
    construct: 'one-to-one comparison filters whose right side matches several left series',
    reason:
      'since 3.9 the "many-to-one matching must be explicit" check runs before the filter drops samples ' +
      '(prometheus 4cad87cae8); 2.42 only failed when two samples survived the filter. The query set uses ' +
      'unique matches or group_left/group_right.',
  },
  {
    construct:
      'label names that are not legacy identifiers (label_replace(v, "1bad", ...), count_values("1bad", v))',
    reason:
      '3.x accepts any UTF-8 label name; 2.42 rejects these with an execution error. The error cases use an ' +
      'empty label name, which both reject.',
  },
  {
    construct: 'warnings and infos',
    reason:
      '2.42 has almost none of 3.x annotations (e.g. "metric might not be a counter"); only data, status ' +
      'and error type are compared.',
  },
  {
    construct: 'topk/bottomk series order in instant queries; k-th place ties',
    reason:
      'Prometheus does not define the order of topk/bottomk results (compared as sets), and with equal ' +
      'values at the k-th place either series may be chosen, so topk/bottomk run over values without ties.',
  },
];

/** One query of the differential set. */
export interface DiffQuery {
  /** Groups queries in reports, e.g. "aggregation" or "binary arithmetic". */
  readonly family: string;
  /** The query Vigil is asked. */
  readonly vigil: string;
  /** The query Prometheus 2.42 is asked, when its spelling differs (holt_winters). */
  readonly prometheus?: string;
}

/** Seconds (with the .700 fraction) of `startMs` plus `minutes`, for @ modifiers. */
export function atTime(startMs: number, minutes: number): string {
  return ((startMs + minutes * 60_000 + 700) / 1000).toFixed(3);
}

const COUNTERS = [
  'vd_http_requests_total',
  'vd_cpu_seconds_total{mode!="idle"}',
  'vd_request_duration_seconds_count',
  'vd_path_hits_total',
];
const GAUGES = ['vd_temperature_celsius', 'vd_memory_bytes', 'vd_queue_length', 'vd_odd_values', 'vd_ratio'];
const RANGES = ['1m', '5m', '10m', '2m30s', '30s', '1h'];
const GROUPINGS = ['', ' by (job)', ' by (job, instance)', ' without (instance)', ' by ()', ' without ()'];

/** Builds the query set for data whose first scrape is at `startMs`. */
export function buildQueries(startMs: number): DiffQuery[] {
  const out: DiffQuery[] = [];
  const add = (family: string, ...queries: string[]) => {
    for (const q of queries) out.push({ family, vigil: q });
  };

  // Counter functions over every counter, ranges rotating.
  const counterFns = ['rate', 'irate', 'increase', 'resets', 'changes'];
  for (const [i, fn] of counterFns.entries())
    for (const [j, c] of COUNTERS.entries())
      add('counter functions', `${fn}(${c}[${RANGES[(i + j) % RANGES.length]}])`);
  add(
    'counter functions',
    'rate(vd_http_requests_total[1h])',
    'increase(vd_request_duration_seconds_sum[10m])',
    'irate(vd_queue_length[1m])',
    'irate(vd_queue_length[5m])',
  );

  // Gauge and _over_time functions over every gauge.
  const gaugeFns = [
    (s: string, r: string) => `delta(${s}[${r}])`,
    (s: string, r: string) => `idelta(${s}[${r}])`,
    (s: string, r: string) => `deriv(${s}[${r}])`,
    (s: string, r: string) => `predict_linear(${s}[${r}], 600)`,
    (s: string, r: string) => `avg_over_time(${s}[${r}])`,
    (s: string, r: string) => `min_over_time(${s}[${r}])`,
    (s: string, r: string) => `max_over_time(${s}[${r}])`,
    (s: string, r: string) => `sum_over_time(${s}[${r}])`,
    (s: string, r: string) => `count_over_time(${s}[${r}])`,
    (s: string, r: string) => `stddev_over_time(${s}[${r}])`,
    (s: string, r: string) => `stdvar_over_time(${s}[${r}])`,
    (s: string, r: string) => `last_over_time(${s}[${r}])`,
    (s: string, r: string) => `present_over_time(${s}[${r}])`,
    (s: string, r: string) => `quantile_over_time(0.9, ${s}[${r}])`,
    (s: string, r: string) => `absent_over_time(${s}[${r}])`,
    (s: string, r: string) => `changes(${s}[${r}])`,
    (s: string, r: string) => `resets(${s}[${r}])`,
  ];
  for (const [i, fn] of gaugeFns.entries())
    for (const [j, g] of GAUGES.entries()) add('range functions', fn(g, RANGES[(i + 2 * j) % RANGES.length]));
  add(
    'range functions',
    'quantile_over_time(0, vd_temperature_celsius[10m])',
    'quantile_over_time(1, vd_temperature_celsius[10m])',
    'quantile_over_time(-0.5, vd_temperature_celsius[10m])',
    'quantile_over_time(1.5, vd_temperature_celsius[10m])',
    'predict_linear(vd_memory_bytes[30m], -3600)',
    'absent_over_time(vd_nonexistent[5m])',
    'absent_over_time(vd_nonexistent{job="api", instance=~"x.*"}[5m])',
    'absent_over_time(vd_queue_length{instance="host-b:9100", queue="email"}[1m])',
    'deriv(vd_build_info[10m])',
  );
  for (const [g, r] of [
    ['vd_temperature_celsius', '10m'],
    ['vd_memory_bytes', '30m'],
    ['vd_queue_length', '5m'],
    ['vd_ratio', '1h'],
  ])
    out.push({
      family: 'holt_winters',
      vigil: `double_exponential_smoothing(${g}[${r}], 0.3, 0.6)`,
      prometheus: `holt_winters(${g}[${r}], 0.3, 0.6)`,
    });

  // Instant math functions.
  const mathFns = [
    'abs',
    'ceil',
    'floor',
    'exp',
    'ln',
    'log2',
    'log10',
    'sqrt',
    'sgn',
    'deg',
    'rad',
    'sin',
    'cos',
    'tan',
    'asin',
    'acos',
    'atan',
    'sinh',
    'cosh',
    'tanh',
    'asinh',
    'acosh',
    'atanh',
    'timestamp',
  ];
  for (const fn of mathFns) add('math functions', `${fn}(vd_ratio)`, `${fn}(vd_temperature_celsius)`);
  add(
    'math functions',
    'acosh(vd_ratio + 2)',
    'exp(vd_odd_values)',
    'ln(vd_odd_values)',
    'round(vd_temperature_celsius)',
    'round(vd_temperature_celsius, 0.5)',
    'round(vd_memory_bytes, 1e6)',
    'round(vd_ratio, 0.01)',
    'round(-vd_temperature_celsius)',
    'clamp(vd_temperature_celsius, -1, 40)',
    'clamp(vd_temperature_celsius, 5, 1)',
    'clamp_min(vd_temperature_celsius, 20)',
    'clamp_max(vd_temperature_celsius, 20)',
    'clamp_max(vd_odd_values, 10)',
    'pi()',
    'vector(pi())',
    'timestamp(vd_queue_length)',
    'time() - timestamp(vd_queue_length)',
    'timestamp(vd_temperature_celsius offset 5m)',
  );

  // Time and date functions, at the evaluation time and from sample values.
  for (const fn of [
    'minute',
    'hour',
    'day_of_week',
    'day_of_month',
    'day_of_year',
    'days_in_month',
    'month',
    'year',
  ])
    add('date functions', `${fn}()`, `${fn}(timestamp(vd_up))`, `${fn}(vd_memory_bytes)`);
  add(
    'date functions',
    'time()',
    'vector(time())',
    'time() % 3600',
    'scalar(vd_up{instance="host-a:9100", job="api"})',
  );

  // Label manipulation, absent, scalar/vector, sorting.
  add(
    'label functions',
    'label_replace(vd_up, "host", "$1", "instance", "(.*):.*")',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${1} is label_replace's syntax, not a template
    'label_replace(vd_http_requests_total, "class", "${1}xx", "status", "(\\\\d)..")',
    'label_replace(vd_path_hits_total, "p", "matched", "path", "/a\\\\.b\\\\*c")',
    'label_replace(vd_path_hits_total, "p", "$0", "path", ".*space")',
    'label_replace(vd_up, "new", "x", "nonexistent", "")',
    'label_replace(vd_up, "instance", "", "instance", ".*")',
    'label_replace(vd_up, "job", "$2-$1", "instance", "host-(.):(.*)")',
    'label_join(vd_up, "both", "/", "job", "instance")',
    'label_join(vd_build_info, "v", "-", "version", "goversion", "job")',
    'label_join(vd_up, "job", "")',
    'label_join(vd_up, "empty", ",")',
  );
  add(
    'absent, scalar, vector',
    'absent(vd_up)',
    'absent(vd_nonexistent)',
    'absent(vd_nonexistent{job="x", instance=~"y.*", env="prod"})',
    'absent(vd_up{job="nope"})',
    'absent(sum(vd_nonexistent))',
    'scalar(sum(vd_up))',
    'scalar(vd_up)',
    'vector(1)',
    'vector(scalar(count(vd_up)))',
    '42',
    '-2 ^ 2',
    '2 * 3 ^ 2 ^ 0.5',
    '(1 + 2) * 3 % 4',
  );
  add(
    'sorting',
    'sort(vd_temperature_celsius)',
    'sort_desc(vd_temperature_celsius)',
    'sort_desc(rate(vd_http_requests_total[5m]))',
    'sort(sum by (job, instance) (vd_memory_bytes))',
    'sort(vd_odd_values)',
    'sort_desc(vd_odd_values)',
  );

  // Aggregations: every operator with every grouping over one source, and over others.
  const aggOps = ['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count'];
  for (const op of aggOps) {
    for (const g of GROUPINGS) add('aggregation', `${op}${g} (vd_temperature_celsius)`);
    add(
      'aggregation',
      `${op} by (job, method) (rate(vd_http_requests_total[5m]))`,
      `${op}(vd_odd_values)`,
      `${op} without (type) (vd_memory_bytes)`,
      `${op} by (queue) (vd_queue_length)`,
    );
  }
  add(
    'aggregation',
    'count_values("value", vd_queue_length)',
    'count_values by (job) ("v", vd_up)',
    'count_values("le", vd_request_duration_seconds_bucket{handler="/"})',
    'count_values("x", vd_ratio)',
    'count_values("t", vd_temperature_celsius * 0.1)',
    'topk(3, vd_temperature_celsius)',
    'topk by (job) (2, rate(vd_http_requests_total[5m]))',
    'bottomk(2, vd_memory_bytes)',
    'bottomk by (instance) (1, vd_temperature_celsius)',
    'topk(scalar(vector(2)), vd_ratio)',
    'topk(0, vd_ratio)',
    'topk(100, vd_ratio)',
    'quantile(0.5, vd_temperature_celsius)',
    'quantile by (job) (0.9, rate(vd_http_requests_total[5m]))',
    'quantile(0, vd_memory_bytes)',
    'quantile(1, vd_memory_bytes)',
    'quantile(1.5, vd_memory_bytes)',
    'quantile(-1, vd_memory_bytes)',
    'quantile without (sensor) (0.25, vd_temperature_celsius)',
    'sum(sum by (job) (vd_memory_bytes))',
    'avg(vd_memory_bytes) - avg without () (vd_memory_bytes)',
    'sum by (__name__) ({__name__=~"vd_(up|ratio)"})',
  );

  // Histograms.
  for (const phi of ['0.5', '0.9', '0.99', '0', '1', '-0.5', '1.5'])
    add('histogram_quantile', `histogram_quantile(${phi}, rate(vd_request_duration_seconds_bucket[5m]))`);
  add(
    'histogram_quantile',
    'histogram_quantile(0.9, sum by (le) (rate(vd_request_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.9, sum by (job, le) (rate(vd_request_duration_seconds_bucket[10m])))',
    'histogram_quantile(0.5, vd_request_duration_seconds_bucket)',
    'histogram_quantile(0.9, sum without (le) (rate(vd_request_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.9, rate(vd_request_duration_seconds_bucket{le!="+Inf"}[5m]))',
    'histogram_quantile(0.95, rate(vd_request_duration_seconds_bucket[1m]))',
    'histogram_quantile(scalar(vector(0.75)), increase(vd_request_duration_seconds_bucket[15m]))',
    'rate(vd_request_duration_seconds_sum[5m]) / rate(vd_request_duration_seconds_count[5m])',
  );

  // Binary arithmetic with every matching style.
  for (const op of ['+', '-', '*', '/', '%', '^', 'atan2']) {
    const queries = [
      `vd_temperature_celsius ${op} 3`,
      `2 ${op} vd_ratio`,
      `vd_memory_bytes{type="used"} ${op} ignoring(type) vd_memory_bytes{type="free"}`,
      `rate(vd_http_requests_total{status="500"}[5m]) ${op} on(job, instance, method) rate(vd_http_requests_total{status="200"}[5m])`,
      `sum by (job, instance, method) (rate(vd_http_requests_total[5m])) ${op} on(job, instance) group_left sum by (job, instance) (rate(vd_http_requests_total[5m]))`,
      `vd_up ${op} on(job, instance) group_right vd_temperature_celsius`,
    ];
    for (const q of queries)
      out.push({
        family: 'binary arithmetic',
        vigil: q,
        // 2.42 keeps the metric name on atan2 results (dropped since 2.47); drop it there too.
        prometheus: op === 'atan2' ? `label_replace(${q}, "__name__", "", "", "")` : undefined,
      });
    add('binary arithmetic', `7 ${op} 3`);
  }
  add(
    'binary arithmetic',
    'vd_up * on(job, instance) group_left(version, goversion) vd_build_info',
    'vd_temperature_celsius * on(instance, job) group_left(version) vd_build_info',
    'vd_build_info * on(job, instance) group_right(version) vd_memory_bytes',
    'vd_memory_bytes + on(job) vd_up',
    'vd_memory_bytes + vd_temperature_celsius',
    'vd_temperature_celsius - vd_temperature_celsius offset 10m',
    '-vd_temperature_celsius',
    'vd_odd_values * 0',
    'vd_odd_values / 0',
    '-vd_odd_values % 3',
    'vd_memory_bytes / 1024 / 1024',
  );

  // Comparisons, filtering and bool.
  for (const op of ['==', '!=', '>', '<', '>=', '<=']) {
    add(
      'comparison',
      `vd_queue_length ${op} 3`,
      `vd_queue_length ${op} bool 3`,
      `3 ${op} vd_queue_length`,
      `vd_temperature_celsius{sensor="cpu"} ${op} ignoring(sensor) vd_temperature_celsius{sensor="disk"}`,
      `vd_temperature_celsius{sensor="cpu"} ${op} bool ignoring(sensor) vd_temperature_celsius{sensor="disk"}`,
      `1 ${op} bool 2`,
      `vd_odd_values ${op} 10`,
    );
  }

  // Set operators.
  add(
    'set operators',
    'vd_queue_length and vd_queue_length > 2',
    'vd_queue_length and on(job, instance) vd_up == 0',
    'vd_queue_length and ignoring(queue) vd_up',
    'vd_up or vd_queue_length',
    'vd_memory_bytes{type="used"} or on(job) vd_memory_bytes{type="free"}',
    '(vd_queue_length > 4) or (vd_queue_length < 1)',
    'vd_queue_length or vector(0)',
    'sum(vd_queue_length{queue="nope"}) or vector(0)',
    'vd_temperature_celsius unless on(instance) vd_up == 0',
    'vd_queue_length unless ignoring(queue) vd_up',
    'vd_queue_length unless vd_queue_length < 2',
    'vd_queue_length and on() vector(1)',
  );

  // The four matcher types, regex corners and label values with metacharacters.
  add(
    'matchers',
    'vd_http_requests_total{status="500"}',
    'vd_http_requests_total{status!="200"}',
    'vd_http_requests_total{status=~"4..|5.."}',
    'vd_http_requests_total{status!~"2.*"}',
    'vd_http_requests_total{method="GET", status=~"[45]00", job!="worker"}',
    'vd_path_hits_total{path=~"/a\\\\.b\\\\*c"}',
    'vd_path_hits_total{path=~".*space"}',
    'vd_path_hits_total{path=~"zürich\\\\|\\\\(x\\\\)"}',
    'vd_path_hits_total{path="zürich|(x)"}',
    'vd_path_hits_total{path!~"/.*"}',
    'vd_path_hits_total{path=~"/api/v1/query|with space"}',
    '{__name__=~"vd_(up|ratio)"}',
    '{__name__=~"vd_.*_total", job="api", instance="host-a:9100"}',
    'vd_up{instance=~"host-[ab]:9100"}',
    'vd_up{instance=~"HOST-A.*"}',
    'vd_up{instance=~"(?i)HOST-A.*"}',
    'vd_up{nonexistent=""}',
    'vd_up{job!=""}',
    'vd_up{job=~".+"}',
    'vd_up{job=~"api|"}',
    'vd_up{instance!~"host-a.*|host-b.*"}',
    'rate(vd_http_requests_total{status=~"5.."}[5m])',
  );

  // offset, @ and subqueries.
  const at = (m: number) => atTime(startMs, m);
  add(
    'offset and @',
    'vd_temperature_celsius offset 5m',
    'rate(vd_http_requests_total[5m] offset 10m)',
    'vd_up offset -5m',
    'sum(vd_memory_bytes offset 1h)',
    `vd_temperature_celsius @ ${at(20)}`,
    `rate(vd_http_requests_total[5m] @ ${at(30)})`,
    'vd_temperature_celsius @ start()',
    'vd_temperature_celsius @ end()',
    'max_over_time(vd_temperature_celsius[10m] @ end())',
    `vd_temperature_celsius @ ${at(40)} offset 5m`,
    `vd_temperature_celsius - vd_temperature_celsius @ ${at(10)}`,
    `sum(rate(vd_http_requests_total[5m] @ start())) by (job)`,
  );
  add(
    'subqueries',
    'max_over_time(rate(vd_http_requests_total[5m])[30m:1m])',
    'avg_over_time(vd_temperature_celsius[10m:30s])',
    'rate(vd_request_duration_seconds_count[5m:15s])',
    'deriv(sum(vd_memory_bytes)[20m:2m])',
    'min_over_time(vd_queue_length[15m:])',
    'sum_over_time((vd_up == 0)[30m:1m])',
    'max_over_time(rate(vd_http_requests_total[5m])[30m:1m] offset 10m)',
    'quantile_over_time(0.9, irate(vd_cpu_seconds_total[1m])[10m:20s])',
    'max_over_time(avg_over_time(vd_temperature_celsius[5m30s:1m])[20m:5m])',
    'last_over_time(vd_temperature_celsius[10m:1m] @ end())',
    `count_over_time(vd_queue_length[20m:1m] @ ${at(35)})`,
    'changes(vd_queue_length[30m:1m])',
  );

  // Range vectors as instant-query results (the raw samples, staleness markers excluded).
  add(
    'range vectors',
    'vd_up[2m]',
    'vd_queue_length[5m] offset 1m',
    'vd_queue_length{instance="host-c:9100"}[10m]',
    'vd_temperature_celsius[1m:15s]',
    'vd_odd_values[10m]',
    'rate(vd_http_requests_total{status="200"}[5m])[10m:1m]',
  );
  add('strings', '"hello"', '"a\\tb"');

  // Compositions as dashboards and rules write them.
  add(
    'compositions',
    'sum by (job) (rate(vd_http_requests_total[5m])) / on(job) group_left sum by (job) (rate(vd_cpu_seconds_total[5m]))',
    'max_over_time(deriv(vd_temperature_celsius[10m])[25m30s:1m])',
    'topk(3, sum by (instance) (rate(vd_cpu_seconds_total{mode!="idle"}[5m])))',
    'count by (job) (vd_queue_length > 2)',
    'avg_over_time((vd_up == 0)[10m30s:1m])',
    'histogram_quantile(0.9, sum by (le) (increase(vd_request_duration_seconds_bucket[10m]))) > 0.5',
    'rate(vd_http_requests_total[5m]) and on(job, instance) (vd_up == 1)',
    'sort_desc(sum by (job, status) (increase(vd_http_requests_total[1h])))',
    'label_replace(sum by (instance) (vd_memory_bytes), "host", "$1", "instance", "([^:]+):.*")',
    'changes(vd_up[30m]) > 0',
    'resets(vd_request_duration_seconds_bucket[1h])',
    'quantile_over_time(0.5, rate(vd_http_requests_total[1m])[10m30s:30s])',
    '1 - avg by (instance) (rate(vd_cpu_seconds_total{mode="idle"}[5m]))',
    'vd_memory_bytes{type="used"} / ignoring(type) group_left sum without (type) (vd_memory_bytes)',
    'predict_linear(vd_memory_bytes{type="free"}[30m], 3600) < 8e9',
    'delta(vd_temperature_celsius[10m]) / 10 > bool 0.1',
    'clamp_min(irate(vd_queue_length[5m]), 0.01)',
    'max by (job) (max_over_time(vd_queue_length[1h]))',
    'sum(rate(vd_request_duration_seconds_sum[5m])) by (handler) / sum(rate(vd_request_duration_seconds_count[5m])) by (handler)',
    'sum without (cpu) (rate(vd_cpu_seconds_total[5m])) / ignoring(mode) group_left sum without (cpu, mode) (rate(vd_cpu_seconds_total[5m]))',
  );

  // Corners: NaN arguments, chains, errors both must report the same way.
  add(
    'corners',
    'quantile_over_time(NaN, vd_temperature_celsius[5m])',
    'histogram_quantile(NaN, rate(vd_request_duration_seconds_bucket[5m]))',
    'quantile(NaN, vd_temperature_celsius)',
    'quantile(0.5, vd_odd_values)',
    'round(vd_temperature_celsius, 0)',
    'clamp(vd_temperature_celsius, NaN, 5)',
    'hour(vd_odd_values)',
    'predict_linear(vd_http_requests_total[10m], 300)',
    'deriv(vd_odd_values[10m])',
    '3 > bool vd_queue_length',
    'vd_queue_length > 1 < 4',
    '+vd_up',
    'count(count by (job) (vd_up))',
    'max(time() - timestamp(vd_up))',
    'sum by (job) (vd_up) > 0',
    'absent(vd_nonexistent{job="x"} offset 5m)',
    `vd_temperature_celsius @ end() offset -5m`,
    `max_over_time(vd_temperature_celsius[10m:1m] offset 5m @ ${at(50)})`,
    'vd_up / on(job) group_left vd_memory_bytes',
    'vd_memory_bytes / on(job, instance) vd_up',
    'vd_memory_bytes / on(job, instance) group_left vd_temperature_celsius',
    'label_replace(vd_up, "", "x", "job", ".*")',
    'label_replace(vd_up, "x", "y", "job", "(")',
    'topk(-1, vd_ratio)',
    'count_values("", vd_up)',
    'rate(vd_temperature_celsius[5m] @ start())',
  );
  return out;
}
