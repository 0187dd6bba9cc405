/**
 * `vigil slo check` and `vigil slo generate`: the generated rule file is valid for the rules
 * engine's parser (as `vigil check rules` reads it) and matches what Sloth writes for its example.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { parseRules } from '../rules/rulefmt.ts';
import { sloCommand } from './slo.ts';

const BIN = new URL('../../bin/vigil.mjs', import.meta.url).pathname;
const slothDir = join(import.meta.dirname, '../../../../../shared/conformance/sloth');

function run(argv: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = sloCommand(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

test("generate prints Sloth's rules as a valid rule file", (t) => {
  const spec = join(slothDir, 'specs', 'multifile.yml');
  if (!existsSync(spec)) return t.skip('no ../shared/conformance/sloth');
  const { code, stdout, stderr } = run(['generate', '--extra-labels', 'cmd=examplesgen.sh', spec]);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  const docs = parseAllDocuments(stdout).map(
    (d) => d.toJS() as { groups: { rules: Record<string, unknown>[] }[] },
  );
  const expected = parseAllDocuments(readFileSync(join(slothDir, 'expected', 'multifile.yml'), 'utf8'))
    .map((d) => d.toJS() as (typeof docs)[number] | null)
    .filter((d) => d !== null);
  assert.equal(docs.length, 2);
  // Only sloth_slo_info's version and mode differ from `sloth generate` run with `go run`.
  const normalise = (d: (typeof docs)[number]) => {
    for (const g of d.groups)
      for (const r of g.rules)
        if (r.record === 'sloth_slo_info')
          r.labels = { ...(r.labels as object), sloth_version: 'X', sloth_mode: 'X' };
    return d;
  };
  assert.deepEqual(docs.map(normalise), expected.map(normalise));
  // Every document passes the rules engine's rule-file validation.
  for (const text of stdout.split(/^---$/m).filter((s) => s.trim() !== ''))
    assert.deepEqual(parseRules(text).errors, []);
});

test('check reports problems with file and line; exit codes as promtool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-slo-cli-'));
  try {
    const good = join(dir, 'good.yml');
    writeFileSync(
      good,
      'version: prometheus/v1\nservice: api\nslos:\n  - name: latency\n    objective: 99\n    sli: {latency: {histogram: h, threshold: 1}}\n    alerting: {name: Slow}\n',
    );
    const bad = join(dir, 'bad.yml');
    writeFileSync(
      bad,
      'version: prometheus/v1\nservice: api\nslos:\n  - name: x\n    objective: 99\n    sli: {raw: {error_ratio_query: "up"}}\n',
    );
    const ok = run(['check', good]);
    assert.equal(ok.code, 0);
    assert.equal(ok.stdout, `${good}: SUCCESS: 1 SLO found\n`);
    const failed = run(['check', good, bad]);
    assert.equal(failed.code, 1);
    assert.match(
      failed.stderr,
      new RegExp(
        `${bad}:6: slos\\.0\\.sli\\.raw\\.error_ratio_query: the query has no \\{\\{\\.window\\}\\}`,
      ),
    );
    assert.match(failed.stderr, /slos\.0\.alerting\.name: alerting\.name is required/);
    assert.equal(run(['generate']).code, 2);
    assert.equal(run(['frobnicate']).code, 2);
    assert.equal(run(['check', '--out=x', good]).code, 2);

    // The real binary, writing to a file.
    const out = join(dir, 'rules.yml');
    const proc = spawnSync(process.execPath, [BIN, 'slo', 'generate', `--out=${out}`, good], {
      encoding: 'utf8',
    });
    assert.equal(proc.status, 0, proc.stderr);
    const rules = readFileSync(out, 'utf8');
    assert.deepEqual(parseRules(rules.split(/^---$/m)[1]).errors, []);
    // Whole-number thresholds match both spellings of the bucket bound.
    assert.ok(rules.includes('(sum(rate(h_count[5m])) - sum(rate(h_bucket{le=~"1|1\\\\.0"}[5m])))'), rules);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
