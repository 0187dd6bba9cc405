/**
 * Prometheus's template functions against what Prometheus itself printed
 * (testdata/template-outputs.json, recorded through Debian's promtool 2.42), with `query`
 * running through the real PromQL engine over the same input series; plus the functions that
 * are newer than 2.42, with outputs worked out from Prometheus's source.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { labelsFromRecord } from '../model/labels.ts';
import { Engine } from '../promql/index.ts';
import { MemoryStorage } from '../storage/memory/memory-storage.ts';
import { engineQueryFunc } from './query.ts';
import { alertTemplateData, checkTemplateSyntax, expandAlertTemplate, goReplaceAll } from './template.ts';
import { EXEC_CASES, INPUT_SERIES, PARSE_CASES, SCENARIOS } from './testdata/template-corpus.ts';
import { parseInputSeries } from './unittest/series.ts';

const recorded = JSON.parse(
  readFileSync(new URL('./testdata/template-outputs.json', import.meta.url), 'utf8'),
) as {
  exec: Record<string, string>;
  parse: Record<string, string>;
};

/** Where current Prometheus differs from 2.42. */
const NEWER: Readonly<Record<string, { text: string; why: string }>> = {
  parseDuration: {
    text: '5400 -300 0 0.5',
    why: 'Prometheus 2.47 parses negative durations (ParseDurationAllowNegative)',
  },
};

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

async function setup() {
  const storage = new MemoryStorage();
  await storage.append(
    INPUT_SERIES.map(([series, values]) => {
      const s = parseInputSeries(series, values);
      return {
        labels: s.labels,
        timestamps: Float64Array.of(0),
        values: Float64Array.of((s.values[0] as { value: number }).value),
      };
    }),
  );
  const query = engineQueryFunc(new Engine(), storage);
  return {
    storage,
    templateQuery: async (q: string, t: number) =>
      (await query(q, t)).map((s) => ({ labels: s.labels, value: s.value })),
  };
}

test('template functions print what Prometheus prints', async () => {
  const { storage, templateQuery } = await setup();
  try {
    const failures: string[] = [];
    for (const [id, text, scenario = 0] of EXEC_CASES) {
      const s = SCENARIOS[scenario];
      const data = alertTemplateData({
        labels: labelsFromRecord(s.labels),
        externalLabels: { region: 'eu' },
        externalURL: '',
        value: parseValue(s.value),
      });
      const got = await expandAlertTemplate(text, {
        name: `__alert_A${scenario}`,
        data,
        timestampMs: 0,
        query: templateQuery,
        externalURL: '',
      });
      const want = NEWER[id]?.text ?? recorded.exec[id];
      if (got.text !== want)
        failures.push(
          `${id}: ${JSON.stringify(text)}\n   got  ${JSON.stringify(got.text)}\n   want ${JSON.stringify(want)}`,
        );
    }
    assert.deepEqual(failures, [], failures.join('\n'));
  } finally {
    await storage.close();
  }
});

test('template syntax errors are reported at load as Prometheus does', () => {
  for (const [id, text] of PARSE_CASES)
    assert.equal(checkTemplateSyntax(text, '__alert_P'), recorded.parse[id], id);
  assert.equal(checkTemplateSyntax('{{ $labels.job }} {{ humanize $value }}', '__alert_P'), undefined);
});

describe('functions newer than Prometheus 2.42', () => {
  const expand = async (text: string, opts: { ts?: number; url?: string } = {}) =>
    (
      await expandAlertTemplate(text, {
        name: '__alert_X',
        data: alertTemplateData({ labels: [], externalLabels: {}, externalURL: opts.url ?? '', value: 0 }),
        timestampMs: opts.ts ?? 0,
        externalURL: opts.url ?? '',
      })
    ).text;
  test('urlQueryEscape (url.QueryEscape)', async () =>
    assert.equal(await expand('{{ urlQueryEscape "a b&c=d/é" }}'), 'a+b%26c%3Dd%2F%C3%A9'));
  test('now is the evaluation time in seconds', async () =>
    assert.equal(
      await expand('{{ now }} {{ now | humanizeTimestamp }}', { ts: 1_700_000_000_500 }),
      '1.7000000005e+09 2023-11-14 22:13:20.5 +0000 UTC',
    ));
  test('externalURL and pathPrefix', async () =>
    assert.equal(
      await expand('{{ externalURL }} {{ pathPrefix }}', { url: 'https://vigil.example.com/prefix' }),
      'https://vigil.example.com/prefix /prefix',
    ));
  test('toTime and toDuration', async () =>
    assert.equal(
      await expand(
        '{{ toTime 1700000000 }} | {{ toDuration 5400.5 }} | {{ (toTime 86400).Format "2006-01-02" }} | {{ toDuration 0.25 }}',
      ),
      '2023-11-14 22:13:20 +0000 UTC | 1h30m0.5s | 1970-01-02 | 250ms',
    ));
  test('query without an engine is an error, not a hang', async () =>
    assert.match(await expand('{{ query "up" }}'), /error calling query: query is not available here/));
});

test("reReplaceAll follows Go's ReplaceAllString", () => {
  assert.equal(goReplaceAll('a*', 'X', 'baaac'), 'XbXcX');
  assert.equal(goReplaceAll('(a)', '$1x', 'a'), '');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go regexp replacement syntax
  assert.equal(goReplaceAll('(a)', '${1}x', 'aa'), 'axax');
  assert.equal(goReplaceAll('é', 'e', 'héé'), 'hee');
  assert.equal(goReplaceAll('', '-', 'ab'), '-a-b-');
});
