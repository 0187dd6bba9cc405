/**
 * The TraceQL syntax tree: plain, readonly data with a `kind` on every node, built by parser.ts
 * and read by evaluate.ts. The shape follows Tempo's grammar (pkg/traceql/expr.y): a query is a
 * spanset expression (filters joined by spanset operators) or a pipeline of stages, and pipelines
 * in parentheses can themselves be joined by spanset operators.
 */

/** Where a span-level attribute is looked up; `none` is an unscoped `.name` (span, then resource ...). */
export type AttributeScope = 'none' | 'span' | 'resource' | 'event' | 'link' | 'instrumentation';

/** Fields every span (or its trace) has, in their scoped spelling (`span:name`, `trace:duration` ...). */
export type Intrinsic =
  | 'name'
  | 'status'
  | 'statusMessage'
  | 'kind'
  | 'duration'
  | 'childCount'
  | 'spanID'
  | 'parentID'
  | 'traceDuration'
  | 'rootName'
  | 'rootServiceName'
  | 'traceID'
  | 'eventName'
  | 'eventTimeSinceStart'
  | 'linkTraceID'
  | 'linkSpanID'
  | 'instrumentationName'
  | 'instrumentationVersion';

export interface AttributeNode {
  readonly kind: 'attribute';
  readonly scope: AttributeScope;
  readonly name: string;
  /** How the query spelled it (for messages and for naming selected values). */
  readonly text: string;
}

export interface IntrinsicNode {
  readonly kind: 'intrinsic';
  readonly intrinsic: Intrinsic;
  readonly text: string;
}

/** Status and kind literals, kept apart from strings: `status = error`, `kind = server`. */
export type StaticValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  /** Nanoseconds. */
  | { readonly type: 'duration'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  | { readonly type: 'status'; readonly value: number }
  /** OTLP span kind: 0 unspecified ... 5 consumer. */
  | { readonly type: 'kind'; readonly value: number }
  | { readonly type: 'nil'; readonly value: null };

export interface StaticNode {
  readonly kind: 'static';
  readonly value: StaticValue;
}

export type BinaryOp =
  | '='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<='
  | '=~'
  | '!~'
  | '&&'
  | '||'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^';

export interface BinaryNode {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly lhs: FieldExpr;
  readonly rhs: FieldExpr;
}

export interface UnaryNode {
  readonly kind: 'unary';
  readonly op: '!' | '-';
  readonly operand: FieldExpr;
}

/** An expression evaluated on one span, inside `{ }` or as an aggregate's argument. */
export type FieldExpr = AttributeNode | IntrinsicNode | StaticNode | BinaryNode | UnaryNode;

/** `{ expr }`: the spans for which expr is true. `{ }` matches every span. */
export interface SpansetFilterNode {
  readonly kind: 'spansetFilter';
  readonly expr: FieldExpr;
}

export type SpansetOp =
  | '&&'
  | '||'
  | '>'
  | '>>'
  | '<'
  | '<<'
  | '~'
  | '!>'
  | '!>>'
  | '!<'
  | '!<<'
  | '!~'
  | '&>'
  | '&>>'
  | '&<'
  | '&<<'
  | '&~';

export interface SpansetOpNode {
  readonly kind: 'spansetOp';
  readonly op: SpansetOp;
  readonly lhs: SpansetExpr;
  readonly rhs: SpansetExpr;
}

/** Something that yields spansets: a filter, spanset operators over such, or a whole pipeline. */
export type SpansetExpr = SpansetFilterNode | SpansetOpNode | PipelineNode;

export type AggregateFn = 'count' | 'avg' | 'min' | 'max' | 'sum';

export interface AggregateNode {
  readonly kind: 'aggregate';
  readonly fn: AggregateFn;
  /** The value aggregated (absent for count()). */
  readonly field: FieldExpr | undefined;
  readonly text: string;
}

export interface ScalarOpNode {
  readonly kind: 'scalarOp';
  readonly op: '+' | '-' | '*' | '/' | '%' | '^';
  readonly lhs: ScalarExpr;
  readonly rhs: ScalarExpr;
}

/** A value computed per spanset: aggregates, literals and arithmetic over them. */
export type ScalarExpr = AggregateNode | StaticNode | ScalarOpNode;

/** `| count() > 2`: keeps the spansets for which the comparison holds. */
export interface ScalarFilterNode {
  readonly kind: 'scalarFilter';
  readonly op: '=' | '!=' | '>' | '>=' | '<' | '<=';
  readonly lhs: ScalarExpr;
  readonly rhs: ScalarExpr;
}

/** `| select(span.a, resource.b)`: adds those values to the spans returned. */
export interface SelectNode {
  readonly kind: 'select';
  readonly fields: readonly (AttributeNode | IntrinsicNode)[];
}

/** `| coalesce()`: merges all spansets of a trace into one. */
export interface CoalesceNode {
  readonly kind: 'coalesce';
}

export type Stage = SpansetExpr | ScalarFilterNode | SelectNode | CoalesceNode;

/** Stages applied left to right, each to the spansets the previous one produced. */
export interface PipelineNode {
  readonly kind: 'pipeline';
  readonly stages: readonly Stage[];
}

/** A parsed query. */
export interface Query {
  readonly root: SpansetExpr;
  readonly text: string;
}
