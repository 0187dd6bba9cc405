/**
 * Query preparation, as Prometheus's PreprocessExpr does it: fold start()/end()/range()/step()
 * into numbers, resolve duration expressions, resolve `@ start()`/`@ end()`, drop parentheses
 * around function arguments, and wrap step-invariant subtrees (those pinned with `@`) so they are
 * evaluated once instead of at every step. The input tree is not changed; a new one is returned.
 */
import type { DurationExpr, Expr, StepInvariantExpr } from '../parser/ast.ts';
import { EvaluationError } from './errors.ts';

/** The largest duration Go's time.Duration holds, in seconds. */
const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;

/** Functions whose result depends on the evaluation time even when their arguments do not. */
export const AT_MODIFIER_UNSAFE_FUNCTIONS: ReadonlySet<string> = new Set([
  'days_in_month',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'end',
  'hour',
  'minute',
  'month',
  'year',
  'predict_linear',
  'range',
  'start',
  'step',
  'time',
  'timestamp',
]);

/** Prepares `expr` for evaluation over [start, end] (ms) with `step` (ms, 0 for instant queries). */
export function preprocessExpr(expr: Expr, start: number, end: number, step: number): Expr {
  const folded = foldQueryContextFunctions(expr, start, end, step);
  const resolved = resolveDurations(folded, step, end - start);
  const [out, , wrap] = helper(resolved, start, end);
  return wrap ? stepInvariant(out) : out;
}

function stepInvariant(expr: Expr): StepInvariantExpr {
  return { kind: 'StepInvariantExpr', expr, pos: expr.pos };
}

function unwrapParens(e: Expr): Expr {
  let x = e;
  while (x.kind === 'ParenExpr') x = x.expr;
  return x;
}

function foldQueryContextFunctions(expr: Expr, start: number, end: number, step: number): Expr {
  const rec = (e: Expr): Expr => foldQueryContextFunctions(e, start, end, step);
  if (expr.kind === 'Call') {
    const lit = (value: number): Expr => ({ kind: 'NumberLiteral', value, duration: false, pos: expr.pos });
    switch (expr.func) {
      case 'start':
        return lit(start / 1000);
      case 'end':
        return lit(end / 1000);
      case 'range':
        return lit((end - start) / 1000);
      case 'step':
        return lit(start === end ? 0 : step / 1000);
    }
    return { ...expr, args: expr.args.map(rec) };
  }
  switch (expr.kind) {
    case 'BinaryExpr':
      return { ...expr, lhs: rec(expr.lhs), rhs: rec(expr.rhs) };
    case 'AggregateExpr':
      return { ...expr, expr: rec(expr.expr), param: expr.param && rec(expr.param) };
    case 'UnaryExpr':
    case 'ParenExpr':
    case 'SubqueryExpr':
      return { ...expr, expr: rec(expr.expr) };
    default:
      return expr;
  }
}

/** Evaluates duration expressions into the offset/range/step fields (Prometheus's durationVisitor). */
function resolveDurations(expr: Expr, step: number, queryRange: number): Expr {
  const calc = (d: DurationExpr, allowNegative: boolean): number => {
    const seconds = evaluateDuration(d, step, queryRange);
    const where = `${d.pos.start}:${d.pos.end}`;
    if (!Number.isFinite(seconds))
      throw new EvaluationError(`${where}: duration is NaN or infinite`, 'bad_data');
    if (seconds <= 0 && !allowNegative)
      throw new EvaluationError(`${where}: duration must be greater than 0`, 'bad_data');
    if (seconds > MAX_DURATION_SECONDS || seconds < -MAX_DURATION_SECONDS) {
      throw new EvaluationError(`${where}: duration is out of range`, 'bad_data');
    }
    return Math.trunc(seconds * 1000);
  };
  const rec = (e: Expr): Expr => {
    switch (e.kind) {
      case 'VectorSelector':
        return e.offsetExpr ? { ...e, offset: calc(e.offsetExpr, true) } : e;
      case 'MatrixSelector': {
        const vs = rec(e.vectorSelector) as typeof e.vectorSelector;
        return { ...e, vectorSelector: vs, range: e.rangeExpr ? calc(e.rangeExpr, false) : e.range };
      }
      case 'SubqueryExpr':
        return {
          ...e,
          expr: rec(e.expr),
          offset: e.offsetExpr ? calc(e.offsetExpr, true) : e.offset,
          step: e.stepExpr ? calc(e.stepExpr, false) : e.step,
          range: e.rangeExpr ? calc(e.rangeExpr, false) : e.range,
        };
      case 'AggregateExpr':
        return { ...e, expr: rec(e.expr), param: e.param && rec(e.param) };
      case 'BinaryExpr':
        return { ...e, lhs: rec(e.lhs), rhs: rec(e.rhs) };
      case 'Call':
        return { ...e, args: e.args.map(rec) };
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'StepInvariantExpr':
        return { ...e, expr: rec(e.expr) };
      default:
        return e;
    }
  };
  return rec(expr);
}

/** Value of a duration expression in seconds. */
function evaluateDuration(e: Expr, step: number, queryRange: number): number {
  if (e.kind === 'NumberLiteral') return e.value;
  if (e.kind !== 'DurationExpr')
    throw new EvaluationError(`unexpected duration expression type ${e.kind}`, 'bad_data');
  const lhs = e.lhs ? evaluateDuration(e.lhs, step, queryRange) : 0;
  const rhs = e.rhs ? evaluateDuration(e.rhs, step, queryRange) : 0;
  const where = `${e.pos.start}:${e.pos.end}`;
  switch (e.op) {
    case 'step':
      return step / 1000;
    case 'range':
      return queryRange / 1000;
    case 'min_of':
      return Math.min(lhs, rhs);
    case 'max_of':
      return Math.max(lhs, rhs);
    case '+':
      return e.lhs ? lhs + rhs : rhs;
    case '-':
      return e.lhs ? lhs - rhs : -rhs;
    case '*':
      return lhs * rhs;
    case '/':
      if (rhs === 0) throw new EvaluationError(`${where}: division by zero`, 'bad_data');
      return lhs / rhs;
    case '%':
      if (rhs === 0) throw new EvaluationError(`${where}: modulo by zero`, 'bad_data');
      return lhs % rhs;
    case '^':
      return lhs ** rhs;
  }
}

/** Returns [new node, is step invariant, should be wrapped] (Prometheus's preprocessExprHelper). */
function helper(expr: Expr, start: number, end: number): [Expr, boolean, boolean] {
  switch (expr.kind) {
    case 'VectorSelector': {
      const ts = expr.startOrEnd === 'start' ? start : expr.startOrEnd === 'end' ? end : expr.timestamp;
      const n = ts === expr.timestamp ? expr : { ...expr, timestamp: ts };
      const inv = n.timestamp !== undefined;
      return [n, inv, inv];
    }
    case 'AggregateExpr': {
      const [inner, inv, wrap] = helper(unwrapParens(expr.expr), start, end);
      return [{ ...expr, expr: inner, param: expr.param && unwrapParens(expr.param) }, inv, wrap];
    }
    case 'BinaryExpr': {
      const [l, il, wl] = helper(expr.lhs, start, end);
      const [r, ir, wr] = helper(expr.rhs, start, end);
      if (il && ir) return [{ ...expr, lhs: l, rhs: r }, true, true];
      return [{ ...expr, lhs: wl ? stepInvariant(l) : l, rhs: wr ? stepInvariant(r) : r }, false, false];
    }
    case 'Call': {
      let inv = !AT_MODIFIER_UNSAFE_FUNCTIONS.has(expr.func);
      // timestamp() is unsafe in general but step invariant over an @-pinned selector.
      let timestampSafe = expr.func === 'timestamp';
      const args: Expr[] = [];
      const wraps: boolean[] = [];
      for (const a of expr.args) {
        const [na, ai, aw] = helper(unwrapParens(a), start, end);
        args.push(na);
        wraps.push(aw);
        inv = inv && ai;
        if (!ai || na.kind !== 'VectorSelector') timestampSafe = false;
      }
      if (inv || timestampSafe) return [{ ...expr, args }, true, true];
      return [{ ...expr, args: args.map((a, i) => (wraps[i] ? stepInvariant(a) : a)) }, false, false];
    }
    case 'MatrixSelector': {
      const [vs, inv] = helper(expr.vectorSelector, start, end);
      return [{ ...expr, vectorSelector: vs as typeof expr.vectorSelector }, inv, false];
    }
    case 'SubqueryExpr': {
      // The inside of a subquery is wrapped whenever it is step invariant, so that it is
      // evaluated once relative to the subquery's own start time.
      const [inner, inv] = helper(expr.expr, start, end);
      const ts = expr.startOrEnd === 'start' ? start : expr.startOrEnd === 'end' ? end : expr.timestamp;
      const n = { ...expr, expr: inv ? stepInvariant(inner) : inner, timestamp: ts };
      return [n, ts !== undefined, false];
    }
    case 'ParenExpr':
    case 'UnaryExpr': {
      const [inner, inv, wrap] = helper(expr.expr, start, end);
      return [{ ...expr, expr: inner }, inv, wrap];
    }
    case 'StringLiteral':
    case 'NumberLiteral':
    case 'DurationExpr':
    case 'StepInvariantExpr':
      return [expr, true, false];
  }
}
