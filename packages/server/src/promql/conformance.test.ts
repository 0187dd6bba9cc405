/**
 * Upstream PromQL conformance: runs every Prometheus test script in
 * ../shared/conformance/promql against our engine over MemoryStorage and reports, per file and
 * in total, how many eval cases pass. Native-histogram cases are skipped (storage holds floats
 * only) and count as not passed. The test fails when core passes drop below the recorded level,
 * so regressions are caught.
 *
 * Set VIGIL_CONFORMANCE_FAILURES=<file> to write every failing case with its reason.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryStorage } from '../storage/memory/memory-storage.ts';
import { type CaseOutcome, runScript } from './conformance/runner.ts';
import { Engine } from './engine/engine.ts';

/** Passing counts this implementation has reached; lower counts fail the test. */
const MIN_CORE_PASSED = 888;
const MIN_NON_NATIVE_PASSED = 1273;

const repoRoot = new URL('../../../../', import.meta.url).pathname;
const conformanceDir = join(repoRoot, '../shared/conformance');
const scriptsDir = join(conformanceDir, 'promql');

interface CaseMeta {
  readonly file: string;
  readonly line: number;
  readonly native_histograms: boolean;
  readonly tags?: readonly string[];
}

test('PromQL conformance: upstream test scripts', {
  skip: !existsSync(scriptsDir) && 'no ../shared/conformance',
}, async (t) => {
  const metas: CaseMeta[] = JSON.parse(readFileSync(join(conformanceDir, 'promql-cases.json'), 'utf8'));
  const metaByCase = new Map(metas.map((m) => [`${m.file}:${m.line}`, m]));
  const engine = new Engine({
    lookbackDelta: 5 * 60_000,
    maxSamples: 10_000,
    noStepSubqueryInterval: () => 60_000,
    delayedNameRemoval: true,
    timeout: 100_000,
  });
  const totals = { core: [0, 0], nonNative: [0, 0], all: [0, 0] };
  const failures: string[] = [];
  const lines: string[] = [];
  const files = readdirSync(scriptsDir)
    .filter((f) => f.endsWith('.test'))
    .sort();
  for (const file of files) {
    const outcomes: CaseOutcome[] = await runScript(readFileSync(join(scriptsDir, file), 'utf8'), {
      engine,
      newStorage: () => new MemoryStorage(),
      skip: (line) =>
        metaByCase.get(`${file}:${line}`)?.native_histograms ? 'native histograms' : undefined,
    });
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const o of outcomes) {
      const meta = metaByCase.get(`${file}:${o.line}`);
      const core =
        meta !== undefined && !meta.native_histograms && !(meta.tags ?? []).some((t) => t !== 'at_modifier');
      const nonNative = meta !== undefined && !meta.native_histograms;
      const ok = o.status === 'pass' ? 1 : 0;
      totals.all[0] += ok;
      totals.all[1]++;
      if (nonNative) {
        totals.nonNative[0] += ok;
        totals.nonNative[1]++;
      }
      if (core) {
        totals.core[0] += ok;
        totals.core[1]++;
      }
      if (o.status === 'pass') passed++;
      else if (o.status === 'skip') skipped++;
      else {
        failed++;
        failures.push(`${file}:${o.line}${core ? ' [core]' : ''}: ${o.expr}\n    ${o.reason}`);
      }
    }
    lines.push(
      `${file.padEnd(28)} ${String(passed).padStart(4)} passed ${String(failed).padStart(4)} failed ${String(skipped).padStart(4)} skipped`,
    );
  }
  const pct = (p: number[]) => `${p[0]}/${p[1]} (${((100 * p[0]) / Math.max(1, p[1])).toFixed(1)}%)`;
  lines.push(`core cases (no native histograms, no experimental syntax): ${pct(totals.core)}`);
  lines.push(`non-native-histogram cases: ${pct(totals.nonNative)}`);
  lines.push(`all cases (skipped count as not passed): ${pct(totals.all)}`);
  for (const l of lines) t.diagnostic(l);
  console.log(lines.join('\n'));
  const out = process.env.VIGIL_CONFORMANCE_FAILURES;
  if (out) writeFileSync(out, `${lines.join('\n')}\n\n${failures.join('\n')}\n`);
  assert.ok(
    totals.core[0] >= MIN_CORE_PASSED,
    `core passes dropped to ${totals.core[0]} (minimum ${MIN_CORE_PASSED})`,
  );
  assert.ok(
    totals.nonNative[0] >= MIN_NON_NATIVE_PASSED,
    `non-native-histogram passes dropped to ${totals.nonNative[0]} (minimum ${MIN_NON_NATIVE_PASSED})`,
  );
});
