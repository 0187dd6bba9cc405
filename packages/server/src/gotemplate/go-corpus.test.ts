/**
 * The engine against real Go: every template of testdata/go-corpus.ts must produce exactly what
 * Go 1.19's text/template produced (testdata/go-outputs.json, recorded through promtool), except
 * where Go itself changed since 1.19; those cases list the newer Go's text and why.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compileTemplate, GO_TYPE, stringMap } from './index.ts';
import { EXEC_CASES, PARSE_CASES, SCENARIOS } from './testdata/go-corpus.ts';

const recorded = JSON.parse(readFileSync(new URL('./testdata/go-outputs.json', import.meta.url), 'utf8')) as {
  exec: Record<string, string>;
  parse: Record<string, string>;
};

/** Where current Go (1.22+) prints something else than the recorded Go 1.19. */
const NEWER_GO: Readonly<Record<string, { text: string; why: string }>> = {
  'err-eq-types': {
    text: '<error expanding template: error executing template __alert_A0: template: __alert_A0:1:115: executing "__alert_A0" at <eq 1 "a">: error calling eq: incompatible types for comparison: int and string>',
    why: 'Go 1.21 names the types in comparison errors',
  },
  'err-call-nil': {
    text: '<error expanding template: error executing template __alert_A1: template: __alert_A1:1:115: executing "__alert_A1" at <call .Labels.job>: error calling call: non-function .Labels.job of type string>',
    why: 'Go 1.21 names the callee of call',
  },
};

const DEFS =
  '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';
const DATA_TYPE =
  'struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }';

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

/** Expands like Prometheus's rules/alerting.go: errors become the annotation text. */
function expand(text: string, scenario: number): string {
  const s = SCENARIOS[scenario];
  const name = `__alert_A${scenario}`;
  const data = {
    [GO_TYPE]: DATA_TYPE,
    Labels: stringMap(s.labels),
    ExternalLabels: stringMap({ region: 'eu' }),
    ExternalURL: '',
    Value: parseValue(s.value),
  };
  try {
    return compileTemplate(DEFS + text, { name, missingKey: 'zero' }).execute(data);
  } catch (err) {
    const e = err as Error & { phase?: string };
    const what = e.phase === 'parse' ? 'parsing' : 'executing';
    return `<error expanding template: error ${what} template ${name}: ${e.message}>`;
  }
}

test('executed templates print what Go prints', () => {
  const failures: string[] = [];
  for (const [id, text, scenario = 0] of EXEC_CASES) {
    const want = NEWER_GO[id]?.text ?? recorded.exec[id];
    assert.ok(want !== undefined, `case ${id} has no recorded output; run testdata/record-go-outputs.ts`);
    const got = expand(text, scenario);
    if (got !== want)
      failures.push(
        `${id}: ${JSON.stringify(text)}\n   got  ${JSON.stringify(got)}\n   want ${JSON.stringify(want)}`,
      );
  }
  assert.deepEqual(
    failures,
    [],
    `${failures.length} of ${EXEC_CASES.length} differ:\n${failures.join('\n')}`,
  );
});

test('parse errors read like Go', () => {
  const failures: string[] = [];
  for (const [id, text] of PARSE_CASES) {
    const want = recorded.parse[id];
    let got = '<parsed without error>';
    try {
      compileTemplate(DEFS + text, { name: '__alert_P', missingKey: 'zero' });
    } catch (err) {
      got = (err as Error).message;
    }
    if (got !== want) failures.push(`${id}: ${JSON.stringify(text)}\n   got  ${got}\n   want ${want}`);
  }
  assert.deepEqual(
    failures,
    [],
    `${failures.length} of ${PARSE_CASES.length} differ:\n${failures.join('\n')}`,
  );
});
