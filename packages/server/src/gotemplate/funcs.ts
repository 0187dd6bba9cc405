/**
 * Template functions and their Go signatures. Go checks a call's arity and argument types
 * against the function's signature and converts literal arguments to the parameter types; a
 * GoFunc carries that signature so errors read like Go's (`wrong number of args for humanize:
 * want 1 got 2`, `wrong type for value; expected string; got int`).
 */

/** A parameter type of a template function. */
export type ParamType =
  /** interface{}: anything; a missing value arrives as null */
  | 'any'
  /** reflect.Value: anything; a missing value arrives as undefined */
  | 'value'
  | 'string'
  | 'int'
  | 'float64'
  | 'bool'
  | CustomParamType;

/** A parameter of a named Go type that JS data stands for, e.g. Prometheus's queryResult. */
export interface CustomParamType {
  readonly name: string;
  readonly accepts: (v: unknown) => boolean;
  /** Whether nil may be passed (pointers, slices, maps). */
  readonly nilable?: boolean;
}

/**
 * A function with a Go signature. Throwing from `fn` stops execution with
 * `error calling NAME: <message>`, as a Go function returning an error does.
 */
export interface GoFunc {
  readonly kind: 'gofunc';
  readonly params: readonly ParamType[];
  /** Element type of a trailing variadic parameter (`...T`). */
  readonly variadic?: ParamType;
  readonly fn: (...args: never[]) => unknown;
}

/**
 * A template function: a GoFunc, or a plain JS function, which is called like a variadic
 * `func(...interface{})`: any number of arguments, literals converted to their default types
 * (integers to bigint, others to number).
 */
// biome-ignore lint/suspicious/noExplicitAny: template functions take whatever the template passes
export type TemplateFunc = GoFunc | ((...args: any[]) => unknown);

/** A function map, as Go's template.FuncMap. */
export type FuncMap = Readonly<Record<string, TemplateFunc>>;

/**
 * Declares a template function with a Go signature.
 *
 * @example goFunc(['string'], (s: string) => s.toUpperCase())            // func(string) string
 * @example goFunc(['string'], (f: string, ...a: unknown[]) => ..., 'any')  // func(string, ...interface{})
 */
export function goFunc<A extends unknown[]>(
  params: readonly ParamType[],
  fn: (...args: A) => unknown,
  variadic?: ParamType,
): GoFunc {
  return { kind: 'gofunc', params, variadic, fn: fn as (...args: never[]) => unknown };
}

const PLAIN_SIGNATURE: Pick<GoFunc, 'params' | 'variadic'> = { params: [], variadic: 'any' };

/** The signature a function is checked against. */
export function signatureOf(f: TemplateFunc): Pick<GoFunc, 'params' | 'variadic'> {
  return typeof f === 'function' ? PLAIN_SIGNATURE : f;
}

/** The JS function to call. */
export function implementationOf(f: TemplateFunc): (...args: unknown[]) => unknown {
  return (typeof f === 'function' ? f : f.fn) as (...args: unknown[]) => unknown;
}

/** Go's name of a parameter type, for error messages. */
export function paramTypeName(t: ParamType): string {
  if (typeof t === 'object') return t.name;
  if (t === 'any') return 'interface {}';
  if (t === 'value') return 'reflect.Value';
  return t;
}

/** Whether a function name is a valid Go identifier (Go panics on others in Funcs). */
export function isGoodFuncName(name: string): boolean {
  return /^[\p{L}_][\p{L}\p{Nd}_]*$/u.test(name);
}

/** A failure inside a builtin; the executor reports it as `error calling NAME: message`. */
export class FuncError extends Error {}
