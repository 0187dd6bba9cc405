/**
 * Rule-file parsing against Prometheus's own rulefmt fixtures (conformance README §3): the good
 * files parse, each bad file's first error contains Prometheus's message. Plus the decoding
 * details the fixtures do not reach.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseRules } from './rulefmt.ts';

const DIR = '/work/shared/conformance/rulefmt/';
const read = (f: string) => readFileSync(DIR + f, 'utf8');

describe('rulefmt fixtures', () => {
  for (const f of ['test.yaml', 'test_aliases.yaml', 'utf-8_lname.good.yaml', 'utf-8_annotation.good.yaml']) {
    test(`${f} parses`, () => assert.deepEqual(parseRules(read(f)).errors, []));
  }
  test('legacy_validation_annotation.good.yaml parses with legacy validation', () =>
    assert.deepEqual(
      parseRules(read('legacy_validation_annotation.good.yaml'), { nameValidation: 'legacy' }).errors,
      [],
    ));

  const bad: [string, string, 'utf8' | 'legacy'][] = [
    ['duplicate_grp.bad.yaml', 'groupname: "yolo" is repeated in the same file', 'utf8'],
    ['bad_expr.bad.yaml', 'parse error', 'utf8'],
    ['record_and_alert.bad.yaml', "only one of 'record' and 'alert' must be set", 'utf8'],
    ['no_rec_alert.bad.yaml', "one of 'record' or 'alert' must be set", 'utf8'],
    ['noexpr.bad.yaml', "field 'expr' must be set in rule", 'utf8'],
    [
      'invalid_record_name.bad.yaml',
      'braces present in the recording rule name; should it be in expr?: strawberry{flavor="sweet"}',
      'utf8',
    ],
    ['bad_field.bad.yaml', 'field annotation not found', 'utf8'],
    ['invalid_label_name.bad.yaml', 'invalid label name', 'utf8'],
    ['record_and_for.bad.yaml', "invalid field 'for' in recording rule", 'utf8'],
    ['record_and_keep_firing_for.bad.yaml', "invalid field 'keep_firing_for' in recording rule", 'utf8'],
    ['legacy_validation_annotation.bad.yaml', 'invalid annotation name: ins-tance', 'legacy'],
  ];
  for (const [f, msg, scheme] of bad) {
    test(`${f} fails with "${msg}"`, () => {
      const { errors } = parseRules(read(f), { nameValidation: scheme });
      assert.ok(errors.length > 0, 'no error');
      assert.ok(errors[0].includes(msg), errors[0]);
    });
  }

  test('aliases and merge keys resolve as in Go', () => {
    const { groups } = parseRules(read('test_aliases.yaml'));
    const rules = groups[0].rules;
    assert.equal(rules[0].alert, 'HighAlert');
    assert.equal(rules[0].labels.severity, 'critical');
    assert.equal(rules[1].record, 'new_metric');
    assert.equal(rules[2].alert, 'HighAlert');
    assert.equal(rules[3].alert, 'HighAlert2');
    assert.equal(rules[3].for, 5 * 60_000);
    for (const r of rules) assert.equal(r.expr, rules[0].expr);
  });

  test('an alias refers to the latest anchor of its name before it; many aliases stay fast', () => {
    const { groups, errors } = parseRules(
      'groups:\n- name: g\n  rules:\n' +
        '  - {record: a, expr: &e vector(1)}\n  - {record: b, expr: *e}\n' +
        '  - {record: c, expr: &e vector(2)}\n  - {record: d, expr: *e}\n',
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(
      groups[0].rules.map((r) => r.expr),
      ['vector(1)', 'vector(1)', 'vector(2)', 'vector(2)'],
    );
    // 5,000 rules sharing one labels map through aliases (as yaml.stringify writes shared objects).
    let text = 'groups:\n- name: big\n  rules:\n  - {record: r0, expr: up, labels: &l {team: a}}\n';
    for (let i = 1; i < 5000; i++) text += `  - {record: r${i}, expr: up, labels: *l}\n`;
    const big = parseRules(text);
    assert.equal(big.groups[0].rules.length, 5000);
    assert.ok(big.groups[0].rules.every((r) => r.labels.team === 'a'));
  });
});

describe('decoding', () => {
  const parse = (text: string) => parseRules(text);
  test('errors carry positions', () => {
    assert.deepEqual(parse('groups:\n- name: g\n  rules:\n  - record: x\n    expr: "sum("\n').errors, [
      '5:11: group "g", rule 1, "x": could not parse expression: 1:5: parse error: unclosed left parenthesis',
    ]);
  });
  test("a bad duration stops decoding with model.Duration's message", () =>
    assert.deepEqual(parse('groups:\n- name: g\n  interval: 5x\n  rules: []\n').errors, [
      'not a valid duration string: "5x"',
    ]));
  test('type errors name the line and type', () =>
    assert.deepEqual(parse('groups:\n- name: g\n  limit: many\n  rules: []\n').errors, [
      'yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `many` into int',
    ]));
  test('unknown fields may be ignored', () =>
    assert.deepEqual(
      parseRules('groups:\n- name: g\n  owner: me\n  rules: []\n', { ignoreUnknownFields: true }).errors,
      [],
    ));
  test('recording rules cannot have annotations', () =>
    assert.match(
      parse('groups:\n- name: g\n  rules:\n  - record: x\n    expr: up\n    annotations: {a: b}\n').errors[0],
      /invalid field 'annotations' in recording rule/,
    ));
  test('templates are checked in labels too', () =>
    assert.deepEqual(
      parse('groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    labels: {x: "{{ .Oops"}\n').errors,
      ['group "g", rule 1, "A": label "x": template: __alert_A:1: unclosed action'],
    ));
  test('numbers and booleans are read as written', () => {
    const { groups, errors } = parse(
      'groups:\n- name: 1\n  rules:\n  - alert: A\n    expr: up\n    labels: {n: 0x10, b: true}\n',
    );
    assert.deepEqual(errors, []);
    assert.equal(groups[0].name, '1');
    assert.deepEqual(groups[0].rules[0].labels, { n: '0x10', b: 'true' });
  });
  test('syntax errors say where', () => assert.match(parse('groups: [\n').errors[0], /^yaml: line \d+: /));
  test('an empty file has no groups and no errors', () =>
    assert.deepEqual(parse(''), { groups: [], errors: [], warnings: [] }));
});
