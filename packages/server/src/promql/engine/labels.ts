/**
 * label_replace() and label_join(): they rewrite series labels rather than sample values, so the
 * evaluator runs them over the whole argument matrix at once.
 */
import { RE2JS } from 're2js';
import { isValidUtf8Name, METRIC_NAME } from '../../model/labels.ts';
import type { Expr } from '../parser/ast.ts';
import { EvaluationError } from './errors.ts';
import { type Evaluator, mergeSeriesWithSameLabelset } from './evaluator.ts';
import { labelValue, type Matrix, setLabel } from './values.ts';

function stringArg(e: Expr): string {
  return e.kind === 'StringLiteral' ? e.value : '';
}

/** label_replace(v, dst, replacement, src, regex). */
export async function evalLabelReplace(ev: Evaluator, args: readonly Expr[]): Promise<Matrix> {
  const dst = stringArg(args[1]);
  const repl = stringArg(args[2]);
  const src = stringArg(args[3]);
  const regexText = stringArg(args[4]);
  let re: RE2JS;
  try {
    re = RE2JS.compile(`^(?s:${regexText})$`);
  } catch {
    throw new EvaluationError(`invalid regular expression in label_replace(): ${regexText}`);
  }
  if (!isValidUtf8Name(dst))
    throw new EvaluationError(`invalid destination label name in label_replace(): ${dst}`);
  const matrix = await ev.evalMatrix(args[0]);
  const cache = new Map<string, string | null>();
  for (const s of matrix) {
    const value = labelValue(s.metric, src);
    let res = cache.get(value);
    if (res === undefined) {
      res = expandMatch(re, value, repl);
      cache.set(value, res);
    }
    if (res === null) continue;
    s.metric = setLabel(s.metric, dst, res);
    if (dst === METRIC_NAME) s.dropName = false;
  }
  return mergeSeriesWithSameLabelset(matrix);
}

/** The replacement for `input` when `re` matches it, else null (Go's regexp Expand rules). */
function expandMatch(re: RE2JS, input: string, template: string): string | null {
  const m = re.matcher(input);
  if (!m.find()) return null;
  const groupCount = m.groupCount();
  const named = re.namedGroups() as Record<string, number>;
  const group = (i: number): string => (i <= groupCount ? (m.group(i) ?? '') : '');
  let out = '';
  let rest = template;
  for (;;) {
    const at = rest.indexOf('$');
    if (at < 0) break;
    out += rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ex = extractName(rest);
    if (!ex) {
      out += '$';
      continue;
    }
    rest = ex.rest;
    if (/^\d+$/.test(ex.name)) {
      const num = ex.name.length > 8 ? -1 : Number(ex.name);
      if (num >= 0) out += group(num);
    } else if (named[ex.name] !== undefined) {
      out += group(named[ex.name]);
    }
  }
  return out + rest;
}

function extractName(s: string): { name: string; rest: string } | undefined {
  if (s.length === 0) return undefined;
  let brace = false;
  let t = s;
  if (t[0] === '{') {
    brace = true;
    t = t.slice(1);
  }
  let i = 0;
  while (i < t.length && /[A-Za-z0-9_]/.test(t[i])) i++;
  if (i === 0) return undefined;
  const name = t.slice(0, i);
  if (brace) {
    if (t[i] !== '}') return undefined;
    i++;
  }
  return { name, rest: t.slice(i) };
}

/** label_join(v, dst, separator, src...). */
export async function evalLabelJoin(ev: Evaluator, args: readonly Expr[]): Promise<Matrix> {
  const dst = stringArg(args[1]);
  const sep = stringArg(args[2]);
  const srcLabels: string[] = [];
  for (let i = 3; i < args.length; i++) {
    const src = stringArg(args[i]);
    if (!isValidUtf8Name(src)) throw new EvaluationError(`invalid source label name in label_join(): ${src}`);
    srcLabels.push(src);
  }
  if (!isValidUtf8Name(dst))
    throw new EvaluationError(`invalid destination label name in label_join(): ${dst}`);
  const matrix = await ev.evalMatrix(args[0]);
  for (const s of matrix) {
    const joined = srcLabels.map((l) => labelValue(s.metric, l)).join(sep);
    s.metric = setLabel(s.metric, dst, joined);
    if (dst === METRIC_NAME) s.dropName = false;
  }
  return mergeSeriesWithSameLabelset(matrix);
}
