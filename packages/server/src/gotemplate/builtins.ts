/**
 * text/template's predefined functions: and or not len index slice print printf println eq ne
 * lt le gt ge html js urlquery call. `and`, `or` and `call` are evaluated by the executor itself
 * (short-circuiting, callee names); their entries here give their signatures.
 */
import { sprint, sprintf, sprintln } from './fmt.ts';
import { FuncError, type GoFunc, goFunc } from './funcs.ts';
import { compareUtf8, goTypeName, isGoMap, isStruct } from './values.ts';

/** Go's truth of a value (template.IsTrue); `ok` is false for values with no truth. */
export function isTrue(v: unknown): { truth: boolean; ok: boolean } {
  switch (typeof v) {
    case 'undefined':
      return { truth: false, ok: true };
    case 'string':
      return { truth: v.length > 0, ok: true };
    case 'boolean':
      return { truth: v, ok: true };
    case 'number':
      return { truth: v !== 0, ok: true };
    case 'bigint':
      return { truth: v !== 0n, ok: true };
    case 'function':
      return { truth: true, ok: true };
  }
  if (v === null) return { truth: false, ok: true };
  if (Array.isArray(v)) return { truth: v.length > 0, ok: true };
  if (v instanceof Map) return { truth: v.size > 0, ok: true };
  return { truth: true, ok: true }; // structs, times: always true
}

/** truth() of Go's funcs.go. */
export function truth(v: unknown): boolean {
  return isTrue(v).truth;
}

const utf8 = new TextEncoder();

function byteLength(s: string): number {
  return utf8.encode(s).length;
}

function indexArg(index: unknown, cap: number): number {
  if (index === undefined || index === null) throw new FuncError('cannot index slice/array with nil');
  if (typeof index !== 'bigint')
    throw new FuncError(`cannot index slice/array with type ${goTypeName(index)}`);
  if (index < 0n || index > BigInt(cap)) throw new FuncError(`index out of range: ${index}`);
  return Number(index);
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new FuncError('index of untyped nil');
  let cur: unknown = item;
  for (const ix of indexes) {
    if (cur === null || cur === undefined) throw new FuncError('index of nil pointer');
    if (typeof cur === 'string') {
      const bytes = utf8.encode(cur);
      const x = indexArg(ix, bytes.length);
      if (x === bytes.length) throw new FuncError('reflect: string index out of range');
      cur = BigInt(bytes[x]);
    } else if (Array.isArray(cur)) {
      const x = indexArg(ix, cur.length);
      if (x === cur.length) throw new FuncError('reflect: slice index out of range');
      cur = cur[x] === undefined ? null : cur[x];
    } else if (isGoMap(cur)) {
      // Template maps are keyed by strings (map[string]T).
      if (ix === undefined || ix === null) throw new FuncError('value is nil; should be of type string');
      if (typeof ix !== 'string') throw new FuncError(`value has type ${goTypeName(ix)}; should be string`);
      if (cur.has(ix)) {
        const v = cur.get(ix);
        cur = v === undefined ? null : v;
      } else cur = 'zero' in cur ? (cur as { zero: unknown }).zero : null;
    } else throw new FuncError(`can't index item of type ${goTypeName(cur)}`);
  }
  return cur;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new FuncError('slice of untyped nil');
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
    len = byteLength(item);
  } else if (Array.isArray(item)) len = item.length;
  else throw new FuncError(`can't slice item of type ${goTypeName(item)}`);
  const idx = [0, len, len];
  indexes.forEach((ix, i) => {
    idx[i] = indexArg(ix, len);
  });
  if (idx[0] > idx[1]) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1] > idx[2])
    throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (typeof item === 'string') {
    return new TextDecoder().decode(utf8.encode(item).subarray(idx[0], idx[1]));
  }
  return item.slice(idx[0], idx[1]);
}

function length(item: unknown): bigint {
  if (item === null) throw new FuncError('len of nil pointer');
  if (typeof item === 'string') return BigInt(byteLength(item));
  if (Array.isArray(item)) return BigInt(item.length);
  if (item instanceof Map) return BigInt(item.size);
  throw new FuncError(`len of type ${goTypeName(item)}`);
}

type Kind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

function basicKind(v: unknown): Kind {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
  }
  return 'invalid';
}

function isValid(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function eq(arg1: unknown, ...arg2: unknown[]): boolean {
  if (arg2.length === 0) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of arg2) {
    const k2 = basicKind(arg);
    let t = false;
    if (k1 !== k2) {
      if (isValid(arg1) && isValid(arg))
        throw new FuncError(`incompatible types for comparison: ${goTypeName(arg1)} and ${goTypeName(arg)}`);
    } else if (k1 !== 'invalid') t = arg1 === arg;
    else {
      const nil1 = !isValid(arg1);
      const nil2 = !isValid(arg);
      if (nil1 || nil2) t = nil1 === nil2;
      else {
        if (Array.isArray(arg) || arg instanceof Map || typeof arg === 'function')
          throw new FuncError(`non-comparable type ${sprint([arg])}: ${goTypeName(arg)}`);
        t = arg1 === arg || (isStruct(arg1) && isStruct(arg) && sprint([arg1]) === sprint([arg]));
      }
    }
    if (t) return true;
  }
  return false;
}

function lt(arg1: unknown, arg2: unknown): boolean {
  const k1 = basicKind(arg1);
  if (k1 === 'invalid') throw new FuncError('invalid type for comparison');
  const k2 = basicKind(arg2);
  if (k2 === 'invalid') throw new FuncError('invalid type for comparison');
  if (k1 !== k2)
    throw new FuncError(`incompatible types for comparison: ${goTypeName(arg1)} and ${goTypeName(arg2)}`);
  if (k1 === 'bool') throw new FuncError('invalid type for comparison');
  if (k1 === 'string') return compareUtf8(arg1 as string, arg2 as string) < 0;
  return (arg1 as number) < (arg2 as number);
}

function le(a: unknown, b: unknown): boolean {
  return lt(a, b) || eq(a, b);
}

/** Go's template.HTMLEscapeString. */
export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => {
    switch (c) {
      case '\0':
        return '\ufffd';
      case '"':
        return '&#34;';
      case "'":
        return '&#39;';
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      default:
        return '&gt;';
    }
  });
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's template.JSEscapeString. */
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (cp < 0x20) out += '\\u00' + cp.toString(16).toUpperCase().padStart(2, '0');
    else if (cp < 0x80 || PRINTABLE.test(ch)) out += ch;
    else out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** Go's url.QueryEscape. */
export function urlQueryEscape(s: string): string {
  let out = '';
  for (const b of utf8.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** fmt.Sprint of the arguments, as the escapers take them (a nil prints as <no value>). */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === null || a === undefined ? '<no value>' : a)));
}

/** The predefined functions, by name. */
export const BUILTINS: ReadonlyMap<string, GoFunc> = new Map<string, GoFunc>([
  // and/or/call: evaluated by the executor; these carry their signatures.
  ['and', goFunc(['value'], () => undefined, 'value')],
  ['or', goFunc(['value'], () => undefined, 'value')],
  ['call', goFunc(['value'], () => undefined, 'value')],
  ['html', goFunc([], (...a: unknown[]) => htmlEscape(evalArgs(a)), 'any')],
  ['index', goFunc(['value'], index, 'value')],
  ['slice', goFunc(['value'], slice, 'value')],
  ['js', goFunc([], (...a: unknown[]) => jsEscape(evalArgs(a)), 'any')],
  ['len', goFunc(['value'], length)],
  ['not', goFunc(['value'], (v: unknown) => !truth(v))],
  ['print', goFunc([], (...a: unknown[]) => sprint(a), 'any')],
  ['printf', goFunc(['string'], (f: string, ...a: unknown[]) => sprintf(f, a), 'any')],
  ['println', goFunc([], (...a: unknown[]) => sprintln(a), 'any')],
  ['urlquery', goFunc([], (...a: unknown[]) => urlQueryEscape(evalArgs(a)), 'any')],
  ['eq', goFunc(['value'], eq, 'value')],
  ['ge', goFunc(['value', 'value'], (a: unknown, b: unknown) => !lt(a, b))],
  ['gt', goFunc(['value', 'value'], (a: unknown, b: unknown) => !le(a, b))],
  ['le', goFunc(['value', 'value'], le)],
  ['lt', goFunc(['value', 'value'], lt)],
  ['ne', goFunc(['value', 'value'], (a: unknown, b: unknown) => !eq(a, b))],
]);
