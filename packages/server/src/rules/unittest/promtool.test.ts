/**
 * `vigil test rules` and `vigil check rules` on Prometheus's promtool fixtures
 * (/work/shared/conformance/promtool-rules, README §2): every fixture gives upstream's exit code
 * and failures; and Debian's promtool 2.42 run on the fixtures 2.42 handles like upstream gives
 * the same exit codes and the same failure text as the real `vigil` command.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import { Engine } from '../../promql/index.ts';
import { MemoryStorage } from '../../storage/memory/memory-storage.ts';
import { rulesUnitTest } from './runner.ts';

const FIXTURES = '/work/shared/conformance/promtool-rules';
/** Vigil's own unit-test files (templates, keep_firing_for, group_eval_order, failure reports). */
const OWN = new URL('./testdata/', import.meta.url).pathname;
const BIN = new URL('../../../bin/vigil.mjs', import.meta.url).pathname;
const PROMTOOL = '/usr/bin/promtool';

async function runTests(files: string[], opts: { run?: string[]; ignoreUnknownFields?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  const { code } = await rulesUnitTest(
    files,
    opts,
    {
      newStorage: () => new MemoryStorage(),
      newEngine: (i) => new Engine({ maxSamples: 10_000, noStepSubqueryInterval: () => i }),
      logger: pino({ level: 'silent' }),
    },
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
  );
  return { code, stdout, stderr };
}

describe('promtool rule unit-test fixtures (upstream expectations)', () => {
  const cwd = process.cwd();
  process.chdir(FIXTURES);
  after(() => process.chdir(cwd));

  const cases: {
    args: string[];
    opts?: { run?: string[]; ignoreUnknownFields?: boolean };
    code: number;
    failures?: RegExp[];
  }[] = [
    { args: ['long-period.yml'], code: 0 },
    {
      args: ['bad-input-series.yml'],
      code: 1,
      failures: [/^1:48: parse error: unexpected character inside braces: '0'$/m],
    },
    {
      args: ['bad-promql.yml'],
      code: 1,
      failures: [
        /expr: "join_1 \+ on\(a\) join_2", time: 0s, err: found duplicate series.*many-to-many matching not allowed/,
      ],
    },
    {
      args: ['bad-rules-syntax-test.yml'],
      code: 1,
      failures: [
        /^bad-rules-syntax\.yml: 7:15: group "bad-syntax", rule 1, "x": could not parse expression: 1:7: parse error: unexpected end of input$/m,
      ],
    },
    {
      args: ['bad-rules-error-test.yml'],
      code: 1,
      failures: [/^ {4}rule: joined, time: 0s, err: found duplicate series/m],
    },
    {
      args: ['failing.yml'],
      code: 1,
      failures: [
        /name: Failing test,\n {4}alertname: Test, time: 0s, /,
        /expr: "test", time: 0s,\n {8}exp: \{__name__="test"\} 1E\+00\n {8}got: \{__name__="test"\} 0E\+00/,
        /alertname: InstanceDown, time: 5m, [\s\S]*summary="Instance {2}down"/,
        /alertname: AlwaysFiring, time: 5m, /,
      ],
    },
    { args: ['at-modifier-test.yml'], code: 0 },
    { args: ['negative-offset-test.yml'], code: 0 },
    { args: ['no-test-group-interval.yml'], code: 0 },
    { args: ['start-time-test.yml'], code: 0 },
    { args: ['rules_run.yml'], code: 1 },
    { args: ['rules_run.yml'], opts: { run: ['correct'] }, code: 0 },
    { args: ['rules_run.yml'], opts: { run: ['wrong'] }, code: 1 },
    {
      args: ['rules_run_extrafields.yml'],
      code: 1,
      failures: [/field namespace not found in type rulefmt\.RuleGroup/],
    },
    { args: ['rules_run_extrafields.yml'], opts: { ignoreUnknownFields: true }, code: 0 },
    {
      args: ['rules_run_no_fuzzy.yml'],
      code: 1,
      failures: [/got: \{__name__="test_low"\} 2\.9999999999999996E\+00/],
    },
    { args: ['rules_run_fuzzy.yml'], opts: { run: ['correct'] }, code: 0 },
    { args: ['rules_run_fuzzy.yml'], opts: { run: ['wrong'] }, code: 1 },
  ];
  for (const c of cases) {
    const title = `${c.opts ? `${JSON.stringify(c.opts)} ` : ''}${c.args.join(' ')} → exit ${c.code}`;
    test(title, async () => {
      const r = await runTests(c.args, c.opts);
      assert.equal(r.code, c.code, `${r.stdout}${r.stderr}`);
      if (c.code === 0) assert.match(r.stdout, /^ {2}SUCCESS\n/);
      else assert.match(r.stderr, /^ {2}FAILED:\n/);
      for (const f of c.failures ?? []) assert.match(r.stderr, f);
      if (c.args[0] === 'failing.yml') assert.equal(r.stderr.match(/^ {4}(alertname|expr):/gm)?.length, 4);
    });
  }

  test('check rules features.yml: experimental functions, fill modifiers and UTF-8 record names parse', async () => {
    const r = await run(process.execPath, [BIN, 'check', 'rules', 'features.yml']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Checking features.yml\n  SUCCESS: 4 rules found\n\n');
  });

  test('--junit writes one testsuite per file, a testcase per test group (failing.yml has two), a failure per mismatch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-junit-'));
    try {
      const out = join(dir, 'junit.xml');
      const r = await run(process.execPath, [
        BIN,
        'test',
        `--junit=${out}`,
        'rules',
        'failing.yml',
        'long-period.yml',
      ]);
      assert.equal(r.code, 1);
      const xml = readFileSync(out, 'utf8');
      assert.match(
        xml,
        /^<testsuites><testsuite name="failing\.yml" tests="2" failures="4" errors="0" skipped="0" timestamp="[^"]+">/,
      );
      assert.equal(xml.match(/<failure>/g)?.length, 4);
      assert.match(xml, /<testsuite name="long-period\.yml" tests="1" failures="0" errors="0" /);
      assert.match(xml, /<\/testsuite><\/testsuites>$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("Vigil's own fixtures: one file passes, the other fails every check", async () => {
    const ok = await runTests([join(OWN, 'own-test.yml')]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await runTests([join(OWN, 'own-failing.yml')]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.match(/^ {4}(alertname|expr):/gm)?.length, 5);
  });

  test('unittest.yml: the native-histogram parts are refused with a clear message', async () => {
    const r = await runTests(['unittest.yml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /native histogram values .* are not supported: Vigil stores float samples only/);
  });

  test('unittest.yml without its native-histogram parts passes (3.x semantics: left-open windows)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-unittest-'));
    try {
      copyFileSync(join(FIXTURES, 'rules.yml'), join(dir, 'rules.yml'));
      const doc = parse(readFileSync(join(FIXTURES, 'unittest.yml'), 'utf8'));
      let removed = 0;
      for (const t of doc.tests) {
        const before = (t.input_series?.length ?? 0) + (t.promql_expr_test?.length ?? 0);
        if (t.input_series)
          t.input_series = t.input_series.filter(
            (s: { values: unknown }) => !String(s.values).includes('{{'),
          );
        if (t.promql_expr_test)
          t.promql_expr_test = t.promql_expr_test.filter(
            (p: { exp_samples?: { histogram?: string }[] }) =>
              !(p.exp_samples ?? []).some((s) => s.histogram),
          );
        removed += before - (t.input_series?.length ?? 0) - (t.promql_expr_test?.length ?? 0);
      }
      assert.equal(removed, 6, 'three histogram series and three histogram checks');
      writeFileSync(join(dir, 'unittest.yml'), stringify(doc));
      const r = await runTests([join(dir, 'unittest.yml')]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function run(
  cmd: string,
  args: string[],
  cwd = FIXTURES,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** Text both tools print the same way: 2.42's extra "Unit Testing:" header dropped, and the
 * series listed in a PromQL "duplicate series" error sorted (that order is the engine's). */
function normalize(text: string): string {
  return text.replace(/^Unit Testing: {2}.*\n/gm, '').replace(
    /operation: \[(.*?)\];/g,
    (_m, list: string) =>
      `operation: [${list
        .split(/(?<=\}), /)
        .sort()
        .join(', ')}];`,
  );
}

describe('Debian promtool 2.42 and vigil agree on the fixtures 2.42 handles like upstream', () => {
  test('promtool is installed (Debian package prometheus)', () =>
    assert.ok(existsSync(PROMTOOL), `${PROMTOOL} is missing: apt-get install prometheus`));

  const testFixtures = [
    'long-period.yml',
    'bad-input-series.yml',
    'bad-promql.yml',
    'bad-rules-syntax-test.yml',
    'bad-rules-error-test.yml',
    'failing.yml',
    'at-modifier-test.yml',
    'negative-offset-test.yml',
    'rules_run.yml',
  ];
  for (const f of testFixtures) {
    test(`test rules ${f}`, async () => {
      const [p, v] = await Promise.all([
        run(PROMTOOL, ['test', 'rules', f]),
        run(process.execPath, [BIN, 'test', 'rules', f]),
      ]);
      assert.equal(
        v.code,
        p.code,
        `exit codes differ\npromtool:\n${p.stdout}${p.stderr}\nvigil:\n${v.stdout}${v.stderr}`,
      );
      assert.equal(normalize(v.stderr), normalize(p.stderr));
      assert.equal(normalize(v.stdout), normalize(p.stdout));
    });
  }

  for (const f of ['own-test.yml', 'own-failing.yml']) {
    test(`test rules ${f} (Vigil's own fixture)`, async () => {
      const [p, v] = await Promise.all([
        run(PROMTOOL, ['test', 'rules', f], OWN),
        run(process.execPath, [BIN, 'test', 'rules', f], OWN),
      ]);
      assert.equal(v.code, f === 'own-test.yml' ? 0 : 1, `${v.stdout}${v.stderr}`);
      assert.equal(v.code, p.code, `promtool:\n${p.stdout}${p.stderr}\nvigil:\n${v.stdout}${v.stderr}`);
      assert.equal(normalize(v.stderr), normalize(p.stderr));
      assert.equal(normalize(v.stdout), normalize(p.stdout));
      if (f === 'own-failing.yml') assert.equal(v.stderr.match(/^ {4}(alertname|expr):/gm)?.length, 5);
    });
  }

  const checkCases = [
    ['rules.yml'],
    ['rules-bad.yml'],
    ['rules_duplicates.yml'],
    ['prometheus-rules.lint.yml'],
    ['--lint-fatal', 'prometheus-rules.lint.yml'],
  ];
  for (const args of checkCases) {
    test(`check rules ${args.join(' ')}`, async () => {
      const [p, v] = await Promise.all([
        run(PROMTOOL, ['check', 'rules', ...args]),
        run(process.execPath, [BIN, 'check', 'rules', ...args]),
      ]);
      assert.equal(
        v.code,
        p.code,
        `exit codes differ\npromtool:\n${p.stdout}${p.stderr}\nvigil:\n${v.stdout}${v.stderr}`,
      );
      // promtool 3 no longer prints an empty line after a file that failed to load.
      const trim = (t: string) => (v.code === 1 ? t.replace(/\n+$/, '\n') : t);
      assert.equal(trim(v.stdout), trim(p.stdout));
      assert.equal(v.stderr, p.stderr);
    });
  }
});
