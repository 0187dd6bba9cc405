/**
 * TraceQL evaluation over one trace at a time, as Tempo's engine does (pkg/traceql/ast_execute.go):
 * a query turns the trace's spans into zero or more spansets; the trace matches when one is left.
 *
 * Value semantics follow Tempo: an attribute that is missing is nil, and nil compared with
 * anything but `nil` is false for every operator (`!=` included); operands of different types
 * compare false, except that ints, floats and durations compare as numbers; strings order
 * lexically; regular expressions are fully anchored; an array attribute matches `=`, `=~`, `<` ...
 * when any element does and `!=`, `!~` when no element does.
 */
import { type CompiledRegex, compileRegex } from '../../model/regex.ts';
import {
  type Attributes,
  type AttributeValue,
  type Span,
  serviceName,
  spanDurationNanos,
} from '../../model/span.ts';
import { spanAttribute } from '../span-attribute.ts';
import type {
  AggregateNode,
  AttributeNode,
  BinaryNode,
  FieldExpr,
  IntrinsicNode,
  PipelineNode,
  Query,
  ScalarExpr,
  ScalarFilterNode,
  SpansetExpr,
  SpansetOpNode,
  Stage,
} from './ast.ts';

/** A status or kind value (`status = error`, `kind = server`). */
class EnumValue {
  constructor(
    readonly type: 'status' | 'kind',
    readonly code: number,
  ) {}
}

/** A runtime value: nil is null, numbers cover ints, floats and durations (ns). */
type Value = string | number | boolean | null | EnumValue | readonly Value[];

/** A set of spans of one trace, as a query produces it. */
export interface Spanset {
  /** Spans in the trace's order (by start time). */
  readonly spans: readonly Span[];
  /** The aggregate a scalar filter computed for this spanset (`count()` → 3), if any. */
  readonly aggregate?: { readonly text: string; readonly value: number };
  /** Fields `select(...)` asked for, plus the attributes the query's conditions used. */
  readonly selected: readonly (AttributeNode | IntrinsicNode)[];
}

/** The spans of one trace with the relations structural operators and trace intrinsics need. */
export class TraceView {
  readonly spans: readonly Span[];
  readonly byId = new Map<string, Span>();
  readonly children = new Map<string, Span[]>();
  readonly order = new Map<Span, number>();
  readonly root: Span | undefined;
  readonly durationNs: number;

  constructor(spans: readonly Span[]) {
    this.spans = [...spans].sort((a, b) =>
      a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0,
    );
    let min: bigint | undefined;
    let max: bigint | undefined;
    let root: Span | undefined;
    this.spans.forEach((s, i) => {
      this.order.set(s, i);
      if (!this.byId.has(s.spanId)) this.byId.set(s.spanId, s);
      if (s.parentSpanId) {
        let list = this.children.get(s.parentSpanId);
        if (!list) {
          list = [];
          this.children.set(s.parentSpanId, list);
        }
        list.push(s);
      } else if (!root) root = s;
      if (min === undefined || s.startTimeUnixNano < min) min = s.startTimeUnixNano;
      if (max === undefined || s.endTimeUnixNano > max) max = s.endTimeUnixNano;
    });
    this.root = root;
    this.durationNs = min === undefined || max === undefined ? 0 : Number(max - min);
  }

  parent(s: Span): Span | undefined {
    return s.parentSpanId ? this.byId.get(s.parentSpanId) : undefined;
  }

  /** True when `ancestor` is above `s` in the tree (guarding against cycles in bad data). */
  isAncestor(ancestor: Span, s: Span): boolean {
    let p = this.parent(s);
    for (let guard = 0; p && guard < this.spans.length; guard++) {
      if (p === ancestor) return true;
      p = this.parent(p);
    }
    return false;
  }
}

/** Evaluates a query on one trace; the trace matches when the result is not empty. */
export function evaluate(query: Query, trace: TraceView): Spanset[] {
  const conditions = conditionAttributes(query.root);
  const all: Spanset = { spans: trace.spans, selected: conditions };
  return evalExpr(query.root, [all], trace).filter((s) => s.spans.length > 0);
}

function evalExpr(expr: SpansetExpr, input: readonly Spanset[], trace: TraceView): Spanset[] {
  switch (expr.kind) {
    case 'spansetFilter': {
      const out: Spanset[] = [];
      for (const set of input) {
        const spans = set.spans.filter((s) => evalField(expr.expr, s, trace) === true);
        if (spans.length > 0) out.push({ ...set, spans });
      }
      return out;
    }
    case 'spansetOp': {
      const out: Spanset[] = [];
      for (const set of input) {
        const result = evalSpansetOp(expr, set, trace);
        if (result) out.push(result);
      }
      return out;
    }
    case 'pipeline':
      return evalPipeline(expr, input, trace);
  }
}

function evalPipeline(p: PipelineNode, input: readonly Spanset[], trace: TraceView): Spanset[] {
  let sets: Spanset[] = [...input];
  for (const stage of p.stages) {
    sets = evalStage(stage, sets, trace);
    if (sets.length === 0) break;
  }
  return sets;
}

function evalStage(stage: Stage, sets: Spanset[], trace: TraceView): Spanset[] {
  switch (stage.kind) {
    case 'scalarFilter': {
      const out: Spanset[] = [];
      for (const set of sets) {
        const l = evalScalar(stage.lhs, set, trace);
        const r = evalScalar(stage.rhs, set, trace);
        if (compareNumbers(stage.op, l, r)) out.push({ ...set, aggregate: describeAggregate(stage, l, r) });
      }
      return out;
    }
    case 'select':
      return sets.map((s) => ({ ...s, selected: mergeSelected(s.selected, stage.fields) }));
    case 'coalesce': {
      if (sets.length <= 1) return sets;
      const spans = unionInOrder(
        sets.map((s) => s.spans),
        trace,
      );
      return [{ spans, selected: sets[0].selected }];
    }
    default:
      return evalExpr(stage, sets, trace);
  }
}

function describeAggregate(
  f: ScalarFilterNode,
  l: number,
  r: number,
): { text: string; value: number } | undefined {
  if (f.lhs.kind === 'aggregate') return { text: f.lhs.text, value: l };
  if (f.rhs.kind === 'aggregate') return { text: f.rhs.text, value: r };
  return undefined;
}

function mergeSelected(
  a: readonly (AttributeNode | IntrinsicNode)[],
  b: readonly (AttributeNode | IntrinsicNode)[],
): (AttributeNode | IntrinsicNode)[] {
  const out = [...a];
  for (const f of b) if (!out.some((x) => x.text === f.text)) out.push(f);
  return out;
}

/**
 * Spanset operators on one input spanset. Both sides see the same input; logical operators
 * return both sides' spans, structural ones the right side's spans related as asked (Tempo's
 * `&` forms return the related spans of both sides).
 */
function evalSpansetOp(op: SpansetOpNode, input: Spanset, trace: TraceView): Spanset | undefined {
  const lSets = evalExpr(op.lhs, [input], trace);
  const rSets = evalExpr(op.rhs, [input], trace);
  const L = unionInOrder(
    lSets.map((s) => s.spans),
    trace,
  );
  const R = unionInOrder(
    rSets.map((s) => s.spans),
    trace,
  );
  const selected = mergeSelected(lSets[0]?.selected ?? input.selected, rSets[0]?.selected ?? input.selected);
  const result = (spans: readonly Span[]) => (spans.length > 0 ? { spans, selected } : undefined);
  const inL = new Set(L);
  switch (op.op) {
    case '&&':
      return L.length > 0 && R.length > 0 ? result(unionInOrder([L, R], trace)) : undefined;
    case '||':
      return result(unionInOrder([L, R], trace));
    case '>':
      return result(R.filter((r) => isChildOf(r, inL, trace)));
    case '!>':
      return result(R.filter((r) => !isChildOf(r, inL, trace)));
    case '>>':
      return result(R.filter((r) => hasAncestorIn(r, inL, trace)));
    case '!>>':
      return result(R.filter((r) => !hasAncestorIn(r, inL, trace)));
    case '<':
      return result(R.filter((r) => L.some((l) => trace.parent(l) === r)));
    case '!<':
      return result(R.filter((r) => !L.some((l) => trace.parent(l) === r)));
    case '<<':
      return result(R.filter((r) => L.some((l) => trace.isAncestor(r, l))));
    case '!<<':
      return result(R.filter((r) => !L.some((l) => trace.isAncestor(r, l))));
    case '~':
      return result(R.filter((r) => hasSiblingIn(r, L, trace)));
    case '!~':
      return result(R.filter((r) => !hasSiblingIn(r, L, trace)));
    case '&>': {
      const rs = R.filter((r) => isChildOf(r, inL, trace));
      const ls = L.filter((l) => rs.some((r) => trace.parent(r) === l));
      return result(unionInOrder([ls, rs], trace));
    }
    case '&>>': {
      const rs = R.filter((r) => hasAncestorIn(r, inL, trace));
      const ls = L.filter((l) => rs.some((r) => trace.isAncestor(l, r)));
      return result(unionInOrder([ls, rs], trace));
    }
    case '&<': {
      const rs = R.filter((r) => L.some((l) => trace.parent(l) === r));
      const ls = L.filter((l) => rs.some((r) => trace.parent(l) === r));
      return result(unionInOrder([ls, rs], trace));
    }
    case '&<<': {
      const rs = R.filter((r) => L.some((l) => trace.isAncestor(r, l)));
      const ls = L.filter((l) => rs.some((r) => trace.isAncestor(r, l)));
      return result(unionInOrder([ls, rs], trace));
    }
    case '&~': {
      const rs = R.filter((r) => hasSiblingIn(r, L, trace));
      const ls = L.filter((l) => hasSiblingIn(l, R, trace));
      return result(unionInOrder([ls, rs], trace));
    }
  }
}

function isChildOf(s: Span, parents: ReadonlySet<Span>, trace: TraceView): boolean {
  const p = trace.parent(s);
  return p !== undefined && parents.has(p);
}

function hasAncestorIn(s: Span, set: ReadonlySet<Span>, trace: TraceView): boolean {
  let p = trace.parent(s);
  for (let guard = 0; p && guard < trace.spans.length; guard++) {
    if (set.has(p)) return true;
    p = trace.parent(p);
  }
  return false;
}

function hasSiblingIn(s: Span, others: readonly Span[], trace: TraceView): boolean {
  if (!s.parentSpanId) return false;
  return others.some((o) => o !== s && o.parentSpanId === s.parentSpanId && trace.byId.has(s.parentSpanId));
}

/** The union of span lists, without duplicates, in the trace's order. */
function unionInOrder(lists: readonly (readonly Span[])[], trace: TraceView): Span[] {
  if (lists.length === 1) return [...lists[0]];
  const set = new Set<Span>();
  for (const l of lists) for (const s of l) set.add(s);
  return [...set].sort((a, b) => (trace.order.get(a) ?? 0) - (trace.order.get(b) ?? 0));
}

// -----------------------------------------------------------------------------------------------
// Scalars (aggregates)

function evalScalar(e: ScalarExpr, set: Spanset, trace: TraceView): number {
  switch (e.kind) {
    case 'static':
      return typeof e.value.value === 'number' ? e.value.value : Number.NaN;
    case 'aggregate':
      return aggregate(e, set, trace);
    case 'scalarOp':
      return arithmetic(e.op, evalScalar(e.lhs, set, trace), evalScalar(e.rhs, set, trace));
  }
}

function aggregate(a: AggregateNode, set: Spanset, trace: TraceView): number {
  if (a.fn === 'count') return set.spans.length;
  let sum = 0;
  let n = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const s of set.spans) {
    const v = evalField(a.field!, s, trace);
    if (typeof v !== 'number' || Number.isNaN(v)) continue;
    sum += v;
    n++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return Number.NaN;
  switch (a.fn) {
    case 'sum':
      return sum;
    case 'avg':
      return sum / n;
    case 'min':
      return min;
    case 'max':
      return max;
  }
}

function compareNumbers(op: ScalarFilterNode['op'], l: number, r: number): boolean {
  switch (op) {
    case '=':
      return l === r;
    case '!=':
      return l !== r && !Number.isNaN(l) && !Number.isNaN(r);
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    case '<':
      return l < r;
    case '<=':
      return l <= r;
  }
}

function arithmetic(op: string, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    default:
      return l ** r;
  }
}

// -----------------------------------------------------------------------------------------------
// Field expressions on one span

const regexCache = new WeakMap<BinaryNode, CompiledRegex>();

/** A field expression's value on a span (exported for the API, which shows selected values). */
export function evalField(e: FieldExpr, s: Span, trace: TraceView): Value {
  switch (e.kind) {
    case 'static':
      switch (e.value.type) {
        case 'status':
          return new EnumValue('status', e.value.value);
        case 'kind':
          return new EnumValue('kind', e.value.value);
        default:
          return e.value.value;
      }
    case 'attribute':
      return attributeOf(e, s);
    case 'intrinsic':
      return intrinsicOf(e, s, trace);
    case 'unary': {
      const v = evalField(e.operand, s, trace);
      if (e.op === '!') return typeof v === 'boolean' ? !v : false;
      return typeof v === 'number' ? -v : null;
    }
    case 'binary': {
      if (e.op === '&&') {
        if (evalField(e.lhs, s, trace) !== true) return false;
        return evalField(e.rhs, s, trace) === true;
      }
      if (e.op === '||') {
        if (evalField(e.lhs, s, trace) === true) return true;
        return evalField(e.rhs, s, trace) === true;
      }
      const l = evalField(e.lhs, s, trace);
      const r = evalField(e.rhs, s, trace);
      switch (e.op) {
        case '+':
        case '-':
        case '*':
        case '/':
        case '%':
        case '^':
          return typeof l === 'number' && typeof r === 'number' ? arithmetic(e.op, l, r) : null;
        case '=~':
        case '!~': {
          let re = regexCache.get(e);
          if (!re) {
            re = compileRegex(typeof r === 'string' ? r : '');
            regexCache.set(e, re);
          }
          return matchRegex(e.op, l, re);
        }
        default:
          return compare(e.op, l, r);
      }
    }
  }
}

function matchRegex(op: '=~' | '!~', l: Value, re: CompiledRegex): boolean {
  if (Array.isArray(l)) {
    const strings = (l as readonly Value[]).filter((x): x is string => typeof x === 'string');
    if (strings.length === 0) return false;
    return op === '=~' ? strings.some((x) => re.matches(x)) : !strings.some((x) => re.matches(x));
  }
  if (typeof l !== 'string') return false;
  return op === '=~' ? re.matches(l) : !re.matches(l);
}

function compare(op: '=' | '!=' | '>' | '>=' | '<' | '<=', l: Value, r: Value): boolean {
  if (r === null) {
    if (op === '=') return l === null;
    if (op === '!=') return l !== null;
    return false;
  }
  if (l === null) return false;
  if (Array.isArray(l)) {
    const items = l as readonly Value[];
    if (items.length === 0) return false;
    return op === '!='
      ? items.every((x) => compareScalar('!=', x, r))
      : items.some((x) => compareScalar(op, x, r));
  }
  return compareScalar(op, l, r);
}

function compareScalar(op: '=' | '!=' | '>' | '>=' | '<' | '<=', l: Value, r: Value): boolean {
  if (l === null || r === null || Array.isArray(l) || Array.isArray(r)) return false;
  if (typeof l === 'number' && typeof r === 'number') return ordered(op, l, r);
  if (typeof l === 'string' && typeof r === 'string') return ordered(op, l, r);
  if (typeof l === 'boolean' && typeof r === 'boolean') {
    return op === '=' ? l === r : op === '!=' ? l !== r : false;
  }
  if (l instanceof EnumValue && r instanceof EnumValue && l.type === r.type) {
    return op === '=' ? l.code === r.code : op === '!=' ? l.code !== r.code : false;
  }
  return false;
}

function ordered<T extends number | string>(op: string, l: T, r: T): boolean {
  switch (op) {
    case '=':
      return l === r;
    case '!=':
      return l !== r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    case '<':
      return l < r;
    default:
      return l <= r;
  }
}

function attributeOf(a: AttributeNode, s: Span): Value {
  switch (a.scope) {
    case 'span':
      return ownAttribute(s, a.name);
    case 'resource':
      return lookup(s.resource.attributes, a.name);
    case 'instrumentation':
      return lookup(s.scope.attributes, a.name);
    case 'event':
      return collect(
        s.events.map((e) => e.attributes),
        a.name,
      );
    case 'link':
      return collect(
        s.links.map((l) => l.attributes),
        a.name,
      );
    case 'none': {
      // Span attributes first, then the resource, events, links and scope (Tempo's order).
      const fromSpan = ownAttribute(s, a.name);
      if (fromSpan !== null) return fromSpan;
      const fromResource = lookup(s.resource.attributes, a.name);
      if (fromResource !== null) return fromResource;
      const fromEvents = collect(
        s.events.map((e) => e.attributes),
        a.name,
      );
      if (fromEvents !== null) return fromEvents;
      const fromLinks = collect(
        s.links.map((l) => l.attributes),
        a.name,
      );
      if (fromLinks !== null) return fromLinks;
      return lookup(s.scope.attributes, a.name);
    }
  }
}

/** A span attribute without decoding the span's other attributes (see spanAttribute). */
function ownAttribute(s: Span, name: string): Value {
  const v = spanAttribute(s, name);
  return v === undefined ? null : toValue(v);
}

function lookup(attributes: Attributes, name: string): Value {
  for (let i = 0; i < attributes.length; i++) {
    if (attributes[i].key === name) return toValue(attributes[i].value);
  }
  return null;
}

/** An attribute of events or links: the values of those that have it, as an array; nil if none. */
function collect(lists: readonly Attributes[], name: string): Value {
  const out: Value[] = [];
  for (const attrs of lists) {
    const v = lookup(attrs, name);
    if (v === null) continue;
    if (Array.isArray(v)) out.push(...(v as Value[]));
    else out.push(v);
  }
  return out.length > 0 ? out : null;
}

function toValue(v: AttributeValue): Value {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
  }
  if (Array.isArray(v)) {
    return (v as readonly AttributeValue[])
      .map((x) => toValue(x))
      .filter((x) => x !== null && !Array.isArray(x));
  }
  // Bytes and maps have no TraceQL type.
  return null;
}

function intrinsicOf(i: IntrinsicNode, s: Span, trace: TraceView): Value {
  switch (i.intrinsic) {
    case 'name':
      return s.name;
    case 'status':
      return new EnumValue('status', s.status.code);
    case 'statusMessage':
      return s.status.message;
    case 'kind':
      return new EnumValue('kind', s.kind);
    case 'duration':
      return spanDurationNanos(s);
    case 'childCount':
      return trace.children.get(s.spanId)?.length ?? 0;
    case 'spanID':
      return s.spanId;
    case 'parentID':
      return s.parentSpanId === '' ? null : s.parentSpanId;
    case 'traceID':
      return s.traceId;
    case 'traceDuration':
      return trace.durationNs;
    case 'rootName':
      return trace.root ? trace.root.name : null;
    case 'rootServiceName':
      return trace.root ? serviceName(trace.root.resource) : null;
    case 'eventName':
      return s.events.length ? s.events.map((e) => e.name) : null;
    case 'eventTimeSinceStart':
      return s.events.length ? s.events.map((e) => Number(e.timeUnixNano - s.startTimeUnixNano)) : null;
    case 'linkTraceID':
      return s.links.length ? s.links.map((l) => l.traceId) : null;
    case 'linkSpanID':
      return s.links.length ? s.links.map((l) => l.spanId) : null;
    case 'instrumentationName':
      return s.scope.name;
    case 'instrumentationVersion':
      return s.scope.version;
  }
}

/**
 * The attributes a query's conditions use (Tempo returns their values with each span), except
 * span name and duration, which every result carries anyway.
 */
function conditionAttributes(root: SpansetExpr): (AttributeNode | IntrinsicNode)[] {
  const out: (AttributeNode | IntrinsicNode)[] = [];
  const add = (n: AttributeNode | IntrinsicNode) => {
    if (n.kind === 'intrinsic' && (n.intrinsic === 'name' || n.intrinsic === 'duration')) return;
    if (!out.some((x) => x.text === n.text)) out.push(n);
  };
  const field = (e: FieldExpr | undefined): void => {
    if (!e) return;
    if (e.kind === 'attribute' || e.kind === 'intrinsic') add(e);
    else if (e.kind === 'binary') {
      field(e.lhs);
      field(e.rhs);
    } else if (e.kind === 'unary') field(e.operand);
  };
  const expr = (e: SpansetExpr | Stage): void => {
    switch (e.kind) {
      case 'spansetFilter':
        field(e.expr);
        break;
      case 'spansetOp':
        expr(e.lhs);
        expr(e.rhs);
        break;
      case 'pipeline':
        for (const s of e.stages) expr(s);
        break;
      default:
        break;
    }
  };
  expr(root);
  return out;
}

/** A value for display (the API writes selected values with their type). */
export function displayValue(
  v: Value,
):
  | { type: 'string' | 'int' | 'float' | 'bool' | 'status' | 'kind'; value: string | number | boolean }
  | undefined {
  if (v === null || Array.isArray(v)) return undefined;
  if (v instanceof EnumValue) {
    const names =
      v.type === 'status'
        ? ['unset', 'ok', 'error']
        : ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
    return { type: v.type, value: names[v.code] ?? String(v.code) };
  }
  switch (typeof v) {
    case 'string':
      return { type: 'string', value: v };
    case 'boolean':
      return { type: 'bool', value: v };
    case 'number':
      return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
  }
  return undefined;
}
