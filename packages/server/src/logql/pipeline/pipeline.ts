/**
 * Compiles a LogQL pipeline (the stages after a stream selector) into functions run on each line,
 * with Loki's semantics: parsers add labels (renamed `x_extracted` when the stream or metadata
 * already has `x`), label filters drop lines, formats rewrite the line or labels, and a stage that
 * fails sets `__error__` instead of dropping the line.
 *
 * Line filters that test the original line (every one before the first line_format or
 * decolorize) are handed to storage as pushdowns when asked, so storage never returns lines they
 * reject; the rest run here.
 */
import type { LineFilterPushdown } from '../../storage/logs/interface.ts';
import type { CompareOp, LabelFilter, LineFilter, ParserStage, Stage } from '../ast.ts';
import { LogQLParseError } from '../errors.ts';
import { parseBytes, parseGoDuration } from '../units.ts';
import { flattenJson, parseJsonObject, parseJsonPath, sanitizeKey, valueAtPath } from './json.ts';
import { ERR_JSON, ERR_LABEL_FILTER, ERR_LOGFMT, ERR_TEMPLATE, type LabelsBuilder } from './labels.ts';
import { parseLogfmt } from './logfmt.ts';
import { Pattern } from './pattern.ts';
import { compileGoRegex } from './regex.ts';
import { compileLineTemplate, TemplateFormatError } from './template.ts';

/** One line as it moves through the stages; stages may replace `line`. */
export interface LineState {
  line: string;
  readonly timestampNs: bigint;
  readonly lbs: LabelsBuilder;
}

/** A compiled stage: false drops the line. */
export type StageFn = (s: LineState) => boolean;

export interface CompiledPipeline {
  /** Filters storage applies while scanning (empty unless pushdown was asked for). */
  readonly pushdown: readonly LineFilterPushdown[];
  /** What runs here, in order. */
  readonly stages: readonly StageFn[];
  /** False when no stage looks at anything but the line: metadata need not be fetched for filtering. */
  readonly usesLabels: boolean;
  /** False when nothing here reads the line (metric queries can then skip fetching bodies). */
  readonly usesLine: boolean;
}

/** Compiles stages; throws LogQLParseError for invalid regexes, patterns or templates. */
export function compilePipeline(stages: readonly Stage[], options: { pushdown: boolean }): CompiledPipeline {
  const pushdown: LineFilterPushdown[] = [];
  const fns: StageFn[] = [];
  let lineChanged = false;
  let usesLabels = false;
  let usesLine = false;
  for (const stage of stages) {
    switch (stage.kind) {
      case 'LineFilter': {
        const pushed = options.pushdown && !lineChanged ? toPushdown(stage.filter) : undefined;
        if (pushed) pushdown.push(...pushed);
        else {
          fns.push(lineFilter(stage.filter));
          usesLine = true;
        }
        break;
      }
      case 'Parser':
        fns.push(parserStage(stage));
        usesLine = true;
        usesLabels = true;
        break;
      case 'LabelFilter': {
        const f = labelFilter(stage.filter);
        fns.push((s) => f(s.lbs));
        usesLabels = true;
        break;
      }
      case 'LineFormat': {
        const t = compileLineTemplate(stage.template, 'line_format');
        fns.push((s) => {
          try {
            s.line = t.render(s.lbs.record(), s.line, s.timestampNs);
          } catch (err) {
            if (!(err instanceof TemplateFormatError)) throw err;
            s.lbs.setErr(ERR_TEMPLATE, err.message);
          }
          return true;
        });
        lineChanged = true;
        usesLine = true;
        usesLabels = true;
        break;
      }
      case 'LabelFormat': {
        const formats = stage.formats.map((f) =>
          f.kind === 'Rename'
            ? { dst: f.dst, src: f.src, template: undefined }
            : { dst: f.dst, src: undefined, template: compileLineTemplate(f.template, 'label_format') },
        );
        fns.push((s) => {
          const data = formats.some((f) => f.template) ? s.lbs.record() : undefined;
          for (const f of formats) {
            if (f.src !== undefined) {
              const v = s.lbs.get(f.src);
              if (v === undefined) continue;
              s.lbs.del(f.src);
              s.lbs.set(f.dst, v);
              continue;
            }
            try {
              s.lbs.set(f.dst, f.template!.render(data!, s.line, s.timestampNs));
            } catch (err) {
              if (!(err instanceof TemplateFormatError)) throw err;
              s.lbs.setErr(ERR_TEMPLATE, err.message);
            }
          }
          return true;
        });
        usesLabels = true;
        usesLine = true;
        break;
      }
      case 'Decolorize':
        fns.push((s) => {
          s.line = s.line.replace(ANSI, '');
          return true;
        });
        lineChanged = true;
        usesLine = true;
        break;
      case 'Drop':
        fns.push((s) => {
          for (const n of stage.labels) {
            if (!n.matcher) s.lbs.del(n.name);
            else {
              const v = s.lbs.get(n.name);
              if (v !== undefined && n.matcher.matches(v)) s.lbs.del(n.name);
            }
          }
          return true;
        });
        usesLabels = true;
        break;
      case 'Keep':
        fns.push((s) => {
          const keep = new Set<string>();
          for (const n of stage.labels) {
            const v = s.lbs.get(n.name);
            if (v !== undefined && (!n.matcher || n.matcher.matches(v))) keep.add(n.name);
          }
          for (const name of s.lbs.names()) if (!keep.has(name)) s.lbs.del(name);
          return true;
        });
        usesLabels = true;
        break;
    }
  }
  return { pushdown, stages: fns, usesLabels, usesLine };
}

// ANSI escape sequences (colors, cursor movement), as Loki's decolorize removes them.
const ANSI =
  /[\u001b\u009b][[\]()#;?]*(?:(?:(?:[a-zA-Z\d]*(?:;[a-zA-Z\d]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PRZcf-ntqry=><~]))/g;

/** The pushdown form of a line filter, or undefined when it has to run here (patterns). */
function toPushdown(f: LineFilter): LineFilterPushdown[] | undefined {
  const values = [f.value, ...f.or];
  switch (f.op) {
    case '|=':
      return values.length === 1
        ? [{ kind: 'contains', text: f.value, negate: false }]
        : [{ kind: 'or', any: values.map((text) => ({ kind: 'contains', text, negate: false })) }];
    case '!=':
      return values.map((text) => ({ kind: 'contains', text, negate: true }));
    case '|~':
      for (const v of values) compileGoRegex(v);
      return values.length === 1
        ? [{ kind: 'regex', pattern: f.value, negate: false }]
        : [{ kind: 'or', any: values.map((pattern) => ({ kind: 'regex', pattern, negate: false })) }];
    case '!~':
      for (const v of values) compileGoRegex(v);
      return values.map((pattern) => ({ kind: 'regex', pattern, negate: true }));
    default:
      return undefined;
  }
}

/** A line filter run here. */
export function lineFilter(f: LineFilter): StageFn {
  const values = [f.value, ...f.or];
  let test: (line: string) => boolean;
  switch (f.op) {
    case '|=':
    case '!=':
      test = values.length === 1 ? (l) => l.includes(f.value) : (l) => values.some((v) => l.includes(v));
      break;
    case '|~':
    case '!~': {
      const res = values.map(compileGoRegex);
      test = res.length === 1 ? (l) => res[0].test(l) : (l) => res.some((r) => r.test(l));
      break;
    }
    case '|>':
    case '!>': {
      const ps = values.map((v) => Pattern.forLineFilter(v));
      test = (l) => ps.some((p) => p.test(l));
      break;
    }
  }
  const negate = f.op[0] === '!';
  return negate ? (s) => !test(s.line) : (s) => test(s.line);
}

/** A label filter as a predicate over a line's labels. */
export function labelFilter(f: LabelFilter): (lbs: LabelsBuilder) => boolean {
  switch (f.kind) {
    case 'String': {
      const m = f.matcher;
      return (lbs) => m.matches(lbs.get(m.name) ?? '');
    }
    case 'Number':
      return valueFilter(f.name, f.op, f.value, parseStrictFloat, 'number');
    case 'Duration':
      return valueFilter(
        f.name,
        f.op,
        f.value,
        (s) => {
          const ns = parseGoDuration(s);
          return ns === undefined ? undefined : ns / 1e9;
        },
        'duration',
      );
    case 'Bytes':
      return valueFilter(f.name, f.op, f.value, parseBytes, 'bytes');
    case 'And': {
      const l = labelFilter(f.left);
      const r = labelFilter(f.right);
      return (lbs) => l(lbs) && r(lbs);
    }
    case 'Or': {
      const l = labelFilter(f.left);
      const r = labelFilter(f.right);
      return (lbs) => l(lbs) || r(lbs);
    }
  }
}

/**
 * A numeric, duration or bytes comparison. A line that already has an error passes (so that
 * `__error__` can be looked at later); a missing label drops the line; a value that does not
 * convert sets LabelFilterErr and keeps it.
 */
function valueFilter(
  name: string,
  op: CompareOp,
  want: number,
  convert: (s: string) => number | undefined,
  what: string,
): (lbs: LabelsBuilder) => boolean {
  const cmp = comparator(op);
  return (lbs) => {
    if (lbs.hasErr()) return true;
    const raw = lbs.get(name);
    if (raw === undefined) return false;
    const v = convert(raw);
    if (v === undefined) {
      lbs.setErr(
        ERR_LABEL_FILTER,
        `cannot convert the value of label ${name} (${JSON.stringify(raw)}) to a ${what}`,
      );
      return true;
    }
    return cmp(v, want);
  };
}

function comparator(op: CompareOp): (a: number, b: number) => boolean {
  switch (op) {
    case '==':
      return (a, b) => a === b;
    case '!=':
      return (a, b) => a !== b;
    case '>':
      return (a, b) => a > b;
    case '>=':
      return (a, b) => a >= b;
    case '<':
      return (a, b) => a < b;
    case '<=':
      return (a, b) => a <= b;
  }
}

const FLOAT = /^[+-]?(?:(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F_]+|[Ii]nf(?:inity)?|NaN)$/;

/** Go's strconv.ParseFloat: the whole text must be a number. */
export function parseStrictFloat(s: string): number | undefined {
  const t = s.trim() === s ? s : undefined;
  if (t === undefined || !FLOAT.test(t)) return undefined;
  if (/inf/i.test(t)) return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const n = Number(t.replaceAll('_', ''));
  return Number.isNaN(n) && t !== 'NaN' ? undefined : n;
}

/** Sets a parsed label, renamed `name_extracted` when stream labels or metadata already have it. */
function setParsed(s: LineState, name: string, value: string): void {
  const key = s.lbs.baseHas(name) || s.lbs.metadataHas(name) ? `${name}_extracted` : name;
  s.lbs.set(key, value);
}

function parserStage(stage: ParserStage): StageFn {
  switch (stage.parser) {
    case 'json': {
      if (stage.extractions) {
        const paths = stage.extractions.map((e) => {
          const path = parseJsonPath(e.expression);
          if (!path) throw new LogQLParseError(`cannot parse expression [${e.expression}]: syntax error`);
          return { label: e.label, path };
        });
        return (s) => {
          const { value, error } = parseJsonObject(s.line);
          if (!value) {
            s.lbs.setErr(ERR_JSON, error ?? 'not a JSON object');
            return true;
          }
          for (const p of paths) setParsed(s, p.label, valueAtPath(value, p.path) ?? '');
          return true;
        };
      }
      return (s) => {
        const { value, error } = parseJsonObject(s.line);
        if (!value) {
          s.lbs.setErr(ERR_JSON, error ?? 'not a JSON object');
          return true;
        }
        flattenJson(value, (key, v) => setParsed(s, key, v));
        return true;
      };
    }
    case 'logfmt': {
      const strict = stage.strict ?? false;
      const keepEmpty = stage.keepEmpty ?? false;
      const wanted = stage.extractions
        ? new Map(stage.extractions.map((e) => [e.expression, e.label]))
        : undefined;
      return (s) => {
        const { pairs, error } = parseLogfmt(s.line, strict);
        for (const p of pairs) {
          let key: string;
          if (wanted) {
            const label = wanted.get(p.key);
            if (label === undefined) continue;
            key = label;
          } else {
            key = sanitizeKey(p.key, true);
            if (key === '') continue;
          }
          if (!keepEmpty && p.value === '' && !wanted) continue;
          setParsed(s, key, p.value);
        }
        if (strict && error) s.lbs.setErr(ERR_LOGFMT, error);
        return true;
      };
    }
    case 'regexp': {
      const re = compileGoRegex(stage.param!);
      if (re.names.length === 0) throw new LogQLParseError('at least one named capture must be supplied');
      const seen = new Set<string>();
      for (const n of re.names) {
        if (seen.has(n)) throw new LogQLParseError(`duplicate extracted label name '${n}'`);
        seen.add(n);
      }
      return (s) => {
        const groups = re.groups(s.line);
        if (groups) for (const [name, v] of groups) setParsed(s, sanitizeKey(name, true), v);
        return true;
      };
    }
    case 'pattern': {
      const p = Pattern.forParser(stage.param!);
      return (s) => {
        const found = p.matches(s.line);
        for (let i = 0; i < found.length; i++) setParsed(s, p.names[i], found[i]);
        return true;
      };
    }
    case 'unpack':
      return (s) => {
        const { value, error } = parseJsonObject(s.line);
        if (!value) {
          s.lbs.setErr(ERR_JSON, error ?? 'not a JSON object');
          return true;
        }
        let entry: string | undefined;
        for (const [k, v] of Object.entries(value)) {
          if (typeof v !== 'string') continue;
          if (k === '_entry') entry = v;
          else {
            const key = sanitizeKey(k, true);
            if (key !== '') setParsed(s, key, v);
          }
        }
        if (entry !== undefined) s.line = entry;
        return true;
      };
  }
}
