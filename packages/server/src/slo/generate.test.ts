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
/** The Kubernetes CRD fixtures that need no plugin; their rules sit under spec.groups of a PrometheusRule. */
const K8S = ['k8s-getting-started', 'k8s-home-wifi', 'k8s-multifile'];

describe('Sloth conformance', () => {
  for (const name of K8S) {
    test(`${name}.yml (Kubernetes CRD) generates Sloth's rules`, (t) => {
      const specFile = join(slothDir, 'specs', `${name}.yml`);
      if (!existsSync(specFile)) return t.skip('no ../shared/conformance/sloth');
      const { specs, problems } = parseSpecText(readFileSync(specFile, 'utf8'), specFile);
      assert.deepEqual(problems, []);
      const expected = parseAllDocuments(readFileSync(join(slothDir, 'expected', `${name}.yml`), 'utf8'))
        .map((d) => d.toJS() as { spec: { groups: unknown[] } } | null)
        .filter((d) => d !== null);
      assert.equal(specs.length, expected.length);
      specs.forEach((spec, i) => {
        const got = JSON.parse(JSON.stringify(generateSpec(spec, { ...SLOTH_CLI, mode: 'cli-gen-k8s' })));
        assert.deepEqual(got, expected[i].spec.groups);
      });
    });
  }

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

test('Kubernetes CRD problems point at the camelCase keys under spec', () => {
  const text = [
    'apiVersion: sloth.slok.dev/v1',
    'kind: PrometheusServiceLevel',
    'metadata: {name: x}',
    'spec:',
    '  service: api',
    '  slos:',
    '    - name: availability',
    '      objective: 99',
    '      sli:',
    '        events:',
    '          errorQuery: sum(rate(errors_total[5m]))',
    '          totalQuery: sum(rate(requests_total[{{.window}}]))',
    '      alerting: {pageAlert: {disable: true}, ticketAlert: {disable: true}}',
    '---',
    'apiVersion: monitoring.coreos.com/v1',
    'kind: PrometheusRule',
  ].join('\n');
  const { specs, problems } = parseSpecText(text, 'k8s.yml');
  assert.equal(specs.length, 0);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(
    problems[0],
    /^k8s\.yml:11: spec\.slos\.0\.sli\.events\.errorQuery: the query has no \{\{\.window\}\}/,
  );
  assert.match(
    problems[1],
    /^k8s\.yml:15: apiVersion "monitoring\.coreos\.com\/v1", kind "PrometheusRule": Vigil reads/,
  );
});
