import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExposition, sumSamples } from './exposition.ts';

const TEXT = `# HELP vigil_ingest_samples_total Samples stored, by ingest protocol.
# TYPE vigil_ingest_samples_total counter
vigil_ingest_samples_total{protocol="remote_write"} 1200
vigil_ingest_samples_total{protocol="otlp"} 34
# HELP q_seconds Query duration.
# TYPE q_seconds histogram
q_seconds_bucket{le="0.1"} 3
q_seconds_bucket{le="+Inf"} 4
q_seconds_sum 0.5
q_seconds_count 4
# TYPE weird gauge
weird{path="a \\"quoted\\" \\\\ value",x="1"} -Inf 1700000000000
not a metric line at all
bad{unterminated="x} 1
up 1
`;

test('reads families with help, type and samples; histogram parts join their family', () => {
  const fams = parseExposition(TEXT);
  assert.deepEqual(
    fams.map((f) => [f.name, f.type, f.samples.length]),
    [
      ['vigil_ingest_samples_total', 'counter', 2],
      ['q_seconds', 'histogram', 4],
      ['weird', 'gauge', 1],
      ['up', 'untyped', 1],
    ],
  );
  assert.equal(fams[0].help, 'Samples stored, by ingest protocol.');
  const weird = fams[2].samples[0];
  assert.deepEqual(weird.labels, { path: 'a "quoted" \\ value', x: '1' });
  assert.equal(weird.value, Number.NEGATIVE_INFINITY);
});

test('sumSamples adds matching samples', () => {
  const fams = parseExposition(TEXT);
  assert.equal(sumSamples(fams, 'vigil_ingest_samples_total'), 1234);
  assert.equal(sumSamples(fams, 'vigil_ingest_samples_total', { protocol: 'otlp' }), 34);
  assert.equal(sumSamples(fams, 'missing'), undefined);
  assert.equal(sumSamples(fams, 'q_seconds_count'), 4);
});
