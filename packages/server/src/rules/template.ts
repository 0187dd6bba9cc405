/**
 * Prometheus's alert templates (template/template.go): the function set (humanize*, query,
 * first/label/value, reReplaceAll, match, title, stripPort, ...) and expansion of alerting rules'
 * labels and annotations with `$labels`, `$externalLabels`, `$externalURL` and `$value`.
 *
 * Templates run synchronously but `query` needs the (async) PromQL engine. Expansion therefore
 * replays: a `query` whose result is not known yet stops the run; the query is executed and the
 * template runs again with the result cached. Templates are pure, so the replay sees the same
 * queries in the same order; each distinct query runs once per expansion.
 */
import { RE2JS } from 're2js';
import {
  type CustomParamType,
  compileTemplate,
  type FuncMap,
  GO_TYPE,
  GoMap,
  GoTime,
  goFunc,
  goTypeName,
  quote,
  sprintf,
  type Template,
  TemplateError,
  urlQueryEscape,
} from '../gotemplate/index.ts';
import type { Labels } from '../model/labels.ts';
import { expandTemplate as expandRegexpTemplate } from '../relabel/index.ts';

/** One sample of a template query result. */
export interface TemplateSample {
  readonly labels: Labels;
  readonly value: number;
}

/** Runs PromQL for `query` at a time (ms). */
export type TemplateQuery = (query: string, timeMs: number) => Promise<readonly TemplateSample[]>;

/** The data alert templates see (Prometheus's AlertTemplateData). */
export interface AlertTemplateData {
  readonly labels: Labels;
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly value: number;
}

/** Prometheus's prefix that defines $labels, $externalLabels, $externalURL and $value. */
export const TEMPLATE_DEFS =
  '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

const DATA_TYPE =
  'struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }';

// ---------------------------------------------------------------------------------------------
// Values the functions exchange

const QUERY_RESULT: CustomParamType = {
  name: 'template.queryResult',
  accepts: (v) => Array.isArray(v) && (v as { [GO_TYPE]?: string })[GO_TYPE] === 'template.queryResult',
  nilable: true,
};
const SAMPLE: CustomParamType = {
  name: '*template.sample',
  accepts: (v) =>
    typeof v === 'object' && v !== null && (v as { [GO_TYPE]?: string })[GO_TYPE] === '*template.sample',
  nilable: true,
};

interface TemplateSampleValue {
  readonly [GO_TYPE]: string;
  readonly Labels: GoMap<string>;
  readonly Value: number;
}

function toQueryResult(samples: readonly TemplateSample[]): TemplateSampleValue[] {
  const out = samples.map((s) => ({
    [GO_TYPE]: '*template.sample',
    Labels: new GoMap(
      s.labels.map((l) => [l.name, l.value] as const),
      '',
    ),
    Value: s.value,
  }));
  return Object.assign(out, { [GO_TYPE]: 'template.queryResult' });
}

const NIL_POINTER = 'runtime error: invalid memory address or nil pointer dereference';

/** Go's time.Duration, printed like Duration.String(). */
export class GoDuration {
  readonly [GO_TYPE] = 'time.Duration';
  constructor(readonly nanos: bigint) {}
  Seconds(): number {
    return Number(this.nanos) / 1e9;
  }
  String(): string {
    return formatGoDuration(this.nanos);
  }
}

function formatGoDuration(d: bigint): string {
  if (d === 0n) return '0s';
  const neg = d < 0n;
  let u = neg ? -d : d;
  const frac = (v: bigint, digits: number): string => {
    const s = v.toString().padStart(digits, '0').replace(/0+$/, '');
    return s === '' ? '' : `.${s}`;
  };
  let out: string;
  if (u < 1_000_000_000n) {
    if (u < 1000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = `${u / 1000n}${frac(u % 1000n, 3)}µs`;
    else out = `${u / 1_000_000n}${frac(u % 1_000_000n, 6)}ms`;
  } else {
    const secs = u / 1_000_000_000n;
    const nanos = u % 1_000_000_000n;
    u = secs;
    const s = `${u % 60n}${frac(nanos, 9)}s`;
    u /= 60n;
    if (u === 0n) out = s;
    else {
      const m = `${u % 60n}m`;
      u /= 60n;
      out = u === 0n ? m + s : `${u}h${m}${s}`;
    }
  }
  return neg ? `-${out}` : out;
}

// ---------------------------------------------------------------------------------------------
// Conversions and helpers from prometheus/common/helpers/templates

/** Go's strconv.ParseFloat for the text forms Prometheus users write. */
function parseGoFloat(s: string): number {
  const t = s.replace(/_/g, (m, i: number) => (i > 0 && /[0-9a-fA-F]/.test(s[i - 1]) ? '' : m));
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return Number.NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
    const v = Number(t);
    if (!Number.isFinite(v)) throw new Error(`strconv.ParseFloat: parsing ${quote(s)}: value out of range`);
    return v;
  }
  if (/^[+-]?0[xX]/.test(t)) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(t);
    if (m && (m[2] !== '' || m[3] !== '')) {
      const v = Number.parseInt(m[2] + m[3] || '0', 16) * 2 ** (Number(m[4]) - 4 * m[3].length);
      return m[1] === '-' ? -v : v;
    }
  }
  throw new Error(`strconv.ParseFloat: parsing ${quote(s)}: invalid syntax`);
}

/** common_templates.ConvertToFloat: float64, string, int and time.Duration. */
function convertToFloat(i: unknown): number {
  if (typeof i === 'number') return i;
  if (typeof i === 'string') return parseGoFloat(i);
  if (typeof i === 'bigint') return Number(i);
  throw new Error(`can't convert ${i instanceof GoDuration ? '*time.Duration' : goTypeName(i)} to float`);
}

const g4 = (v: number) => sprintf('%.4g', [v]);

function humanize(i: unknown): string {
  let v = convertToFloat(i);
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

function humanize1024(i: unknown): string {
  let v = convertToFloat(i);
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

function humanizeDuration(i: unknown): string {
  let v = convertToFloat(i);
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return `${g4(v)}s`;
  if (Math.abs(v) >= 1) {
    let sign = '';
    if (v < 0) {
      sign = '-';
      v = -v;
    }
    const duration = Math.trunc(v);
    const seconds = duration % 60;
    const minutes = Math.trunc(duration / 60) % 60;
    const hours = Math.trunc(duration / 3600) % 24;
    const days = Math.trunc(duration / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

/** common_templates.FloatToTime: seconds to a UTC time with millisecond precision. */
function floatToTime(v: number): GoTime | 'nan-or-inf' {
  if (!Number.isFinite(v)) return 'nan-or-inf';
  const nanos = v * 1e9;
  if (nanos > 9.223372036854776e18 || nanos < -9.223372036854776e18)
    throw new Error(
      `${sprintf('%v', [v])} cannot be represented as a nanoseconds timestamp since it overflows int64`,
    );
  // model.TimeFromUnixNano keeps milliseconds.
  const ms = BigInt(Math.trunc(nanos)) / 1_000_000n;
  return new GoTime(ms * 1_000_000n);
}

function humanizeTimestamp(i: unknown): string {
  const v = convertToFloat(i);
  const t = floatToTime(v);
  if (t === 'nan-or-inf') return g4(v);
  return t.String();
}

/** Go's net.SplitHostPort. */
function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 === hostport.length || end + 1 !== i) return undefined;
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return undefined;
  }
  if (hostport.slice(j).includes('[') || hostport.slice(k).includes(']')) return undefined;
  return { host, port: hostport.slice(i + 1) };
}

/** Go's net.ParseIP succeeds. */
function isIP(host: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(host))
    return host.split('.').every((p) => Number(p) <= 255 && (p === '0' || p[0] !== '0'));
  if (!host.includes(':')) return false;
  try {
    new URL(`http://[${host}]/`);
    return true;
  } catch {
    return false;
  }
}

function stripDomain(hostPort: string): string {
  const sp = splitHostPort(hostPort);
  const host = sp ? sp.host : hostPort;
  const port = sp ? sp.port : '';
  if (isIP(host)) return hostPort;
  const first = host.split('.')[0];
  if (port !== '') return first.includes(':') ? `[${first}]:${port}` : `${first}:${port}`;
  return first;
}

/** regexp.Compile: the error is RE2's (`error parsing regexp: ...`). */
function compileGoRegexp(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    throw new Error((err as Error).message);
  }
}

/** regexp.MustCompile: its panic names the pattern. */
function mustCompileGoRegexp(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    throw new Error(`regexp: Compile(${goBackquote(pattern)}): ${(err as Error).message}`);
  }
}

function goBackquote(s: string): string {
  return s.includes('`') ? quote(s) : `\`${s}\``;
}

/** Go's Regexp.ReplaceAllString, with $1/${name} expansion and Go's empty-match rule. */
export function goReplaceAll(pattern: string, repl: string, text: string): string {
  const re = mustCompileGoRegexp(pattern);
  const names = re.namedGroups();
  const m = re.matcher(text);
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= text.length && m.find(searchPos)) {
    const a0 = m.start(0);
    const a1 = m.end(0);
    out += text.slice(lastMatchEnd, a0);
    // No replacement for an empty match right after another match.
    if (a1 > lastMatchEnd || a0 === 0) {
      const groups: (string | null)[] = [];
      for (let g = 0; g <= m.groupCount(); g++) groups.push(m.group(g));
      out += expandRegexpTemplate(repl, { groups, names });
    }
    lastMatchEnd = a1;
    const width = searchPos < text.length ? String.fromCodePoint(text.codePointAt(searchPos)!).length : 1;
    if (searchPos + width > a1) searchPos += width;
    else if (searchPos + 1 > a1) searchPos++;
    else searchPos = a1;
  }
  return out + text.slice(lastMatchEnd);
}

/** cases.Title(language.AmericanEnglish, cases.NoLower): capitalise the first letter of each word. */
function title(s: string): string {
  let out = '';
  let inWord = false;
  for (const ch of s) {
    // As golang.org/x/text's title caser: an apostrophe ends a word ("don't" → "Don'T").
    const isWordChar = /[\p{L}\p{N}\p{M}_]/u.test(ch);
    if (!inWord && /\p{L}/u.test(ch)) out += ch.toUpperCase();
    else out += ch;
    inWord = isWordChar;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The function map

/** What the functions of one expansion read: query results so far, time and URL. */
interface ExpansionContext {
  readonly queries: Map<string, { result?: TemplateSampleValue[]; error?: Error }>;
  readonly timestampMs: number;
  readonly externalURL: string;
}

/** Thrown by `query` when its result is not known yet; caught by expandTemplate. */
class NeedsQuery extends Error {
  constructor(readonly query: string) {
    super(`query ${query} not run yet`);
  }
}

let current: ExpansionContext = { queries: new Map(), timestampMs: 0, externalURL: '' };

const str = 'string' as const;

/** Prometheus's template functions (template.NewTemplateExpander's FuncMap). */
export const PROMETHEUS_FUNCS: FuncMap = {
  query: goFunc([str], (q: string) => {
    const hit = current.queries.get(q);
    if (!hit) throw new NeedsQuery(q);
    if (hit.error) throw hit.error;
    return hit.result;
  }),
  first: goFunc([QUERY_RESULT], (v: TemplateSampleValue[] | null) => {
    if (v && v.length > 0) return v[0];
    throw new Error('first() called on vector with no elements');
  }),
  label: goFunc([str, SAMPLE], (label: string, s: TemplateSampleValue | null) => {
    if (!s) throw new Error(NIL_POINTER);
    return s.Labels.get(label) ?? '';
  }),
  value: goFunc([SAMPLE], (s: TemplateSampleValue | null) => {
    if (!s) throw new Error(NIL_POINTER);
    return s.Value;
  }),
  strvalue: goFunc([SAMPLE], (s: TemplateSampleValue | null) => {
    if (!s) throw new Error(NIL_POINTER);
    return s.Labels.get('__value__') ?? '';
  }),
  args: goFunc(
    [],
    (...a: unknown[]) =>
      new GoMap(
        a.map((v, i) => [`arg${i}`, v] as const),
        null,
        'map[string]interface {}',
      ),
    'any',
  ),
  reReplaceAll: goFunc([str, str, str], (pattern: string, repl: string, text: string) =>
    goReplaceAll(pattern, repl, text),
  ),
  safeHtml: goFunc([str], (text: string) => text),
  match: goFunc([str, str], (pattern: string, text: string) => compileGoRegexp(pattern).test(text)),
  title: goFunc([str], title),
  toUpper: goFunc([str], (s: string) => s.toUpperCase()),
  toLower: goFunc([str], (s: string) => s.toLowerCase()),
  graphLink: goFunc([str], (expr: string) => `/graph?g0.expr=${urlQueryEscape(expr)}&g0.tab=0`),
  tableLink: goFunc([str], (expr: string) => tableLink(expr)),
  sortByLabel: goFunc([str, QUERY_RESULT], (label: string, v: TemplateSampleValue[] | null) => {
    if (!v) return v;
    const sorted = [...v].sort((a, b) => {
      const x = a.Labels.get(label) ?? '';
      const y = b.Labels.get(label) ?? '';
      return x < y ? -1 : x > y ? 1 : 0;
    });
    v.splice(0, v.length, ...sorted);
    return v;
  }),
  stripPort: goFunc([str], (hostPort: string) => splitHostPort(hostPort)?.host ?? hostPort),
  stripDomain: goFunc([str], stripDomain),
  humanize: goFunc(['any'], humanize),
  humanize1024: goFunc(['any'], humanize1024),
  humanizeDuration: goFunc(['any'], humanizeDuration),
  humanizePercentage: goFunc(['any'], (i: unknown) => sprintf('%.4g%%', [convertToFloat(i) * 100])),
  humanizeTimestamp: goFunc(['any'], humanizeTimestamp),
  toTime: goFunc(['any'], (i: unknown) => {
    const t = floatToTime(convertToFloat(i));
    if (t === 'nan-or-inf') throw new Error('value is NaN or Inf');
    return t;
  }),
  toDuration: goFunc(['any'], (i: unknown) => new GoDuration(BigInt(Math.trunc(convertToFloat(i) * 1e9)))),
  now: goFunc([], () => current.timestampMs / 1000),
  pathPrefix: goFunc([], () => urlPath(current.externalURL)),
  externalURL: goFunc([], () => current.externalURL),
  parseDuration: goFunc([str], (d: string) => {
    const ms = parseDurationAllowNegative(d);
    if (ms === undefined) throw new Error(`not a valid duration string: ${quote(d)}`);
    return ms / 1000;
  }),
  urlQueryEscape: goFunc([str], urlQueryEscape),
};

/** Prometheus's relative link to the table view of an expression (strutil.TableLinkForExpression). */
export function tableLink(expr: string): string {
  return `/graph?g0.expr=${urlQueryEscape(expr)}&g0.tab=1`;
}

function urlPath(u: string): string {
  try {
    const p = new URL(u).pathname;
    return p === '/' && !/^[a-z]+:\/\/[^/]+\/$/i.test(u) ? '' : p;
  } catch {
    return '';
  }
}

const DURATION_RE = /^(-?)(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** model.ParseDurationAllowNegative, in ms. */
function parseDurationAllowNegative(d: string): number | undefined {
  if (d === '0' || d === '-0') return 0;
  const m = DURATION_RE.exec(d);
  if (!m || d === '' || d === '-') return undefined;
  const units = [365 * 86400_000, 7 * 86400_000, 86400_000, 3600_000, 60_000, 1000, 1];
  let ms = 0;
  for (let i = 0; i < units.length; i++) if (m[i + 2] !== undefined) ms += Number(m[i + 2]) * units[i];
  return m[1] === '-' ? -ms : ms;
}

// ---------------------------------------------------------------------------------------------
// Compiling and expanding

const compiled = new Map<string, Template | TemplateError>();
const COMPILED_LIMIT = 10_000;

function compile(text: string, name: string): Template {
  const key = `${name}\u0000${text}`;
  let t = compiled.get(key);
  if (t === undefined) {
    try {
      t = compileTemplate(TEMPLATE_DEFS + text, { name, funcs: PROMETHEUS_FUNCS, missingKey: 'zero' });
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      t = err;
    }
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(key, t);
  }
  if (t instanceof TemplateError) throw t;
  return t;
}

/** Checks a label or annotation template as rule loading does; returns Go's error text or undefined. */
export function checkTemplateSyntax(text: string, name: string): string | undefined {
  try {
    compile(text, name);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The Go data value alert templates run with. */
export function alertTemplateData(d: AlertTemplateData): unknown {
  return {
    [GO_TYPE]: DATA_TYPE,
    Labels: new GoMap(
      d.labels.map((l) => [l.name, l.value] as const),
      '',
      'map[string]string',
    ),
    ExternalLabels: new GoMap(Object.entries(d.externalLabels), '', 'map[string]string'),
    ExternalURL: d.externalURL,
    Value: d.value,
  };
}

/** Options of one expansion. */
export interface ExpandOptions {
  /** Template name, `__alert_<rule>` for alerting rules. */
  readonly name: string;
  readonly data: unknown;
  /** Evaluation time (ms): `query` runs at it and `now` returns it. */
  readonly timestampMs: number;
  readonly query?: TemplateQuery;
  /** The server's external URL (for the externalURL and pathPrefix functions). */
  readonly externalURL: string;
}

/** Most replays of one expansion (each replay runs one new query). */
const MAX_QUERIES_PER_EXPANSION = 100;

/**
 * Expands `TEMPLATE_DEFS + text`. Resolves with the text, or with Prometheus's
 * `<error expanding template: ...>` and the error when parsing or execution fails.
 */
export async function expandAlertTemplate(
  text: string,
  opts: ExpandOptions,
): Promise<{ text: string; error?: string }> {
  const ctx: ExpansionContext = {
    queries: new Map(),
    timestampMs: opts.timestampMs,
    externalURL: opts.externalURL,
  };
  let template: Template;
  try {
    template = compile(text, opts.name);
  } catch (err) {
    const error = `error parsing template ${opts.name}: ${(err as Error).message}`;
    return { text: `<error expanding template: ${error}>`, error };
  }
  for (let round = 0; ; round++) {
    const previous = current;
    current = ctx;
    let missing: string | undefined;
    try {
      return { text: template.execute(opts.data) };
    } catch (err) {
      if (
        err instanceof TemplateError &&
        err.cause instanceof NeedsQuery &&
        round < MAX_QUERIES_PER_EXPANSION
      ) {
        missing = err.cause.query;
      } else {
        const error = `error executing template ${opts.name}: ${(err as Error).message}`;
        return { text: `<error expanding template: ${error}>`, error };
      }
    } finally {
      current = previous;
    }
    if (!opts.query) ctx.queries.set(missing, { error: new Error('query is not available here') });
    else {
      try {
        ctx.queries.set(missing, { result: toQueryResult(await opts.query(missing, opts.timestampMs)) });
      } catch (err) {
        ctx.queries.set(missing, { error: err instanceof Error ? err : new Error(String(err)) });
      }
    }
  }
}
