// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${1} is relabel template syntax, not a JS template
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { labelsFromRecord, labelsToRecord } from '../model/labels.ts';
import { LabelsBuilder } from './builder.ts';
import { type RelabelConfig, relabelConfigSchema } from './config.ts';
import { expandTemplate } from './expand.ts';
import { compileRelabelRules, hashMod, relabel } from './relabel.ts';
import { upstreamRelabelCases } from './testdata/prometheus-relabel-cases.ts';

function rules(configs: readonly Record<string, unknown>[]): RelabelConfig[] {
  return configs.map((c) => relabelConfigSchema.parse(c));
}

test("Prometheus's TestRelabel table", () => {
  assert.equal(upstreamRelabelCases.length, 34);
  upstreamRelabelCases.forEach((c, i) => {
    // As the upstream harness does: empty fields mean the defaults.
    const configs = c.rules.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== '')));
    const out = relabel(labelsFromRecord(c.input), compileRelabelRules(rules(configs)));
    if (c.drop) assert.equal(out, undefined, `case ${i} should drop`);
    else {
      assert.ok(out, `case ${i} should keep`);
      assert.deepEqual(labelsToRecord(out), c.output, `case ${i}`);
    }
  });
});

test('relabel: defaults, fast path and replacement deleting a label', () => {
  const lbls = labelsFromRecord({ a: 'foo', b: 'bar' });
  const run = (cfg: Record<string, unknown>[]) => {
    const out = relabel(lbls, compileRelabelRules(rules(cfg)));
    return out && labelsToRecord(out);
  };
  // source_labels absent: the value is "" and the default regex (.*) matches it.
  assert.deepEqual(run([{ target_label: 'env', replacement: 'prod' }]), { a: 'foo', b: 'bar', env: 'prod' });
  // An empty replacement result deletes the target.
  assert.deepEqual(
    run([{ source_labels: ['a'], regex: 'x(.*)|foo', target_label: 'b', replacement: '$1' }]),
    {
      a: 'foo',
    },
  );
  // No match: nothing happens.
  assert.deepEqual(run([{ source_labels: ['a'], regex: 'nomatch', target_label: 'c' }]), {
    a: 'foo',
    b: 'bar',
  });
  // Regexes are fully anchored.
  assert.deepEqual(run([{ source_labels: ['a'], regex: 'fo', action: 'keep' }]), undefined);
  // Multiple source labels joined by the separator.
  assert.deepEqual(run([{ source_labels: ['a', 'b'], separator: '/', target_label: 'c' }]), {
    a: 'foo',
    b: 'bar',
    c: 'foo/bar',
  });
  // Target label from a template.
  assert.deepEqual(
    run([{ source_labels: ['a'], regex: '(f)(.*)', target_label: 'x_${1}', replacement: '$2' }]),
    {
      a: 'foo',
      b: 'bar',
      x_f: 'oo',
    },
  );
  // `.` matches newlines (Prometheus 3).
  assert.deepEqual(
    labelsToRecord(
      relabel(
        labelsFromRecord({ a: 'x\ny' }),
        compileRelabelRules(rules([{ source_labels: ['a'], regex: 'x.y', action: 'keep' }])),
      )!,
    ),
    { a: 'x\ny' },
  );
  // Action names are case-insensitive.
  assert.deepEqual(run([{ regex: 'a', action: 'LabelDrop' }]), { b: 'bar' });
});

test('hashmod matches Prometheus (md5, last 8 bytes, big-endian)', () => {
  // 'baz' → 976 is in the upstream table; the others computed independently (Python hashlib).
  assert.equal(hashMod('baz', 1000), '976');
  assert.equal(hashMod('foo', 1000), '696');
  assert.equal(hashMod('localhost:9100', 4), '3');
  assert.equal(hashMod('10.0.0.1:9100', 3), '2');
  const n = Number(hashMod('some-address:8080', 1 << 30));
  assert.ok(n >= 0 && n < 1 << 30);
});

test('Go Expand semantics', () => {
  const m = { groups: ['foobar', 'foo', 'bar', null], names: { second: 2 } };
  const cases: [string, string][] = [
    ['$1', 'foo'],
    ['${1}', 'foo'],
    ['$1x', ''], // the group named "1x" does not exist
    ['${1}x', 'foox'],
    ['$$1', '$1'],
    ['$', '$'],
    ['a$', 'a$'],
    ['${1', '${1'],
    ['${}', '${}'],
    ['$-', '$-'],
    ['$3', ''], // did not participate
    ['$9', ''], // no such group
    ['$01', ''], // leading zero: a name, not a number
    ['$0', 'foobar'],
    ['$second', 'bar'],
    ['${second}_x', 'bar_x'],
    ['$second_x', ''],
    ['no dollars', 'no dollars'],
  ];
  for (const [tpl, want] of cases) assert.equal(expandTemplate(tpl, m), want, tpl);
});

test('LabelsBuilder follows labels.Builder: empty values delete, range sees a snapshot', () => {
  const b = new LabelsBuilder(labelsFromRecord({ a: '1', b: '2' }));
  b.set('c', '3').set('a', '').set('d', '4');
  assert.equal(b.get('a'), '');
  assert.equal(b.get('c'), '3');
  const seen: string[] = [];
  b.range((l) => {
    seen.push(l.name);
    b.set(`x${l.name}`, l.value);
  });
  assert.deepEqual(seen, ['b', 'c', 'd']);
  assert.deepEqual(labelsToRecord(b.labels()), { b: '2', c: '3', d: '4', xb: '2', xc: '3', xd: '4' });
  b.set('a', 'back');
  assert.equal(b.get('a'), 'back');
});

test('relabel config validation, as relabel.Config.Validate', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ action: 'replace' }, /requires target_label/],
    [{ action: 'lowercase' }, /requires target_label/],
    [{ action: 'hashmod', target_label: 'x' }, /non-zero modulus/],
    [{ action: 'nope' }, /unknown relabel action "nope"/],
    [{ action: 'lowercase', target_label: 'x', replacement: 'y' }, /replacement cannot be set/],
    [{ action: 'keepequal', target_label: 'x', regex: '(.*)' }, /takes only source_labels and target_label/],
    [{ action: 'labeldrop', regex: 'a', source_labels: ['b'] }, /takes only regex/],
    [{ action: 'labelkeep', regex: 'a', target_label: 'b' }, /takes only regex/],
    [{ action: 'labelmap', regex: 'a', replacement: '' }, /invalid replacement/],
    [{ action: 'keep', regex: '(?=x)' }, /invalid regular expression/],
    [{ action: 'keep', unknown_key: 1 }, /unrecognized key|unknown key/i],
  ];
  for (const [cfg, want] of bad) {
    const r = relabelConfigSchema.safeParse(cfg);
    assert.ok(!r.success, JSON.stringify(cfg));
    assert.match(r.error.issues.map((i) => i.message).join('; '), want, JSON.stringify(cfg));
  }
  const good: Record<string, unknown>[] = [
    { action: 'lowercase', target_label: '${3}' },
    { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '0${3}' },
    { regex: '__meta_(.+)', action: 'labelmap', replacement: '${1}' },
    { action: 'dropequal', source_labels: ['a'], target_label: 'b' },
    { target_label: 'port', replacement: 9100 },
  ];
  for (const cfg of good) assert.ok(relabelConfigSchema.safeParse(cfg).success, JSON.stringify(cfg));
});

test('relabel config errors in YAML name the file, line and key', () => {
  const schema = relabelConfigSchema.array();
  assert.throws(
    () => parseConfig('- source_labels: [a]\n  action: hashmod\n  target_label: x\n', 'rules.yml', schema),
    /rules\.yml:\d+: 0\.modulus: the hashmod action requires a non-zero modulus/,
  );
  const parsed = parseConfig('- regex:\n  target_label: abc\n  replacement: static\n', 'r.yml', schema);
  assert.equal(parsed[0].regex, '');
  assert.equal(parsed[0].regex_set, true);
});
