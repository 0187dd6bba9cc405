/**
 * LogQL against a fixed corpus in a real log store: every construct of the language with the
 * streams or samples it must produce, plus parse errors with their positions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { labelsFromRecord } from '../model/labels.ts';
import type { LogRecord } from '../model/log.ts';
import { DuckDBLogStore } from '../storage/logs/duckdb/duckdb-log-store.ts';
import { LogQLEngine, type QueryOutcome } from './engine.ts';
import { LogQLParseError, LogQLQueryError } from './errors.ts';
import { parseLogQL } from './parser.ts';

const T0 = 1_704_067_200_000_000_000n; // 2024-01-01T00:00:00Z
const S = 1_000_000_000n;

function rec(
  labels: Record<string, string>,
  sec: number,
  body: string,
  extra: Partial<LogRecord> = {},
): LogRecord {
  return {
    timestampNs: T0 + BigInt(sec) * S,
    observedTimestampNs: 0n,
    severityNumber: 0,
    severityText: '',
    body,
    labels: labelsFromRecord(labels),
    metadata: [],
    traceId: '',
    spanId: '',
    ...extra,
  };
}

const API = { app: 'api', env: 'prod' };
const api = [
  [200, '100ms', '1KB', 'info'],
  [200, '250ms', '2KB', 'info'],
  [500, '1.5s', '512B', 'error'],
  [404, '50ms', '1KiB', 'warn'],
  [503, '2s', '10B', 'error'],
  [200, '10ms', '3KB', 'info'],
] as const;

const corpus: LogRecord[] = [
  ...api.map(([status, latency, size, level], i) =>
    rec(
      API,
      i * 10,
      JSON.stringify({
        level,
        status,
        latency,
        size,
        req: { path: `/p${i}`, method: i % 2 ? 'POST' : 'GET' },
        tags: ['a'],
      }),
      i === 2
        ? { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', metadata: [{ name: 'pod', value: 'api-1' }] }
        : {},
    ),
  ),
  rec({ app: 'web', env: 'dev' }, 5, 'level=info method=GET path=/ status=200 dur=5ms'),
  rec({ app: 'web', env: 'dev' }, 15, 'level=warn method=POST path="/log in" status=503 dur=250ms'),
  rec({ app: 'web', env: 'dev' }, 25, 'level=error method=GET path=/x status=500 dur=bad'),
  rec({ app: 'ansi' }, 1, '\u001b[31mred error\u001b[0m plain'),
  rec({ app: 'packed' }, 2, '{"_entry":"the original line","container":"c1","count":3}'),
  rec({ app: 'nginx' }, 3, '10.0.0.1 - - [01/Jan/2024:00:00:03 +0000] "GET /index.html HTTP/1.1" 200 612'),
];

let dir: ReturnType<typeof tempDir>;
let store: DuckDBLogStore;
let engine: LogQLEngine;

before(async () => {
  dir = tempDir();
  store = await DuckDBLogStore.open({
    dataDir: dir.path,
    partitionDurationMs: 3_600_000,
    logger: pino({ level: 'silent' }),
  });
  await store.append(corpus);
  engine = new LogQLEngine(store);
});

after(async () => {
  await store?.close();
  dir?.remove();
});

async function run(
  query: string,
  opts: { instant?: boolean; direction?: 'forward' | 'backward'; limit?: number } = {},
) {
  return engine.query(query, {
    startNs: T0 - 60n * S,
    endNs: opts.instant ? T0 + 59n * S : T0 + 120n * S,
    direction: opts.direction ?? 'forward',
    limit: opts.limit ?? 1000,
    stepMs: 30_000,
    instant: opts.instant ?? false,
  });
}

const fmt = (labels: readonly { name: string; value: string }[]) =>
  `{${labels.map((l) => `${l.name}="${l.value}"`).join(', ')}}`;

/** Log query results as `<seconds> <labels> <line>`, in result order. */
async function lines(query: string, opts: Parameters<typeof run>[1] = {}): Promise<string[]> {
  const out = await run(query, opts);
  assert.equal(out.type, 'streams');
  return (out as Extract<QueryOutcome, { type: 'streams' }>).entries.map(
    (e) => `${(e.timestampNs - T0) / S} ${fmt(e.labels)} ${e.line}`,
  );
}

/** Just the lines. */
async function bodies(query: string, opts: Parameters<typeof run>[1] = {}): Promise<string[]> {
  return (await lines(query, opts)).map((l) => l.slice(l.indexOf('} ') + 2));
}

/** An instant metric query at T0+59s as `labels → value`. */
async function instant(query: string): Promise<Record<string, number>> {
  const out = await run(query, { instant: true });
  assert.equal(out.type, 'metric');
  const value = (out as Extract<QueryOutcome, { type: 'metric' }>).value;
  if (value.type === 'scalar') return { scalar: value.v };
  assert.equal(value.type, 'vector');
  const res: Record<string, number> = {};
  for (const s of value.type === 'vector' ? value.samples : []) res[fmt(s.metric)] = s.v;
  return res;
}

/** A range metric query (T0-60s .. T0+120s, step 30s) as `labels → [seconds, value][]`. */
async function range(query: string): Promise<Record<string, [number, number][]>> {
  const out = await run(query);
  assert.equal(out.type, 'metric');
  const value = (out as Extract<QueryOutcome, { type: 'metric' }>).value;
  assert.equal(value.type, 'matrix');
  const res: Record<string, [number, number][]> = {};
  for (const s of value.type === 'matrix' ? value.series : []) {
    res[fmt(s.metric)] = [...s.timestamps].map((t, i) => [(t - Number(T0 / 1_000_000n)) / 1000, s.values[i]]);
  }
  return res;
}

describe('log queries', () => {
  test('stream selectors with =, !=, =~, !~', async () => {
    assert.equal((await lines('{app="api"}')).length, 6);
    assert.equal((await lines('{app=~"api|web"}')).length, 9);
    assert.deepEqual(await bodies('{app=~".+", app!="api", app!~"web|ansi|nginx"}'), [
      '{"_entry":"the original line","container":"c1","count":3}',
    ]);
  });

  test('direction and limit take the lines nearest the start or end', async () => {
    assert.deepEqual(
      (await lines('{app="web"}', { direction: 'backward', limit: 2 })).map((l) => l.split(' ')[0]),
      ['25', '15'],
    );
    assert.deepEqual(
      (await lines('{app=~"web|ansi"}', { direction: 'forward', limit: 2 })).map((l) => l.split(' ')[0]),
      ['1', '5'],
    );
  });

  test('line filters |= != |~ !~, chained and with or', async () => {
    assert.deepEqual(await bodies('{app="web"} |= "POST"'), [
      'level=warn method=POST path="/log in" status=503 dur=250ms',
    ]);
    assert.equal((await bodies('{app="web"} != "POST"')).length, 2);
    assert.deepEqual((await lines('{app="web"} |~ "status=5\\\\d\\\\d"')).length, 2);
    assert.deepEqual(await bodies('{app="web"} !~ "GET|POST"'), []);
    assert.deepEqual(await bodies('{app="web"} |= "GET" != "x" |~ "dur=\\\\d"'), [
      'level=info method=GET path=/ status=200 dur=5ms',
    ]);
    assert.equal((await bodies('{app="web"} |= "dur=5ms" or "dur=bad"')).length, 2);
    assert.equal((await bodies('{app="web"} != "dur=5ms" or "dur=bad"')).length, 1);
    assert.equal((await bodies('{app="web"} |~ "(?i)level=ERROR"')).length, 1);
  });

  test('pattern line filters |> and !>', async () => {
    assert.deepEqual(await bodies('{app="web"} |> "level=<_> method=GET <_>"'), [
      'level=info method=GET path=/ status=200 dur=5ms',
      'level=error method=GET path=/x status=500 dur=bad',
    ]);
    assert.equal((await bodies('{app="web"} !> "level=<_> method=GET <_>"')).length, 1);
  });

  test('json parser flattens nested keys, skips arrays, and renames clashes with stream labels', async () => {
    const [first] = await lines('{app="api"} | json', { limit: 1 });
    assert.equal(
      first.slice(0, first.indexOf('} ') + 1),
      '0 {app="api", env="prod", latency="100ms", level="info", req_method="GET", req_path="/p0", size="1KB", status="200"}',
    );
    const [clash] = await lines(
      '{app="web"} | label_format line=`{"app":"x","y":1}` | line_format "{{.line}}" | json',
      { limit: 1 },
    );
    assert.match(clash, /app_extracted="x"/);
  });

  test('json with expressions', async () => {
    const [l] = await lines('{app="api"} | json p="req.path", m="req[\\"method\\"]", t="tags[0]", status', {
      limit: 1,
    });
    assert.match(l, /^0 \{app="api", env="prod", m="GET", p="\/p0", status="200", t="a"\}/);
  });

  test('logfmt parser, its flags and expressions', async () => {
    const [l] = await lines('{app="web"} | logfmt', { limit: 1 });
    assert.match(l, /dur="5ms", env="dev", level="info", method="GET", path="\/", status="200"/);
    const [quoted] = await lines('{app="web"} |= "POST" | logfmt');
    assert.match(quoted, /path="\/log in"/);
    const [only] = await lines('{app="web"} | logfmt m="method", dur', { limit: 1 });
    assert.match(only, /^5 \{app="web", dur="5ms", env="dev", m="GET"\}/);
    const strict = await lines('{app="web"} | line_format "a=1 b" | logfmt --strict --keep-empty', {
      limit: 1,
    });
    assert.match(strict[0], /a="1"/);
  });

  test('regexp, pattern and unpack parsers', async () => {
    const [r] = await lines(
      '{app="nginx"} | regexp "^(?P<ip>\\\\S+) .*\\"(?P<method>\\\\w+) (?P<path>\\\\S+)"',
    );
    assert.match(r, /ip="10.0.0.1", method="GET", path="\/index.html"/);
    const [p] = await lines(
      '{app="nginx"} | pattern "<ip> - - [<_>] \\"<method> <path> <_>\\" <status> <size>"',
    );
    assert.match(p, /ip="10.0.0.1", method="GET", path="\/index.html", size="612", status="200"/);
    assert.deepEqual(await lines('{app="packed"} | unpack'), [
      '2 {app="packed", container="c1"} the original line',
    ]);
  });

  test('label filters: string, number, duration and bytes comparisons with and/or', async () => {
    assert.deepEqual(
      (await bodies('{app="api"} | json | status >= 500')).map((b) => JSON.parse(b).status),
      [500, 503],
    );
    assert.deepEqual(
      (await bodies('{app="api"} | json | status == 200 and latency > 200ms')).map(
        (b) => JSON.parse(b).latency,
      ),
      ['250ms'],
    );
    assert.deepEqual(
      (await bodies('{app="api"} | json | size >= 2KB or level="warn"')).map((b) => JSON.parse(b).size),
      ['2KB', '1KiB', '3KB'],
    );
    assert.deepEqual(
      (await bodies('{app="api"} | json | status != 200, level=~"e.*"')).map((b) => JSON.parse(b).status),
      [500, 503],
    );
    assert.deepEqual(
      (await bodies('{app="api"} | json | (status=404 or status=503) latency < 1s')).map(
        (b) => JSON.parse(b).status,
      ),
      [404],
    );
    assert.equal((await bodies('{app="api"} | pod="api-1"')).length, 1);
  });

  test('__error__: failed parses and conversions are labelled, and can be filtered or dropped', async () => {
    const bad = await lines('{app="web"} | json');
    assert.ok(bad.every((l) => l.includes('__error__="JSONParserErr"')));
    assert.equal((await lines('{app="web"} | json | __error__=""')).length, 0);
    const conv = await lines('{app="web"} | logfmt | dur > 1ms');
    assert.equal(conv.length, 3);
    assert.match(conv[2], /__error__="LabelFilterErr"/);
    const dropped = await lines('{app="web"} | json | drop __error__, __error_details__');
    assert.ok(dropped.every((l) => !l.includes('__error__')));
  });

  test('line_format and label_format (Go templates)', async () => {
    assert.deepEqual(
      await bodies(
        '{app="api"} | json | status >= 500 | line_format "{{.status}} {{ .req_method | ToLower }} {{ if eq .level \\"error\\" }}E{{ end }}"',
      ),
      ['500 get E', '503 get E'],
    );
    const [l] = await lines(
      '{app="web"} | logfmt | label_format verb=method, code="{{.status}}x" | keep verb, code',
      {
        limit: 1,
      },
    );
    assert.equal(l, '5 {code="200x", verb="GET"} level=info method=GET path=/ status=200 dur=5ms');
    assert.deepEqual(await bodies('{app="web"} | line_format "{{ __line__ | len }}"', { limit: 1 }), [
      String('level=info method=GET path=/ status=200 dur=5ms'.length),
    ]);
  });

  test('drop, keep and decolorize', async () => {
    const [d] = await lines('{app="web"} | logfmt | drop level, method="GET", path', { limit: 1 });
    assert.equal(
      d,
      '5 {app="web", dur="5ms", env="dev", status="200"} level=info method=GET path=/ status=200 dur=5ms',
    );
    const [k] = await lines('{app="web"} | logfmt | keep app, status="200"', { limit: 1 });
    assert.equal(k.split(' level')[0], '5 {app="web", status="200"}');
    assert.deepEqual(await bodies('{app="ansi"} | decolorize'), ['red error plain']);
  });

  test('trace ids and structured metadata show as labels', async () => {
    const [l] = await lines('{app="api"} | trace_id="4bf92f3577b34da6a3ce929d0e0e4736"');
    assert.match(l, /pod="api-1", trace_id="4bf92f3577b34da6a3ce929d0e0e4736"/);
  });
});

describe('metric queries', () => {
  test('count_over_time, rate, bytes_over_time, bytes_rate', async () => {
    assert.deepEqual(await instant('count_over_time({app="api"}[1m])'), {
      '{app="api", env="prod"}': 5,
      '{app="api", env="prod", pod="api-1", trace_id="4bf92f3577b34da6a3ce929d0e0e4736"}': 1,
    });
    assert.deepEqual(await instant('sum(count_over_time({app="api"}[1m]))'), { '{}': 6 });
    assert.deepEqual(await instant('sum by (app) (rate({app=~"api|web"}[1m]))'), {
      '{app="api"}': 0.1,
      '{app="web"}': 0.05,
    });
    const bytes = corpus
      .filter((r) => r.labels[0].value === 'web')
      .reduce((n, r) => n + Buffer.byteLength(r.body), 0);
    assert.deepEqual(await instant('bytes_over_time({app="web"}[1m])'), { '{app="web", env="dev"}': bytes });
    assert.deepEqual(await instant('bytes_rate({app="web"}[1m])'), { '{app="web", env="dev"}': bytes / 60 });
  });

  test('range queries step through time with (t - range, t] windows', async () => {
    assert.deepEqual(await range('sum by (app) (count_over_time({app="web"}[30s]))'), {
      '{app="web"}': [
        [0, 0 + 0],
        [30, 3],
      ].filter(([, v]) => v > 0) as [number, number][],
    });
    assert.deepEqual(await range('count_over_time({app="web"}[20s] offset 10s)'), {
      '{app="web", env="dev"}': [[30, 2]],
    });
  });

  test('absent_over_time', async () => {
    assert.deepEqual(await instant('absent_over_time({app="nope", env=~".*"}[1m])'), { '{app="nope"}': 1 });
    assert.deepEqual(await instant('absent_over_time({app="api"}[1m])'), {});
  });

  test('unwrap with and without duration() and bytes() conversions', async () => {
    const by = '{app="api"} | json | unwrap';
    assert.deepEqual(await instant(`sum_over_time(${by} status [1m]) by (app)`), { '{app="api"}': 2007 });
    assert.deepEqual(await instant(`max_over_time(${by} duration(latency) [1m]) by (app)`), {
      '{app="api"}': 2,
    });
    assert.deepEqual(await instant(`min_over_time(${by} duration(latency) [1m]) by (app)`), {
      '{app="api"}': 0.01,
    });
    assert.deepEqual(await instant(`avg_over_time(${by} bytes(size) [1m]) by (app)`), {
      '{app="api"}': (1000 + 2000 + 512 + 1024 + 10 + 3000) / 6,
    });
    assert.deepEqual(await instant(`first_over_time(${by} status [1m]) by (app)`), { '{app="api"}': 200 });
    assert.deepEqual(await instant(`last_over_time(${by} status [1m]) by (level)`), {
      '{level="error"}': 503,
      '{level="info"}': 200,
      '{level="warn"}': 404,
    });
    const statuses = [200, 200, 500, 404, 503, 200];
    const mean = statuses.reduce((a, b) => a + b) / 6;
    const variance = statuses.reduce((a, b) => a + (b - mean) ** 2, 0) / 6;
    const sv = (await instant(`stdvar_over_time(${by} status [1m]) by (app)`))['{app="api"}'];
    assert.ok(Math.abs(sv - variance) < 1e-9);
    const sd = (await instant(`stddev_over_time(${by} status [1m]) by (app)`))['{app="api"}'];
    assert.ok(Math.abs(sd - Math.sqrt(variance)) < 1e-9);
    // Sorted: 200 200 200 404 500 503; rank 0.5 * 5 = 2.5 lies halfway between 200 and 404.
    assert.deepEqual(await instant(`quantile_over_time(0.5, ${by} status [1m]) by (app)`), {
      '{app="api"}': 302,
    });
    assert.deepEqual(await instant(`rate(${by} status [1m]) by (app)`), { '{app="api"}': 2007 / 60 });
    // Without grouping, the unwrapped label is dropped and the rest of the line's labels stay:
    // one series per status, each its largest latency.
    const plain = await instant(
      'sum(max_over_time({app="api"} | json | keep app, status, latency | unwrap duration(latency) [1m]))',
    );
    assert.deepEqual(plain, { '{}': 0.25 + 1.5 + 0.05 + 2 });
  });

  test('a pipeline error in a metric query fails it, unless filtered', async () => {
    await assert.rejects(
      run('sum(count_over_time({app="web"} | json [1m]))', { instant: true }),
      (err: Error) => err instanceof LogQLQueryError && /pipeline error: 'JSONParserErr'/.test(err.message),
    );
    assert.deepEqual(await instant('sum(count_over_time({app="web"} | json | __error__="" [1m]))'), {});
    await assert.rejects(
      run('sum_over_time({app="web"} | logfmt | unwrap duration(dur) [1m]) by (app)', { instant: true }),
      /SampleExtractionErr/,
    );
    assert.deepEqual(
      await instant(
        'sum_over_time({app="web"} | logfmt | unwrap duration(dur) | __error__="" [1m]) by (app)',
      ),
      { '{app="web"}': 0.255 },
    );
  });

  test('vector aggregations with by/without', async () => {
    const q =
      'sum by (app, level) (count_over_time({app=~"api|web"} | json | __error__="" or level!="" [1m]))';
    const base = 'count_over_time({app="api"} | json | keep app, level [1m])';
    assert.deepEqual(await instant(`sum by (level) (${base})`), {
      '{level="error"}': 2,
      '{level="info"}': 3,
      '{level="warn"}': 1,
    });
    assert.deepEqual(await instant(`sum without (level) (${base})`), { '{app="api"}': 6 });
    assert.deepEqual(await instant(`avg(${base})`), { '{}': 2 });
    assert.deepEqual(await instant(`min(${base})`), { '{}': 1 });
    assert.deepEqual(await instant(`max(${base})`), { '{}': 3 });
    assert.deepEqual(await instant(`count(${base})`), { '{}': 3 });
    const sd = (await instant(`stddev(${base})`))['{}'];
    assert.ok(Math.abs(sd - Math.sqrt(2 / 3)) < 1e-9);
    const sv = (await instant(`stdvar(${base})`))['{}'];
    assert.ok(Math.abs(sv - 2 / 3) < 1e-9);
    assert.deepEqual(await instant(`topk(1, ${base})`), { '{app="api", level="info"}': 3 });
    assert.deepEqual(await instant(`bottomk(1, ${base})`), { '{app="api", level="warn"}': 1 });
    const sorted = await run(`sort(${base})`, { instant: true });
    const sortedDesc = await run(`sort_desc(${base})`, { instant: true });
    const order = (o: QueryOutcome) =>
      o.type === 'metric' && o.value.type === 'vector' ? o.value.samples.map((s) => s.v) : [];
    assert.deepEqual(order(sorted), [1, 2, 3]);
    assert.deepEqual(order(sortedDesc), [3, 2, 1]);
    assert.ok(q.length > 0);
  });

  test('binary operations with scalars and between metric queries', async () => {
    const c = 'sum by (app) (count_over_time({app=~"api|web"}[1m]))';
    assert.deepEqual(await instant(`${c} * 10`), { '{app="api"}': 60, '{app="web"}': 30 });
    assert.deepEqual(await instant(`${c} > 3`), { '{app="api"}': 6 });
    assert.deepEqual(await instant(`${c} > bool 3`), { '{app="api"}': 1, '{app="web"}': 0 });
    assert.deepEqual(
      await instant(
        `sum(count_over_time({app="api"} | json | status >= 500 [1m])) / sum(count_over_time({app="api"}[1m]))`,
      ),
      {
        '{}': 2 / 6,
      },
    );
    assert.deepEqual(await instant(`${c} and on(app) sum by (app) (count_over_time({app="web"}[1m]))`), {
      '{app="web"}': 3,
    });
    assert.deepEqual(await instant('1 + 2 * 3'), { scalar: 7 });
    assert.deepEqual(await instant('vector(1) + 1'), { '{}': 2 });
    assert.deepEqual(await instant(`label_replace(${c}, "svc", "s-$1", "app", "(.*)")`), {
      '{app="api", svc="s-api"}': 6,
      '{app="web", svc="s-web"}': 3,
    });
  });
});

describe('parse errors carry positions', () => {
  const f = (query: string, message: string) => {
    assert.throws(
      () => parseLogQL(query),
      (err: Error) => {
        assert.ok(err instanceof LogQLParseError, `${query}: ${err}`);
        assert.equal(err.message, message);
        return true;
      },
    );
  };

  test('syntax errors', () => {
    f('{app="a"} |= ', 'parse error at line 1, col 14: syntax error: unexpected $end, expecting STRING');
    f('{app="a"', 'parse error at line 1, col 9: syntax error: unexpected $end, expecting CLOSE_BRACE');
    f(
      '{app="a"}\n| json |= "x" |',
      'parse error at line 2, col 16: syntax error: unexpected $end, expecting IDENTIFIER',
    );
    f(
      'rate({app="a"})',
      'parse error at line 1, col 15: syntax error: unexpected CLOSE_PARENTHESIS, expecting RANGE',
    );
    f(
      '{app="a"} | status > "x"',
      'parse error at line 1, col 22: syntax error: unexpected STRING "x", expecting NUMBER, DURATION or BYTES',
    );
    f(
      'sum(rate({app="a"}[1m])) by',
      'parse error at line 1, col 28: syntax error: unexpected $end, expecting OPEN_PARENTHESIS',
    );
    f(
      '{app="a"} |~ "("',
      'parse error at line 1, col 14: invalid regular expression "(": missing closing ): `(`',
    );
    f(
      '{app=~"("}',
      'parse error at line 1, col 7: invalid regular expression "(": missing closing ): `^(?s:()$`',
    );
  });

  test("Loki's checks after parsing", () => {
    f(
      '{app=~".*"}',
      'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will',
    );
    f('sum_over_time({app="a"}[1m])', 'parse error : invalid aggregation sum_over_time without unwrap');
    f(
      'count_over_time({app="a"} | unwrap x [1m])',
      'parse error : invalid aggregation count_over_time with unwrap',
    );
    f(
      'topk(0, count_over_time({app="a"}[1m]))',
      'parse error at line 1, col 1: invalid parameter (must be greater than 0) topk(0',
    );
    f('1 > 2', 'parse error at line 1, col 3: comparisons between scalars must use BOOL modifier');
    f(
      'count_over_time({app="a"}[1m]) + {app="a"}',
      'parse error at line 1, col 32: unexpected type for right leg of binary operation (+): log query; a binary operation works on metric queries (wrap the selector in a range aggregation such as count_over_time)',
    );
  });
});

/** A fresh temporary directory (kept local so these tests do not load the whole server). */
function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'vigil-logs-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
