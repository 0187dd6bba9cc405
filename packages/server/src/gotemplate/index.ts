/**
 * A Go text/template engine, shared by rule templates (Prometheus), notification templates
 * (Alertmanager) and LogQL's line_format/label_format.
 *
 * @example
 * import { compileTemplate, goFunc, stringMap } from '../gotemplate/index.ts';
 * const t = compileTemplate('{{ .Labels.job | toUpper }} is {{ printf "%.1f" .Value }}', {
 *   name: 'summary',
 *   missingKey: 'zero',
 *   funcs: { toUpper: goFunc(['string'], (s: string) => s.toUpperCase()) },
 * });
 * t.execute({ Labels: stringMap({ job: 'node' }), Value: 0.25 }); // 'NODE is 0.2'
 *
 * Data conventions (which JS values stand for which Go types) are in values.ts.
 */
export type { AnyNode, Node, Tree } from './ast.ts';
export { htmlEscape, isTrue, jsEscape, urlQueryEscape } from './builtins.ts';
export { TemplateError } from './errors.ts';
export type { MissingKey } from './exec.ts';
export { methodString, sprint, sprintf, sprintln } from './fmt.ts';
export type { CustomParamType, FuncMap, GoFunc, ParamType, TemplateFunc } from './funcs.ts';
export { FuncError, goFunc } from './funcs.ts';
export type { FloatFormat } from './strconv.ts';
export { formatFloat, quote } from './strconv.ts';
export type { TemplateOptions } from './template.ts';
export { compileTemplate, Template } from './template.ts';
export { GO_TYPE, GoMap, GoTime, goTypeName, stringMap } from './values.ts';
