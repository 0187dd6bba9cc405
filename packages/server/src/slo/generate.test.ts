/**
 * Conformance with Sloth: the example specs in ../shared/conformance/sloth/specs go through our
 * parser and generator with the settings upstream used to produce ../shared/conformance/sloth/expected
 * (version `dev`, mode `cli-gen-prom`, extra label `cmd: examplesgen.sh`), and the groups must be
 * the same: names, rule order, labels, annotations, and expressions character for character.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { SlothSlo } from '../config/slo.ts';
import { generateSpec, sliQueries } from './generate.ts';
import { parseSpecText } from './spec-files.ts';

const slothDir = join(import.meta.dirname, '../../../../../shared/conformance/sloth');
/** The fixtures a plain prometheus/v1 implementation can produce (the rest need Sloth plugins or other formats). */
const CORE = [
  'getting-started',
  'home-wifi',
  'kubernetes-apiserver',
  'multifile',
  'no-alerts',
  'raw-home-wifi',
];
const SLOTH_CLI = { version: 'dev', mode: 'cli-gen-prom', extraLabels: { cmd: 'examplesgen.sh' } };

describe('Sloth conformance', () => {
  for (const name of CORE) {
    test(`${name}.yml generates Sloth's rules`, (t) => {
      const specFile = join(slothDir, 'specs', `${name}.yml`);
      if (!existsSync(specFile)) return t.skip('no ../shared/conformance/sloth');
      const { specs, problems } = parseSpecText(readFileSync(specFile, 'utf8'), specFile);
      assert.deepEqual(problems, []);
      const expected = parseAllDocuments(readFileSync(join(slothDir, 'expected', `${name}.yml`), 'utf8'))
        .map((d) => d.toJS() as { groups: unknown[] } | null)
        .filter((d) => d !== null);
      assert.equal(specs.length, expected.length, 'one output document per input document');
      specs.forEach((spec, i) => {
        // Round-trip through JSON so absent keys compare like YAML's (no `annotations: undefined`).
        const got = JSON.parse(JSON.stringify({ groups: generateSpec(spec, SLOTH_CLI) }));
        assert.deepEqual(got, expected[i]);
      });
    });
  }
});

test('latency SLIs match every spelling of the bucket bound that ingest produces', () => {
  const bucket = (threshold: number) => {
    const q = sliQueries({
      sli: { latency: { histogram: 'h', matchers: 'job="a"', threshold } },
    } as unknown as SlothSlo);
    assert.equal(q.kind, 'events');
    return /h_bucket\{([^}]*)\}/.exec(q.kind === 'events' ? q.error : '')![1];
  };
  assert.equal(bucket(0.25), 'job="a",le="0.25"');
  // Scraped text (Prometheus 3 normalises to OpenMetrics floats) and OTLP (plain decimals).
  assert.equal(bucket(1), 'job="a",le=~"1|1\\\\.0"');
  assert.equal(bucket(1e6), 'job="a",le=~"1e\\\\+06|1000000"');
});
