/**
 * Property tests: whatever the input, the parsers return entries or throw TextParseError, and
 * what a writer produces parses back to the same series.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TextParseError } from './errors.ts';
import { decodeBody, newParser } from './index.ts';
import type { ExpositionFormat } from './media-type.ts';
import { formatGoFloat } from './values.ts';

const FORMATS: ExpositionFormat[] = ['prometheus-text', 'openmetrics'];

function drain(format: ExpositionFormat, text: string, invalidUtf8 = false): void {
  const p = newParser(format, text, { invalidUtf8 });
  for (let k = p.next(), n = 0; k !== undefined; k = p.next(), n++) {
    if (k === 'series') {
      p.labelPairs();
      p.metricName();
    }
    assert.ok(n <= text.length + 1, 'the parser must make progress');
  }
}

function onlyParseErrors(format: ExpositionFormat, text: string, invalidUtf8 = false): void {
  try {
    drain(format, text, invalidUtf8);
  } catch (err) {
    if (!(err instanceof TextParseError)) throw err;
  }
}

// Characters that matter to the grammars, so random input reaches deep into the parsers.
const grammarChar = fc.constantFrom(
  ...'abcXYZ_:019.+-eE {}="\\,#\n\t \0'.split(''),
  '# HELP ',
  '# TYPE ',
  '# UNIT ',
  '# EOF',
  ' # {',
  'NaN',
  'Inf',
  '\ufffd',
  'é',
  '😀',
  'counter',
  'histogram',
  'le="',
);
const grammarText = fc.array(grammarChar, { maxLength: 80 }).map((a) => a.join(''));

test('random input never throws anything but TextParseError', () => {
  for (const format of FORMATS) {
    fc.assert(
      fc.property(grammarText, fc.boolean(), (text, invalid) => onlyParseErrors(format, text, invalid)),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => onlyParseErrors(format, text)),
      { numRuns: 1000 },
    );
  }
});

test('random bytes decode and parse without unexpected errors', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const { text, invalidUtf8 } = decodeBody(bytes);
      for (const format of FORMATS) onlyParseErrors(format, text, invalidUtf8);
    }),
    { numRuns: 1000 },
  );
});

// A small writer for both formats, used to generate valid expositions.
interface GenSeries {
  name: string;
  labels: [string, string][];
  value: number;
  timestamp?: number;
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function render(format: ExpositionFormat, series: GenSeries[]): string {
  const lines: string[] = [];
  for (const s of series) {
    const legacy = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(s.name);
    const labels = s.labels.map(([n, v]) => {
      const name = /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n) ? n : `"${escapeValue(n)}"`;
      return `${name}="${escapeValue(v)}"`;
    });
    let head: string;
    if (legacy) head = labels.length ? `${s.name}{${labels.join(',')}}` : s.name;
    else head = `{${[`"${escapeValue(s.name)}"`, ...labels].join(',')}}`;
    let line = `${head} ${formatGoFloat(s.value)}`;
    if (s.timestamp !== undefined) {
      line += format === 'openmetrics' ? ` ${s.timestamp / 1000}` : ` ${s.timestamp}`;
    }
    lines.push(line);
  }
  const body = lines.map((l) => `${l}\n`).join('');
  return format === 'openmetrics' ? `${body}# EOF\n` : body;
}

const wellFormed = (s: string) => !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
const nameArb = fc.oneof(
  fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,15}$/),
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('\ufffd') && wellFormed(s)),
);
const labelNameArb = fc.oneof(
  fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/),
  fc.string({ minLength: 1, maxLength: 8 }).filter(wellFormed),
);
const labelValueArb = fc.string({ maxLength: 12 }).filter(wellFormed);
const seriesArb: fc.Arbitrary<GenSeries> = fc.record(
  {
    name: nameArb,
    labels: fc.uniqueArray(fc.tuple(labelNameArb, labelValueArb), {
      maxLength: 4,
      selector: ([n]) => n,
    }),
    value: fc.double(),
    timestamp: fc.integer({ min: 0, max: 4_000_000_000_000 }),
  },
  { requiredKeys: ['name', 'labels', 'value'] },
);

test('generated expositions parse back to the same series in both formats', () => {
  for (const format of FORMATS) {
    fc.assert(
      fc.property(fc.array(seriesArb, { maxLength: 6 }), (series) => {
        // Label names that would be taken for le/quantile normalization need a TYPE line; none here.
        const text = render(format, series);
        const p = newParser(format, text);
        const got: GenSeries[] = [];
        for (let k = p.next(); k !== undefined; k = p.next()) {
          assert.equal(k, 'series');
          const g: GenSeries = {
            name: p.metricName(),
            labels: p.labelPairs().map((l) => [l.name, l.value]),
            value: p.value,
          };
          if (p.timestamp !== undefined) g.timestamp = p.timestamp;
          got.push(g);
        }
        assert.equal(got.length, series.length);
        for (let i = 0; i < series.length; i++) {
          assert.equal(got[i].name, series[i].name);
          assert.deepEqual(got[i].labels, series[i].labels);
          assert.ok(
            Object.is(got[i].value, series[i].value) || (series[i].value === 0 && got[i].value === 0),
          );
          if (series[i].timestamp === undefined) assert.equal(got[i].timestamp, undefined);
          // OpenMetrics carries seconds: milliseconds survive within float precision.
          else assert.ok(Math.abs((got[i].timestamp ?? Number.NaN) - series[i].timestamp!) <= 1);
        }
      }),
      { numRuns: 500 },
    );
  }
});

test('every truncation of a valid exposition parses or fails with TextParseError', () => {
  fc.assert(
    fc.property(
      fc.array(seriesArb, { minLength: 1, maxLength: 4 }),
      fc.constantFrom(...FORMATS),
      (series, format) => {
        const text = `# HELP m Some help.\n# TYPE m histogram\n${render(format, series)}`;
        for (let cut = 0; cut <= text.length; cut++) onlyParseErrors(format, text.slice(0, cut));
      },
    ),
    { numRuns: 100 },
  );
});
