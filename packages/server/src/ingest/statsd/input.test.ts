import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { parseConfig } from '../../config/load.ts';
import { SelfMetrics } from '../../self/metrics.ts';
import { StatsdAggregator } from './aggregator.ts';
import { StatsdInput } from './input.ts';
import { ALL_TAG_FORMATS } from './line-parser.ts';
import { StatsdTelemetry } from './telemetry.ts';
import { selfMetricValue } from './testutil.ts';

function newInput(): { input: StatsdInput; self: SelfMetrics } {
  const self = new SelfMetrics();
  const telemetry = new StatsdTelemetry(self, pino({ level: 'silent' }));
  const aggregator = new StatsdAggregator({ maxSeries: 50, seriesTtlMs: 0, buckets: [1] });
  const limits = parseConfig('', 'test.yml').limits;
  return { input: new StatsdInput(ALL_TAG_FORMATS, aggregator, telemetry, () => 0, 50, limits), self };
}

/** Sum of every child of a counter family in the rendered self-metrics. */
function total(text: string, family: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${family}{`) || line.startsWith(`${family} `)) sum += Number(line.split(' ').pop());
  }
  return sum;
}

// Bytes that are mostly StatsD-looking, with newlines, CRs and invalid UTF-8 mixed in.
const chunk = fc.oneof(
  fc.constantFrom(
    'a.b:1|c',
    ':',
    '|',
    '|#k:v',
    '|@0.5',
    '|ms',
    '|s',
    '\n',
    '\r\n',
    ',x=y',
    '_e{',
    '_sc|',
    '-1',
  ),
  fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);
const datagram = fc
  .tuple(fc.array(chunk, { maxLength: 30 }), fc.uint8Array({ maxLength: 4 }))
  .map(([parts, raw]) => Buffer.concat([Buffer.from(parts.join(''), 'latin1'), Buffer.from(raw)]));

test('fuzz: arbitrary datagrams never throw, and every line is accounted for', () => {
  fc.assert(
    fc.property(fc.array(datagram, { minLength: 1, maxLength: 5 }), (datagrams) => {
      const { input, self } = newInput();
      let nonEmptyLines = 0;
      for (const d of datagrams) {
        input.data(d, 'udp');
        for (const line of d.toString('latin1').split('\n'))
          if (line !== '' && line !== '\r') nonEmptyLines++;
      }
      const text = self.render();
      assert.equal(selfMetricValue(text, 'vigil_statsd_lines_total{transport="udp"}'), nonEmptyLines);
      // Each line yields at least one sample, error or ignored notice (a multi-value line may yield more).
      const outcomes =
        total(text, 'vigil_statsd_samples_total') +
        total(text, 'vigil_statsd_sample_errors_total') +
        total(text, 'vigil_statsd_samples_dropped_total') +
        total(text, 'vigil_statsd_ignored_total');
      assert.ok(outcomes >= nonEmptyLines, `${outcomes} outcomes for ${nonEmptyLines} lines`);
    }),
    { numRuns: 3000 },
  );
});

test('invalid UTF-8 loses only the lines it is in', () => {
  const { input, self } = newInput();
  input.data(
    Buffer.concat([Buffer.from('ok.a:1|c\nbad'), Buffer.from([0xc3, 0x28]), Buffer.from(':1|c\nok.b:1|c')]),
    'udp',
  );
  const text = self.render();
  assert.equal(selfMetricValue(text, 'vigil_statsd_sample_errors_total{reason="invalid_utf8"}'), 1);
  assert.equal(selfMetricValue(text, 'vigil_statsd_samples_total{type="c"}'), 2);
  assert.equal(selfMetricValue(text, 'vigil_statsd_lines_total{transport="udp"}'), 3);
});
