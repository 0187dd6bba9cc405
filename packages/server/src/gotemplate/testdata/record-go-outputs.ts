/**
 * Records what real Go prints for the template corpus, by running the templates as alert
 * annotations through Debian's promtool (Prometheus 2.42, built with Go 1.19):
 *
 *   node --import tsx packages/server/src/gotemplate/testdata/record-go-outputs.ts <corpus> <out.json>
 *
 * `<corpus>` is a module exporting SCENARIOS, EXEC_CASES and PARSE_CASES (go-corpus.ts here; the
 * rules package has one for Prometheus's template functions). Executed outputs come from
 * `promtool test rules` (an alert test expecting no alerts prints the alerts it got, with their
 * expanded annotations); parse errors come from `promtool check rules`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { unquote } from '../strconv.ts';
import type { CorpusCase, Scenario } from './go-corpus.ts';

interface Corpus {
  SCENARIOS: readonly Scenario[];
  EXEC_CASES: readonly CorpusCase[];
  PARSE_CASES: readonly CorpusCase[];
  /** Series to load for `query` (optional): [series, values]. */
  INPUT_SERIES?: readonly (readonly [string, string])[];
}

function scenarioExpr(s: Scenario): string {
  let expr = `vector(${s.value})`;
  for (const [name, value] of Object.entries(s.labels))
    expr = `label_replace(${expr}, ${JSON.stringify(name)}, ${JSON.stringify(value)}, "", "")`;
  return expr;
}

function run(cmd: string[], cwd: string): string {
  try {
    return execFileSync(cmd[0], cmd.slice(1), { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return (e.stdout ?? '') + (e.stderr ?? '');
  }
}

/** Parses `{a="x", b="y"}` with Go-quoted values. */
function parseLabelSet(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*")/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]] = unquote(m[2]);
  return out;
}

async function main(): Promise<void> {
  const [corpusPath, outPath] = process.argv.slice(2);
  if (!corpusPath || !outPath) throw new Error('usage: record-go-outputs.ts <corpus.ts> <out.json>');
  const corpus = (await import(pathToFileURL(resolve(corpusPath)).href)) as Corpus;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-go-corpus-'));
  try {
    const version = run(['promtool', '--version'], dir).match(/go version:\s*(\S+)/)?.[1] ?? 'unknown';
    const promtool = run(['promtool', '--version'], dir).split('\n')[0];

    // Executed cases: one alerting rule per scenario, one annotation per case.
    const rules = corpus.SCENARIOS.map((s, i) => {
      const annotations: Record<string, string> = {};
      corpus.EXEC_CASES.forEach(([, text, scenario = 0], k) => {
        if (scenario === i) annotations[`a${String(k).padStart(4, '0')}`] = text;
      });
      return { alert: `A${i}`, expr: scenarioExpr(s), annotations };
    }).filter((r) => Object.keys(r.annotations).length > 0);
    writeFileSync(join(dir, 'exec.yml'), stringify({ groups: [{ name: 'g', rules }] }));
    const check = run(['promtool', 'check', 'rules', 'exec.yml'], dir);
    if (!/SUCCESS/.test(check)) throw new Error(`the exec corpus does not parse in ${version}:\n${check}`);
    writeFileSync(
      join(dir, 'test.yml'),
      stringify({
        rule_files: ['exec.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            external_labels: { region: 'eu' },
            input_series: (corpus.INPUT_SERIES ?? []).map(([series, values]) => ({ series, values })),
            alert_rule_test: rules.map((r) => ({ eval_time: '0m', alertname: r.alert, exp_alerts: [] })),
          },
        ],
      }),
    );
    const test = run(['promtool', 'test', 'rules', 'test.yml'], dir);
    const exec: Record<string, string> = {};
    const blocks = test.split(/alertname: /).slice(1);
    for (const block of blocks) {
      const alert = /^(A\d+),/.exec(block)?.[1];
      const annotations = /Annotations:(\{.*\})\s*$/m.exec(block.slice(block.indexOf('got:')))?.[1];
      if (!alert || annotations === undefined) continue;
      for (const [key, value] of Object.entries(parseLabelSet(annotations))) {
        const k = Number(key.slice(1));
        exec[corpus.EXEC_CASES[k][0]] = value;
      }
    }
    for (const [id] of corpus.EXEC_CASES) if (!(id in exec)) exec[id] = '<not recorded: empty output>';

    // Parse errors: each case as an annotation of its own rule, checked by promtool.
    const parse: Record<string, string> = {};
    if (corpus.PARSE_CASES.length > 0) {
      const parseRules = corpus.PARSE_CASES.map(([, text], k) => ({
        alert: 'P',
        expr: 'vector(1)',
        annotations: { [`p${String(k).padStart(4, '0')}`]: text },
      }));
      writeFileSync(join(dir, 'parse.yml'), stringify({ groups: [{ name: 'g', rules: parseRules }] }));
      const out = run(['promtool', 'check', 'rules', 'parse.yml'], dir);
      for (const m of out.matchAll(/annotation "p(\d{4})": (.*)$/gm))
        parse[corpus.PARSE_CASES[Number(m[1])][0]] = m[2];
      for (const [id] of corpus.PARSE_CASES) if (!(id in parse)) parse[id] = '<parsed without error>';
    }

    const sorted = (o: Record<string, string>) =>
      Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
    writeFileSync(
      outPath,
      `${JSON.stringify({ recordedWith: `${promtool} (${version})`, exec: sorted(exec), parse: sorted(parse) }, null, 2)}\n`,
    );
    process.stdout.write(
      `recorded ${Object.keys(exec).length} outputs and ${Object.keys(parse).length} parse errors\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
