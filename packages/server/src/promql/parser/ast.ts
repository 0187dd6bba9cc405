/**
 * The PromQL syntax tree: plain, readonly data. Every node has a `kind`; visitors are
 * `Record<Kind, ...>` so that adding a node kind without handling it everywhere fails to compile.
 * Positions are UTF-16 offsets into the query text (messages convert them to Prometheus's
 * line:byte-column form).
 *
 * Times and durations are milliseconds. Node shapes follow Prometheus's promql/parser/ast.go so
 * its semantics carry over one to one.
 */
import type { Matcher } from '../../model/matcher.ts';
import { FUNCTIONS } from './functions.ts';

/** The type an expression evaluates to. */
export type ValueType = 'none' | 'scalar' | 'vector' | 'matrix' | 'string';

/** Half-open range [start, end) of the node in the query text. */
export interface PosRange {
  readonly start: number;
  readonly end: number;
}

/** Aggregation operators. */
export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'count_values'
  | 'quantile'
  | 'limitk'
  | 'limit_ratio';

/** Operators that compute a new value. */
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
/** Operators that filter (or return 0/1 with `bool`). */
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
/** Operators over sets of series. */
export type SetOp = 'and' | 'or' | 'unless';
/** `</` and `>/` trim native histogram buckets (experimental). */
export type TrimOp = '</' | '>/';
/** Every binary operator. */
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp | TrimOp;

/** How many series on each side may match (group_left is many-to-one). */
export type MatchCardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

/** How the two sides of a vector/vector binary operation are matched. */
export interface VectorMatching {
  readonly card: MatchCardinality;
  /** Labels from on(...) or ignoring(...). */
  readonly matchingLabels: readonly string[];
  /** True for on(...), false for ignoring(...) or no clause. */
  readonly on: boolean;
  /** Labels from group_left(...)/group_right(...), copied from the "one" side. */
  readonly include: readonly string[];
  /** fill/fill_left/fill_right values (experimental); undefined means no fill for that side. */
  readonly fillLeft?: number;
  readonly fillRight?: number;
}

/** `sum by (job) (x)`, `topk(3, x)`. */
export interface AggregateExpr {
  readonly kind: 'AggregateExpr';
  readonly op: AggregateOp;
  readonly expr: Expr;
  /** The parameter of topk, bottomk, quantile, count_values, limitk, limit_ratio. */
  readonly param: Expr | undefined;
  readonly grouping: readonly string[];
  readonly without: boolean;
  readonly pos: PosRange;
}

/** `a + on(job) b`, `a > bool 1`. */
export interface BinaryExpr {
  readonly kind: 'BinaryExpr';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  /** Set only when both sides are instant vectors. */
  readonly matching: VectorMatching | undefined;
  /** `bool` modifier: comparisons return 0/1 instead of filtering. */
  readonly returnBool: boolean;
  readonly pos: PosRange;
}

/** A function call; the signature is in FUNCTIONS. */
export interface Call {
  readonly kind: 'Call';
  readonly func: string;
  readonly args: readonly Expr[];
  readonly pos: PosRange;
}

/**
 * A duration expression (experimental): arithmetic, step(), range(), min_of(), max_of() inside
 * `[...]` or after `offset`. Binary ops have lhs and rhs; unary +/- have only rhs.
 */
export interface DurationExpr {
  readonly kind: 'DurationExpr';
  readonly op: '+' | '-' | '*' | '/' | '%' | '^' | 'step' | 'range' | 'min_of' | 'max_of';
  readonly lhs: Expr | undefined;
  readonly rhs: Expr | undefined;
  /** Written inside parentheses (kept for printing). */
  readonly wrapped: boolean;
  readonly pos: PosRange;
}

/** `x[5m]`: a range of raw samples per series. */
export interface MatrixSelector {
  readonly kind: 'MatrixSelector';
  readonly vectorSelector: VectorSelector;
  /** Range in milliseconds; 0 while `rangeExpr` is unresolved. */
  readonly range: number;
  readonly rangeExpr: DurationExpr | undefined;
  readonly pos: PosRange;
}

/** `expr[1h:5m]`: an instant expression evaluated at steps over a range. */
export interface SubqueryExpr {
  readonly kind: 'SubqueryExpr';
  readonly expr: Expr;
  readonly range: number;
  readonly rangeExpr: DurationExpr | undefined;
  /** Offset in milliseconds as written (may be negative). */
  readonly offset: number;
  readonly offsetExpr: DurationExpr | undefined;
  /** `@ <time>` in milliseconds. */
  readonly timestamp: number | undefined;
  readonly startOrEnd: 'start' | 'end' | undefined;
  /** Step in milliseconds; 0 means the engine's default subquery step. */
  readonly step: number;
  readonly stepExpr: DurationExpr | undefined;
  readonly pos: PosRange;
}

/** A number; durations like `5m` are numbers of seconds. */
export interface NumberLiteral {
  readonly kind: 'NumberLiteral';
  readonly value: number;
  /** Written as a duration (`5m`); the value is then seconds. Printed back as a duration. */
  readonly duration: boolean;
  readonly pos: PosRange;
}

/** Parentheses, kept so that printing preserves them. */
export interface ParenExpr {
  readonly kind: 'ParenExpr';
  readonly expr: Expr;
  readonly pos: PosRange;
}

/** A string, unquoted. */
export interface StringLiteral {
  readonly kind: 'StringLiteral';
  readonly value: string;
  readonly pos: PosRange;
}

/** `-x` (a unary minus on a literal is folded into the literal). */
export interface UnaryExpr {
  readonly kind: 'UnaryExpr';
  readonly op: '+' | '-';
  readonly expr: Expr;
  readonly pos: PosRange;
}

/** `name{label="value"}`: the newest sample per series within the lookback window. */
export interface VectorSelector {
  readonly kind: 'VectorSelector';
  /** The metric name written before the braces, or ''. */
  readonly name: string;
  /** All matchers, including `__name__="<name>"` for a name written before the braces. */
  readonly matchers: readonly Matcher[];
  /** Offset in milliseconds as written (may be negative). */
  readonly offset: number;
  readonly offsetExpr: DurationExpr | undefined;
  /** `@ <time>` in milliseconds. */
  readonly timestamp: number | undefined;
  readonly startOrEnd: 'start' | 'end' | undefined;
  /** `anchored` / `smoothed` range-selector modifiers (experimental). */
  readonly anchored: boolean;
  readonly smoothed: boolean;
  /** The second argument of info() may match only empty values. */
  readonly bypassEmptyMatcherCheck: boolean;
  readonly pos: PosRange;
}

/**
 * Marks a subtree whose value does not depend on the evaluation step (it uses `@`). Only the
 * engine's preprocessing creates it; the parser never does.
 */
export interface StepInvariantExpr {
  readonly kind: 'StepInvariantExpr';
  readonly expr: Expr;
  readonly pos: PosRange;
}

/** Any PromQL expression. */
export type Expr =
  | AggregateExpr
  | BinaryExpr
  | Call
  | DurationExpr
  | MatrixSelector
  | NumberLiteral
  | ParenExpr
  | StepInvariantExpr
  | StringLiteral
  | SubqueryExpr
  | UnaryExpr
  | VectorSelector;

/** The `kind` tags of Expr. */
export type ExprKind = Expr['kind'];

/** Picks the node type for a kind. */
export type NodeOfKind<K extends ExprKind> = Extract<Expr, { kind: K }>;

/** An exhaustive visitor: one handler per node kind. */
export type Visitor<R> = { readonly [K in ExprKind]: (node: NodeOfKind<K>) => R };

/** Dispatches `node` to the handler for its kind. */
export function visit<R>(node: Expr, visitor: Visitor<R>): R {
  return (visitor[node.kind] as (n: Expr) => R)(node);
}

const CHILDREN: Visitor<readonly Expr[]> = {
  AggregateExpr: (n) => (n.param ? [n.expr, n.param] : [n.expr]),
  BinaryExpr: (n) => [n.lhs, n.rhs],
  Call: (n) => n.args,
  DurationExpr: () => [],
  MatrixSelector: (n) => [n.vectorSelector],
  NumberLiteral: () => [],
  ParenExpr: (n) => [n.expr],
  StepInvariantExpr: (n) => [n.expr],
  StringLiteral: () => [],
  SubqueryExpr: (n) => [n.expr],
  UnaryExpr: (n) => [n.expr],
  VectorSelector: () => [],
};

/** The child expressions of a node, in source order (duration expressions are not children). */
export function children(node: Expr): readonly Expr[] {
  return visit(node, CHILDREN);
}

/**
 * Walks the tree depth-first in source order. `path` holds the ancestors of `node`, root first;
 * it is reused between calls, so copy it to keep it. Return false to skip a node's children.
 */
export function inspect(root: Expr, fn: (node: Expr, path: readonly Expr[]) => boolean | undefined): void {
  const path: Expr[] = [];
  const rec = (node: Expr) => {
    if (fn(node, path) === false) return;
    path.push(node);
    for (const c of children(node)) rec(c);
    path.pop();
  };
  rec(root);
}

/** The type an expression evaluates to (Prometheus's Expr.Type()). */
export function exprType(node: Expr): ValueType {
  switch (node.kind) {
    case 'AggregateExpr':
      return 'vector';
    case 'BinaryExpr':
      return exprType(node.lhs) === 'scalar' && exprType(node.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'Call':
      return functionReturnType(node.func);
    case 'DurationExpr':
      return 'scalar';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'NumberLiteral':
      return 'scalar';
    case 'ParenExpr':
    case 'StepInvariantExpr':
    case 'UnaryExpr':
      return exprType(node.expr);
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
      return 'vector';
  }
}

function functionReturnType(name: string): ValueType {
  return FUNCTIONS.get(name)?.returnType ?? 'none';
}

/** Prometheus's DocumentedType: how types are named in error messages. */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

/** True for ==, !=, >, <, >=, <=. */
export function isComparisonOp(op: BinaryOp): op is ComparisonOp {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

/** True for and, or, unless. */
export function isSetOp(op: BinaryOp): op is SetOp {
  return op === 'and' || op === 'or' || op === 'unless';
}

/** Aggregations that take a parameter before the vector. */
export function aggregateHasParam(op: AggregateOp): boolean {
  return (
    op === 'topk' ||
    op === 'bottomk' ||
    op === 'count_values' ||
    op === 'quantile' ||
    op === 'limitk' ||
    op === 'limit_ratio'
  );
}
