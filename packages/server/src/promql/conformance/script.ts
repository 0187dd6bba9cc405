/**
 * Reader for Prometheus's PromQL test scripts (promql/promqltest/testdata/*.test): `load`,
 * `clear` and `eval` commands, series descriptions and expectations, as specified in
 * ../shared/conformance/README.md §1.
 */
import { parseDuration } from '../../model/duration.ts';
import { type Label, type Labels, labelsFromPairs, METRIC_NAME } from '../../model/labels.ts';
import { STALE_NAN } from '../../model/sample.ts';
import { unquote } from '../parser/go-strings.ts';

/** A value position in a series description. */
export type SequenceValue =
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'omitted' }
  | { readonly kind: 'histogram'; readonly text: string };

/** A series and its expanded values. */
export interface SeriesDesc {
  readonly labels: Labels;
  readonly values: readonly SequenceValue[];
}

/** `load <interval>` with its series. */
export interface LoadCommand {
  readonly kind: 'load';
  readonly line: number;
  readonly interval: number;
  readonly withNhcb: boolean;
  readonly series: readonly SeriesDesc[];
  /** `name{...}@st` lines (start timestamps), which this storage cannot hold. */
  readonly startTimestampLines: number;
}

/** One `expect ...` line. */
export interface ExpectDirective {
  readonly type: 'fail' | 'warn' | 'info' | 'no_warn' | 'no_info' | 'ordered';
  /** Exact message (`msg:`) or RE2 pattern (`regex:`); neither means "any". */
  readonly msg?: string;
  readonly regex?: string;
}

/** `eval instant|range ...` with its expectations. */
export interface EvalCommand {
  readonly kind: 'eval';
  readonly line: number;
  readonly expr: string;
  readonly instant: boolean;
  /** Instant time, or range start/end/step (ms). */
  readonly at: number;
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly expects: readonly ExpectDirective[];
  /** Legacy eval_fail header. */
  readonly legacyFail: boolean;
  readonly ordered: boolean;
  /** `expect range vector from s to e step d`: the instant result is a matrix over these times. */
  readonly rangeVector: { start: number; end: number; step: number } | undefined;
  readonly expectString: string | undefined;
  readonly expectScalar: number | undefined;
  /** Expected series, in order of the lines. */
  readonly expected: readonly SeriesDesc[];
}

/** Any script command. */
export type Command = { readonly kind: 'clear'; readonly line: number } | LoadCommand | EvalCommand;

/** Thrown for malformed scripts; names the line. */
export class ScriptError extends Error {}

const EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const LOAD = /^load(?:_(with_nhcb))?\s+(.+?)$/;

function duration(text: string, line: number): number {
  const ms = parseDuration(text.trim());
  if (ms === undefined) throw new ScriptError(`line ${line}: invalid duration ${JSON.stringify(text)}`);
  return ms;
}

/** Parses a whole script. */
export function parseScript(text: string): Command[] {
  const lines = text.split('\n').map((l) => {
    const t = l.replace(/^[ \t]+|[ \t]+$/g, '');
    return t.startsWith('#') ? '' : t;
  });
  const cmds: Command[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    if (l === '') {
      i++;
      continue;
    }
    const lineNo = i + 1;
    const word = l.split(/\s+/)[0].toLowerCase();
    // clear is one line; load and eval take the non-empty lines that follow (an eval may end
    // earlier, at a bare scalar line).
    if (word === 'clear') {
      cmds.push({ kind: 'clear', line: lineNo });
      i++;
      continue;
    }
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j] !== '') body.push(lines[j++]);
    if (word.startsWith('load')) {
      cmds.push(parseLoad(l, body, lineNo));
      i = j;
    } else if (word.startsWith('eval')) {
      const { cmd, used } = parseEval(l, body, lineNo);
      cmds.push(cmd);
      i = i + 1 + used;
    } else throw new ScriptError(`line ${lineNo}: unknown command ${JSON.stringify(l)}`);
  }
  return cmds;
}

function parseLoad(header: string, body: string[], line: number): LoadCommand {
  const m = LOAD.exec(header);
  if (!m) throw new ScriptError(`line ${line}: invalid load command`);
  const interval = duration(m[2], line);
  const series: SeriesDesc[] = [];
  let st = 0;
  for (const b of body) {
    const { labelsText, rest } = splitSeries(b, line);
    if (labelsText.endsWith('@st')) {
      st++;
      continue;
    }
    series.push({ labels: parseLabels(labelsText, line), values: parseValues(rest, line) });
  }
  return { kind: 'load', line, interval, withNhcb: m[1] === 'with_nhcb', series, startTimestampLines: st };
}

function parseEval(header: string, body: string[], line: number): { cmd: EvalCommand; used: number } {
  const inst = EVAL_INSTANT.exec(header);
  const rng = inst ? null : EVAL_RANGE.exec(header);
  if (!inst && !rng) throw new ScriptError(`line ${line}: invalid eval command`);
  const mod = (inst ?? rng)![1];
  let at = 0;
  let start = 0;
  let end = 0;
  let step = 0;
  let expr: string;
  if (inst) {
    at = duration(inst[2] ?? '', line);
    start = end = at;
    expr = inst[3];
  } else {
    start = duration(rng![2], line);
    end = duration(rng![3], line);
    step = duration(rng![4], line);
    expr = rng![5];
  }
  const expects: ExpectDirective[] = [];
  const expected: SeriesDesc[] = [];
  let rangeVector: EvalCommand['rangeVector'];
  let expectString: string | undefined;
  let expectScalar: number | undefined;
  let used = 0;
  for (const b of body) {
    used++;
    if (b.startsWith('expect range vector')) {
      const m = /^expect range vector from (\S+) to (\S+) step (\S+)$/.exec(b);
      if (!m) throw new ScriptError(`line ${line}: invalid ${JSON.stringify(b)}`);
      rangeVector = { start: duration(m[1], line), end: duration(m[2], line), step: duration(m[3], line) };
      at = rangeVector.end;
      continue;
    }
    if (b.startsWith('expect string')) {
      const s = b.slice('expect string'.length).trim();
      expectString = s.startsWith('`') ? s.slice(1, -1) : JSON.parse(s);
      continue;
    }
    if (b.split(' ')[0] === 'expect') {
      expects.push(parseExpect(b, line));
      continue;
    }
    const num = parseScalar(b);
    if (num !== undefined) {
      expectScalar = num;
      break;
    }
    const { labelsText, rest } = splitSeries(b, line);
    expected.push({ labels: parseLabels(labelsText, line), values: parseValues(rest, line) });
  }
  const cmd: EvalCommand = {
    kind: 'eval',
    line,
    expr,
    instant: inst !== null,
    at,
    start,
    end,
    step,
    expects,
    legacyFail: mod === 'fail',
    ordered: mod === 'ordered' || expects.some((e) => e.type === 'ordered'),
    rangeVector,
    expectString,
    expectScalar,
    expected,
  };
  return { cmd, used };
}

function parseExpect(line: string, lineNo: number): ExpectDirective {
  const m = /^expect\s+(fail|warn|info|no_warn|no_info|ordered)(?:\s+(msg|regex):(.*))?$/.exec(line);
  if (!m) throw new ScriptError(`line ${lineNo}: invalid expect line ${JSON.stringify(line)}`);
  const type = m[1] as ExpectDirective['type'];
  if (m[2] === 'msg') return { type, msg: m[3].trim() };
  if (m[2] === 'regex') return { type, regex: m[3].trim() };
  return { type };
}

/** Bare scalar expectations: Go's ParseInt(s, 0, 64), then ParseFloat. */
function parseScalar(s: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(s))
    return s.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[+-]?nan$/i.test(s)) return Number.NaN;
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(s))
    return Number(s.replace(/^([+-]?)0[xX]/, '$10x')) || Number.parseInt(s, 16);
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  return undefined;
}

/** Splits `metric{labels} values...` at the end of the label part. */
function splitSeries(line: string, lineNo: number): { labelsText: string; rest: string } {
  let i = 0;
  let quote = '';
  let depth = 0;
  for (; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        i++;
        // "@st" may follow the braces directly.
        while (i < line.length && !/\s/.test(line[i])) i++;
        break;
      }
    } else if (depth === 0 && /\s/.test(c)) break;
  }
  if (depth !== 0 || quote)
    throw new ScriptError(`line ${lineNo}: unbalanced series description ${JSON.stringify(line)}`);
  return { labelsText: line.slice(0, i), rest: line.slice(i).trim() };
}

/** `name`, `name{a="b"}`, `{__name__="x"}`, `{"my.metric", a="b"}`. */
export function parseLabels(text: string, lineNo: number): Labels {
  const pairs: Label[] = [];
  const brace = text.indexOf('{');
  const name = brace < 0 ? text : text.slice(0, brace);
  if (name !== '') pairs.push({ name: METRIC_NAME, value: name });
  if (brace >= 0) {
    const inner = text.slice(brace + 1, text.lastIndexOf('}'));
    const re =
      /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`))\s*(?:=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`))?\s*(,|$)/y;
    let pos = 0;
    while (pos < inner.length) {
      re.lastIndex = pos;
      const m = re.exec(inner);
      if (!m || m[0] === '') throw new ScriptError(`line ${lineNo}: invalid labels ${JSON.stringify(text)}`);
      const labelName = m[1] ?? unquote(m[2]);
      if (m[3] === undefined) {
        if (m[1] !== undefined)
          throw new ScriptError(`line ${lineNo}: invalid labels ${JSON.stringify(text)}`);
        pairs.push({ name: METRIC_NAME, value: labelName });
      } else pairs.push({ name: labelName, value: unquote(m[3]) });
      pos = re.lastIndex;
    }
  }
  return labelsFromPairs(pairs);
}

const NUM =
  '(?:[0-9]+\\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\\.[0-9]+(?:[eE][+-]?[0-9]+)?|[iI][nN][fF]|[nN][aA][nN])';
const SINGLE = new RegExp(`^([+-]?${NUM})$`);
const REPEAT = new RegExp(`^([+-]?${NUM})x([0-9]+)$`);
const STEP = new RegExp(`^([+-]?${NUM})([+-]${NUM})x([0-9]+)$`);

function num(s: string): number {
  const t = s.replace(/^\+/, '');
  if (/^-?inf$/i.test(t)) return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[+-]?nan$/i.test(t)) return Number.NaN;
  return Number(t);
}

/** Expands a value sequence (`1 2 _ 3x2 0+10x5 stale {{...}}`). */
export function parseValues(text: string, lineNo: number): SequenceValue[] {
  const out: SequenceValue[] = [];
  const items: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) {
      i++;
      continue;
    }
    if (text.startsWith('{{', i)) {
      // A histogram item runs to its closing "}}" and may carry a repetition suffix.
      let j = text.indexOf('}}', i);
      if (j < 0) throw new ScriptError(`line ${lineNo}: unterminated histogram`);
      j += 2;
      while (text.startsWith('{{', j) || /[^\s]/.test(text[j] ?? ' ')) {
        if (text.startsWith('{{', j)) {
          const k = text.indexOf('}}', j);
          if (k < 0) throw new ScriptError(`line ${lineNo}: unterminated histogram`);
          j = k + 2;
        } else j++;
      }
      items.push(text.slice(i, j));
      i = j;
      continue;
    }
    let j = i;
    while (j < text.length && !/\s/.test(text[j])) j++;
    items.push(text.slice(i, j));
    i = j;
  }
  for (const item of items) {
    if (item.startsWith('{{')) {
      const m = /x(\d+)$/.exec(item);
      const times = m && item.endsWith(`}}x${m[1]}`) ? Number(m[1]) + 1 : 1;
      for (let k = 0; k < times; k++) out.push({ kind: 'histogram', text: item });
      continue;
    }
    if (item === '_') {
      out.push({ kind: 'omitted' });
      continue;
    }
    let m = /^_x([0-9]+)$/.exec(item);
    if (m) {
      for (let k = 0; k < Number(m[1]); k++) out.push({ kind: 'omitted' });
      continue;
    }
    if (item === 'stale') {
      out.push({ kind: 'float', value: STALE_NAN });
      continue;
    }
    m = SINGLE.exec(item);
    if (m) {
      out.push({ kind: 'float', value: num(m[1]) });
      continue;
    }
    m = REPEAT.exec(item);
    if (m) {
      const v = num(m[1]);
      for (let k = 0; k <= Number(m[2]); k++) out.push({ kind: 'float', value: v });
      continue;
    }
    m = STEP.exec(item);
    if (m) {
      let v = num(m[1]);
      const d = num(m[2]);
      for (let k = 0; k <= Number(m[3]); k++) {
        out.push({ kind: 'float', value: v });
        v += d;
      }
      continue;
    }
    throw new ScriptError(`line ${lineNo}: invalid value ${JSON.stringify(item)}`);
  }
  return out;
}
