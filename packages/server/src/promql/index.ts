// Public surface of the PromQL package: parser (AST, printer, checks) and engine.

export type { EngineOptions, Queryable, QueryableHints, QueryOptions, QueryResult } from './engine/engine.ts';
export { Engine } from './engine/engine.ts';
export type { QueryErrorType } from './engine/errors.ts';
export { QueryError } from './engine/errors.ts';
export type { QueryValue, ResultSample, ResultSeries } from './engine/values.ts';
export type {
  AggregateExpr,
  AggregateOp,
  BinaryExpr,
  BinaryOp,
  Call,
  DurationExpr,
  Expr,
  ExprKind,
  MatrixSelector,
  NumberLiteral,
  ParenExpr,
  PosRange,
  StepInvariantExpr,
  StringLiteral,
  SubqueryExpr,
  UnaryExpr,
  ValueType,
  VectorMatching,
  VectorSelector,
  Visitor,
} from './parser/ast.ts';
export { children, documentedType, exprType, inspect, visit } from './parser/ast.ts';
export { ParseError } from './parser/errors.ts';
export type { FunctionSignature } from './parser/functions.ts';
export { FUNCTIONS } from './parser/functions.ts';
export { quote, UnquoteError, unquote } from './parser/go-strings.ts';
export type { ParseOptions } from './parser/parser.ts';
export { parseExpr, parseMetricSelector } from './parser/parser.ts';
export { prettifyExpr } from './parser/prettier.ts';
export { formatExpr } from './parser/printer.ts';
export { parseSeriesSelector } from './selector.ts';
