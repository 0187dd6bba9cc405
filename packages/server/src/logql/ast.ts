/**
 * The LogQL syntax tree: plain, readonly data with a `kind` tag on every node. The parser builds
 * it; the engine and the printer walk it. It knows the data model (Matcher) and nothing else.
 */
import type { Matcher } from '../model/matcher.ts';

/** A whole query: a log query (streams) or a metric query (samples). */
export type Expr = LogSelectorExpr | MetricExpr;

/** `{app="x"} |= "error" | json | status >= 500`. */
export interface LogSelectorExpr {
  readonly kind: 'LogSelector';
  readonly matchers: readonly Matcher[];
  readonly pipeline: readonly Stage[];
}

export type Stage =
  | LineFilterStage
  | ParserStage
  | LabelFilterStage
  | LineFormatStage
  | LabelFormatStage
  | DecolorizeStage
  | DropStage
  | KeepStage;

export type LineFilterOp = '|=' | '!=' | '|~' | '!~' | '|>' | '!>';

/**
 * One line filter: `|= "a"`, `!~ "re"`, `|> "<_> error <_>"`. `or` holds the alternatives of
 * `|= "a" or "b"`, all with the same operator: for the positive operators any may match; for the
 * negative ones none may.
 */
export interface LineFilter {
  readonly op: LineFilterOp;
  readonly value: string;
  readonly or: readonly string[];
}

export interface LineFilterStage {
  readonly kind: 'LineFilter';
  readonly filter: LineFilter;
}

export type ParserKind = 'json' | 'logfmt' | 'regexp' | 'pattern' | 'unpack';

/** `identifier="expression"` in `| json a="x.y"` or `| logfmt a="b"`. */
export interface LabelExtraction {
  readonly label: string;
  readonly expression: string;
}

export interface ParserStage {
  readonly kind: 'Parser';
  readonly parser: ParserKind;
  /** The regexp or pattern text. */
  readonly param?: string;
  /** `| json a="x", b` and `| logfmt a, b`: extract only these. */
  readonly extractions?: readonly LabelExtraction[];
  /** logfmt flags. */
  readonly strict?: boolean;
  readonly keepEmpty?: boolean;
}

export type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

export type LabelFilter =
  | { readonly kind: 'String'; readonly matcher: Matcher }
  | { readonly kind: 'Number'; readonly name: string; readonly op: CompareOp; readonly value: number }
  /** Compared in seconds. */
  | { readonly kind: 'Duration'; readonly name: string; readonly op: CompareOp; readonly value: number }
  | { readonly kind: 'Bytes'; readonly name: string; readonly op: CompareOp; readonly value: number }
  | { readonly kind: 'And'; readonly left: LabelFilter; readonly right: LabelFilter }
  | { readonly kind: 'Or'; readonly left: LabelFilter; readonly right: LabelFilter };

export interface LabelFilterStage {
  readonly kind: 'LabelFilter';
  readonly filter: LabelFilter;
}

export interface LineFormatStage {
  readonly kind: 'LineFormat';
  readonly template: string;
}

/** `dst=src` renames; `dst="{{template}}"` sets from a template. */
export type LabelFormat =
  | { readonly kind: 'Rename'; readonly dst: string; readonly src: string }
  | { readonly kind: 'Template'; readonly dst: string; readonly template: string };

export interface LabelFormatStage {
  readonly kind: 'LabelFormat';
  readonly formats: readonly LabelFormat[];
}

export interface DecolorizeStage {
  readonly kind: 'Decolorize';
}

/** A label named in drop/keep: by name, or by matcher (`level="debug"`). */
export interface NamedMatcher {
  readonly name: string;
  readonly matcher?: Matcher;
}

export interface DropStage {
  readonly kind: 'Drop';
  readonly labels: readonly NamedMatcher[];
}

export interface KeepStage {
  readonly kind: 'Keep';
  readonly labels: readonly NamedMatcher[];
}

export type MetricExpr =
  | RangeAggregationExpr
  | VectorAggregationExpr
  | BinaryExpr
  | LiteralExpr
  | VectorExpr
  | LabelReplaceExpr;

export type RangeOp =
  | 'count_over_time'
  | 'rate'
  | 'rate_counter'
  | 'bytes_over_time'
  | 'bytes_rate'
  | 'avg_over_time'
  | 'sum_over_time'
  | 'min_over_time'
  | 'max_over_time'
  | 'stdvar_over_time'
  | 'stddev_over_time'
  | 'quantile_over_time'
  | 'first_over_time'
  | 'last_over_time'
  | 'absent_over_time';

export type UnwrapConversion = 'bytes' | 'duration' | 'duration_seconds';

export interface Unwrap {
  readonly label: string;
  readonly conversion?: UnwrapConversion;
  /** Label filters after the unwrap (`| unwrap x | __error__=""`). */
  readonly postFilters: readonly LabelFilter[];
}

/** `{...} | pipeline | unwrap x [5m] offset 1h`. */
export interface LogRange {
  readonly selector: LogSelectorExpr;
  readonly rangeMs: number;
  readonly offsetMs: number;
  readonly unwrap?: Unwrap;
}

export interface Grouping {
  readonly without: boolean;
  readonly labels: readonly string[];
}

export interface RangeAggregationExpr {
  readonly kind: 'RangeAggregation';
  readonly op: RangeOp;
  readonly range: LogRange;
  /** quantile_over_time's φ. */
  readonly param?: number;
  readonly grouping?: Grouping;
}

export type VectorOp =
  | 'sum'
  | 'avg'
  | 'min'
  | 'max'
  | 'count'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'sort'
  | 'sort_desc';

export interface VectorAggregationExpr {
  readonly kind: 'VectorAggregation';
  readonly op: VectorOp;
  readonly expr: MetricExpr;
  /** topk/bottomk's k. */
  readonly param?: number;
  readonly grouping?: Grouping;
}

export type BinaryOp =
  | 'or'
  | 'and'
  | 'unless'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | '=='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<=';

export interface BinaryModifier {
  readonly returnBool: boolean;
  /** `on(...)` (true) or `ignoring(...)` (false) when matching labels are given. */
  readonly on: boolean;
  readonly matching: readonly string[] | undefined;
  readonly card: 'one-to-one' | 'many-to-one' | 'one-to-many';
  readonly include: readonly string[];
}

export interface BinaryExpr {
  readonly kind: 'Binary';
  readonly op: BinaryOp;
  readonly lhs: MetricExpr;
  readonly rhs: MetricExpr;
  readonly modifier: BinaryModifier;
}

export interface LiteralExpr {
  readonly kind: 'Literal';
  readonly value: number;
}

export interface VectorExpr {
  readonly kind: 'Vector';
  readonly value: number;
}

export interface LabelReplaceExpr {
  readonly kind: 'LabelReplace';
  readonly expr: MetricExpr;
  readonly dst: string;
  readonly replacement: string;
  readonly src: string;
  readonly regex: string;
}

/** True for metric queries (samples), false for log queries (streams). */
export function isMetricExpr(e: Expr): e is MetricExpr {
  return e.kind !== 'LogSelector';
}

/** Every range aggregation in a metric expression, left to right. */
export function rangeAggregations(e: MetricExpr): RangeAggregationExpr[] {
  switch (e.kind) {
    case 'RangeAggregation':
      return [e];
    case 'VectorAggregation':
      return rangeAggregations(e.expr);
    case 'Binary':
      return [...rangeAggregations(e.lhs), ...rangeAggregations(e.rhs)];
    case 'LabelReplace':
      return rangeAggregations(e.expr);
    case 'Literal':
    case 'Vector':
      return [];
  }
}
