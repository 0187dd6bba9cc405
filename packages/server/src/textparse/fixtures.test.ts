/**
 * The upstream exposition fixtures in ../shared/conformance/textparse (see its README §4 for the
 * expected counts). Set VIGIL_SHARED_DIR when ../shared lives elsewhere.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { newParser } from './index.ts';
import type { ExpositionFormat } from './media-type.ts';

const repoRoot = new URL('../../../../', import.meta.url).pathname;
const dir = join(process.env.VIGIL_SHARED_DIR ?? join(repoRoot, '..', 'shared'), 'conformance', 'textparse');

interface Expected {
  file: string;
  format: ExpositionFormat;
  help: number;
  types: Record<string, number>;
  series: number;
  comments: number;
  /** Distinct series after label normalization. */
  distinct: number;
}

const fixtures: Expected[] = [
  {
    file: 'alltypes.237mfs.prom.txt',
    format: 'prometheus-text',
    help: 237,
    types: { counter: 112, gauge: 97, histogram: 15, summary: 13 },
    series: 1857,
    comments: 1, // the trailing "# EOF" is a plain comment in the text format
    distinct: 1857,
  },
  {
    file: 'alltypes.237mfs.nometa.prom.txt',
    format: 'prometheus-text',
    help: 0,
    types: {},
    series: 1857,
    comments: 1,
    distinct: 1857,
  },
  {
    file: 'alltypes.5mfs.om.txt',
    format: 'openmetrics',
    help: 5,
    types: { counter: 2, gauge: 1, histogram: 1, summary: 1 },
    series: 53,
    comments: 0,
    distinct: 53,
  },
  {
    file: '1histogram.om.txt',
    format: 'openmetrics',
    help: 1,
    types: { histogram: 1 },
    series: 42,
    comments: 0,
    distinct: 42,
  },
  {
    file: 'metrics-test.prom',
    format: 'prometheus-text',
    help: 4,
    types: { summary: 1, histogram: 1, counter: 1, gauge: 1 },
    series: 27,
    comments: 0,
    distinct: 27,
  },
];

for (const want of fixtures) {
  test(`fixture ${want.file} parses with the documented counts`, () => {
    const path = join(dir, want.file);
    assert.ok(existsSync(path), `fixture ${path} is missing: check out ../shared or set VIGIL_SHARED_DIR`);
    const p = newParser(want.format, readFileSync(path, 'utf8'));
    let help = 0;
    let series = 0;
    let comments = 0;
    const types: Record<string, number> = {};
    const distinct = new Set<string>();
    for (let k = p.next(); k !== undefined; k = p.next()) {
      if (k === 'help') help++;
      else if (k === 'comment') comments++;
      else if (k === 'type') types[p.type] = (types[p.type] ?? 0) + 1;
      else if (k === 'series') {
        series++;
        const pairs = p.labelPairs().map((l) => `${l.name}=${l.value}`);
        distinct.add(`${p.metricName()}{${pairs.sort().join(',')}}`);
      }
    }
    assert.deepEqual(
      { help, types, series, comments, distinct: distinct.size },
      {
        help: want.help,
        types: want.types,
        series: want.series,
        comments: want.comments,
        distinct: want.distinct,
      },
    );
  });
}

test('the text parser rejects the OpenMetrics fixtures (exemplars), as Prometheus does', () => {
  const text = readFileSync(join(dir, 'alltypes.5mfs.om.txt'), 'utf8');
  assert.throws(() => {
    const p = newParser('prometheus-text', text);
    while (p.next() !== undefined) {}
  }, /line \d+:/);
});
