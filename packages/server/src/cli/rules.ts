/**
 * `vigil check rules FILE...` and `vigil test rules TEST.yml...`, promtool-compatible: the same
 * flags, output and exit codes as `promtool check rules` and `promtool test rules`. This file
 * wires the unit-test runner to an in-memory storage and a PromQL engine.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { Engine } from '../promql/index.ts';
import { checkRuleText, formatDuplicates, type LintSettings } from '../rules/check.ts';
import { rulesUnitTest, type SuiteResult } from '../rules/unittest/runner.ts';
import { MemoryStorage } from '../storage/memory/memory-storage.ts';

const CHECK_USAGE = `usage: vigil check rules [<flags>] [<rule-files>...]

Check if the rule files are valid or not (like promtool check rules). Reads standard input
when no file is given.

Flags:
  --lint=duplicate-rules  Linting checks to apply. Available options are: all, duplicate-rules, none.
                          Use --lint=none to disable linting
  --[no-]lint-fatal       Make lint errors exit with exit code 3.
  --[no-]ignore-unknown-fields
                          Ignore unknown fields in the rule files.
`;

const TEST_USAGE = `usage: vigil test [<flags>] rules [<flags>] <test-rule-file>...

Unit tests for rules (like promtool test rules).

Flags:
  --junit=<file>          File path to store JUnit XML test results.
  --run=<regex> ...       If set, will only run test groups whose names match the regular
                          expression. Can be specified multiple times.
  --[no-]debug            Enable unit test debugging.
  --[no-]diff             Print differential output between expected & received output
                          (accepted; the output is the plain form).
  --[no-]ignore-unknown-fields
                          Ignore unknown fields in the test files.
`;

/** promtool's (kingpin's) way of reporting command-line errors: exit 1. */
function usageError(message: string): number {
  process.stderr.write(`vigil: error: ${message}, try --help\n`);
  return 1;
}

interface ParsedFlags {
  readonly values: Map<string, string[]>;
  readonly bools: Map<string, boolean>;
  readonly args: string[];
}

/** Parses `--name=value`, `--name value`, `--flag`, `--no-flag`; returns an error message or the flags. */
function parseFlags(
  argv: readonly string[],
  valueFlags: readonly string[],
  boolFlags: readonly string[],
): ParsedFlags | string {
  const values = new Map<string, string[]>();
  const bools = new Map<string, boolean>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      args.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (valueFlags.includes(name)) {
      let v: string | undefined = eq < 0 ? argv[++i] : a.slice(eq + 1);
      if (v === undefined) return `expected argument for flag '--${name}'`;
      v = v ?? '';
      values.set(name, [...(values.get(name) ?? []), v]);
    } else if (boolFlags.includes(name) && eq < 0) bools.set(name, true);
    else if (name.startsWith('no-') && boolFlags.includes(name.slice(3)) && eq < 0)
      bools.set(name.slice(3), false);
    else return `unknown long flag '--${name}'`;
  }
  return { values, bools, args };
}

function checkPathsExist(paths: readonly string[]): string | undefined {
  for (const p of paths) {
    try {
      statSync(p);
    } catch {
      return `path '${p}' does not exist`;
    }
  }
  return undefined;
}

/** `vigil check rules ...`; returns the exit code (0 ok, 1 errors, 3 lint errors with --lint-fatal). */
export async function checkCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(CHECK_USAGE);
    return sub === undefined ? 1 : 0;
  }
  if (sub !== 'rules') return usageError(`expected command but got "${sub}"`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(CHECK_USAGE);
    return 0;
  }
  const flags = parseFlags(rest, ['lint'], ['lint-fatal', 'ignore-unknown-fields']);
  if (typeof flags === 'string') return usageError(flags);
  const missing = checkPathsExist(flags.args);
  if (missing) return usageError(missing);
  const lint = lintSettings(
    flags.values.get('lint')?.at(-1) ?? 'duplicate-rules',
    flags.bools.get('lint-fatal') ?? false,
  );
  const ignoreUnknownFields = flags.bools.get('ignore-unknown-fields') ?? false;

  let failed = false;
  let hasErrors = false;
  const inputs =
    flags.args.length > 0
      ? flags.args.map((f) => ({ title: f, name: f, read: () => readFileSync(f, 'utf8') }))
      : [{ title: 'standard input', name: '', read: () => readFileSync(0, 'utf8') }];
  for (const input of inputs) {
    process.stdout.write(`Checking ${input.title}\n`);
    let text: string;
    try {
      text = input.read();
    } catch (err) {
      process.stderr.write(`  FAILED: ${input.name ? `${input.name}: ` : ''}${(err as Error).message}\n`);
      failed = true;
      hasErrors = true;
      continue;
    }
    const result = checkRuleText(text, { ignoreUnknownFields, lint });
    if (result.errors.length > 0) {
      failed = true;
      hasErrors = true;
      process.stderr.write('  FAILED:\n');
      for (const e of result.errors) process.stderr.write(`${input.name ? `${input.name}: ` : ''}${e}\n`);
      continue;
    }
    if (result.duplicates.length > 0) {
      failed = true;
      process.stderr.write('  FAILED:\n');
      process.stderr.write(`lint error ${formatDuplicates(result.duplicates)}\n`);
    } else process.stdout.write(`  SUCCESS: ${result.ruleCount} rules found\n`);
    process.stdout.write('\n');
  }
  if (failed && hasErrors) return 1;
  if (failed && lint.fatal) return 3;
  return 0;
}

function lintSettings(value: string, fatal: boolean): LintSettings {
  let duplicateRules = false;
  for (const setting of value.split(',')) {
    if (setting === '') continue;
    if (setting === 'all' || setting === 'duplicate-rules') duplicateRules = true;
    else if (setting !== 'none')
      process.stdout.write(`WARNING: unknown lint option: ${JSON.stringify(setting)}\n`);
  }
  return { duplicateRules, fatal };
}

/** `vigil test rules ...`; returns the exit code (0 all passed, 1 otherwise). */
export async function testCommand(argv: string[]): Promise<number> {
  // `--junit` belongs to `test`, the others to `test rules`; accept them anywhere, like kingpin.
  const subIndex = argv.indexOf('rules');
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(TEST_USAGE);
    return argv.length === 0 ? 1 : 0;
  }
  if (subIndex < 0)
    return usageError(`expected command but got "${argv.find((a) => !a.startsWith('-')) ?? ''}"`);
  const rest = [...argv.slice(0, subIndex), ...argv.slice(subIndex + 1)];
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(TEST_USAGE);
    return 0;
  }
  const flags = parseFlags(rest, ['run', 'junit'], ['debug', 'diff', 'ignore-unknown-fields']);
  if (typeof flags === 'string') return usageError(flags);
  if (flags.args.length === 0) return usageError("required argument 'test-rule-file' not provided");
  const missing = checkPathsExist(flags.args);
  if (missing) return usageError(missing);

  const logger = pino({ level: 'silent' });
  const { code, suites } = await rulesUnitTest(
    flags.args,
    {
      run: flags.values.get('run'),
      ignoreUnknownFields: flags.bools.get('ignore-unknown-fields') ?? false,
      debug: flags.bools.get('debug') ?? false,
    },
    {
      newStorage: () => new MemoryStorage(),
      // promtool's test engine: 5m lookback, at most 10000 samples, steps of subqueries
      // without one default to the evaluation interval.
      newEngine: (subqueryInterval) =>
        new Engine({ maxSamples: 10_000, timeout: 100_000, noStepSubqueryInterval: () => subqueryInterval }),
      logger,
    },
    { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
  );
  const junit = flags.values.get('junit')?.at(-1);
  if (junit !== undefined) {
    try {
      writeFileSync(junit, junitXml(suites));
    } catch (err) {
      process.stderr.write(`failed to write JUnit XML: ${(err as Error).message}\n`);
    }
  }
  return code;
}

function xmlEscape(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&#34;', "'": '&#39;' })[c]!,
  );
}

/** promtool's JUnit XML (util/junitxml). */
function junitXml(suites: readonly SuiteResult[]): string {
  const now = new Date().toISOString().slice(0, 19);
  let out = '<testsuites>';
  for (const s of suites) {
    const failures = s.cases.reduce((n, c) => n + c.failures.length, 0);
    out += `<testsuite name="${xmlEscape(s.file)}" tests="${s.cases.length}" failures="${failures}" errors="${s.error ? 1 : 0}" skipped="0" timestamp="${now}">`;
    for (const c of s.cases) {
      out += `<testcase name="${xmlEscape(c.name)}">`;
      for (const f of c.failures) out += `<failure>${xmlEscape(f)}</failure>`;
      out += '</testcase>';
    }
    if (s.error) out += `<testcase name="unknown"><error>${xmlEscape(s.error)}</error></testcase>`;
    out += '</testsuite>';
  }
  return `${out}</testsuites>`;
}
