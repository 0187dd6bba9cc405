/** TraceQL: parse (parser.ts), evaluate on one trace (evaluate.ts), storage hints (hints.ts). */
export type {
  AttributeNode,
  FieldExpr,
  IntrinsicNode,
  Query,
  SpansetExpr,
} from './ast.ts';
export { TraceQLError, TraceQLParseError } from './errors.ts';
export type { Spanset } from './evaluate.ts';
export { displayValue, evalField, evaluate, TraceView } from './evaluate.ts';
export type { SpanHints } from './hints.ts';
export { hintsFor } from './hints.ts';
export { parseDurationNs } from './lexer.ts';
export { parseTraceQL } from './parser.ts';
