/**
 * Prometheus's static checks (parse.go checkAST): argument types and counts, `bool` only on
 * comparisons, vector matching rules, set operators only between vectors, group_left/right
 * rules, non-empty selectors. Returns the tree normalised the way Prometheus normalises it (set
 * operators match many-to-many; matching is dropped unless both sides are vectors).
 */
import { METRIC_NAME } from '../../model/labels.ts';
import {
  aggregateHasParam,
  type BinaryExpr,
  documentedType,
  type Expr,
  exprType,
  isComparisonOp,
  isSetOp,
  type PosRange,
  type ValueType,
  type VectorSelector,
} from './ast.ts';
import { ParseError } from './errors.ts';
import { FUNCTIONS } from './functions.ts';

/** Checks `expr`, appending errors to `errors` in Prometheus's order, and returns the normalised tree. */
export function checkExpr(expr: Expr, query: string, errors: ParseError[]): Expr {
  const err = (pos: PosRange, detail: string) => errors.push(new ParseError(query, pos, detail));
  const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

  const expectType = (node: Expr, want: ValueType, context: string): Expr => {
    const checked = check(node);
    const t = exprType(checked);
    if (t !== want)
      err(node.pos, `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
    return checked;
  };

  const check = (node: Expr): Expr => {
    switch (node.kind) {
      case 'AggregateExpr': {
        const inner = expectType(node.expr, 'vector', 'aggregation expression');
        let param = node.param;
        if (
          node.op === 'topk' ||
          node.op === 'bottomk' ||
          node.op === 'quantile' ||
          node.op === 'limitk' ||
          node.op === 'limit_ratio'
        ) {
          if (param) param = expectType(param, 'scalar', 'aggregation parameter');
        } else if (node.op === 'count_values' && param) {
          param = expectType(param, 'string', 'aggregation parameter');
        } else if (param && !aggregateHasParam(node.op)) {
          param = undefined;
        }
        return { ...node, expr: inner, param };
      }
      case 'BinaryExpr':
        return checkBinary(node);
      case 'Call': {
        const fn = FUNCTIONS.get(node.func);
        if (!fn) {
          err(node.pos, `unknown function with name ${JSON.stringify(node.func)}`);
          return node;
        }
        const nargs = fn.argTypes.length;
        if (fn.variadic === 0) {
          if (nargs !== node.args.length) {
            err(
              node.pos,
              `expected ${nargs} argument(s) in call to ${JSON.stringify(fn.name)}, got ${node.args.length}`,
            );
          }
        } else {
          const na = nargs - 1;
          if (na > node.args.length) {
            err(
              node.pos,
              `expected at least ${na} argument(s) in call to ${JSON.stringify(fn.name)}, got ${node.args.length}`,
            );
          } else if (fn.variadic > 0 && na + fn.variadic < node.args.length) {
            err(
              node.pos,
              `expected at most ${na + fn.variadic} argument(s) in call to ${JSON.stringify(fn.name)}, got ${node.args.length}`,
            );
          }
        }
        const args = [...node.args];
        if (fn.name === 'info' && args.length > 1) {
          const second = args[1];
          if (exprType(second) !== 'vector') {
            err(
              node.pos,
              `expected type ${documentedType('vector')} in call to function "info", got ${documentedType(exprType(second))}`,
            );
          }
          if (second.kind === 'VectorSelector' && second.name !== '') {
            err(second.pos, 'expected label selectors only, got vector selector instead');
          } else if (second.kind === 'VectorSelector') {
            args[1] = { ...second, bypassEmptyMatcherCheck: true };
          } else {
            err(second.pos, 'expected label selectors only');
          }
        }
        for (let i = 0; i < args.length; i++) {
          let ti = i;
          if (i >= fn.argTypes.length) {
            // A function that is not variadic already got its argument-count error.
            if (fn.variadic === 0) break;
            ti = fn.argTypes.length - 1;
          }
          const checked = check(args[i]);
          args[i] = checked;
          const t = exprType(checked);
          if (t !== fn.argTypes[ti]) {
            err(
              args[i].pos,
              `expected type ${documentedType(fn.argTypes[ti])} in call to function ${JSON.stringify(fn.name)}, got ${documentedType(t)}`,
            );
          }
        }
        return { ...node, args };
      }
      case 'ParenExpr':
        return { ...node, expr: check(node.expr) };
      case 'UnaryExpr': {
        const inner = check(node.expr);
        const t = exprType(inner);
        if (t !== 'scalar' && t !== 'vector') {
          err(
            node.pos,
            `unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(documentedType(t))}`,
          );
        }
        return { ...node, expr: inner };
      }
      case 'SubqueryExpr': {
        const inner = check(node.expr);
        const t = exprType(inner);
        if (t !== 'vector') err(node.pos, `subquery is only allowed on instant vector, got ${t} instead`);
        return { ...node, expr: inner };
      }
      case 'MatrixSelector':
        return { ...node, vectorSelector: checkSelector(node.vectorSelector) };
      case 'VectorSelector':
        return checkSelector(node);
      case 'StepInvariantExpr':
        return { ...node, expr: check(node.expr) };
      case 'NumberLiteral':
      case 'StringLiteral':
      case 'DurationExpr':
        return node;
    }
  };

  const checkSelector = (n: VectorSelector): VectorSelector => {
    if (n.name !== '') {
      // The last matcher is the one for the name written before the braces.
      for (const m of n.matchers.slice(0, -1)) {
        if (m.name === METRIC_NAME) {
          err(
            n.pos,
            `metric name must not be set twice: ${JSON.stringify(n.name)} or ${JSON.stringify(m.value)}`,
          );
        }
      }
      return n;
    }
    if (!n.bypassEmptyMatcherCheck && !n.matchers.some((m) => !m.matches(''))) {
      err(n.pos, 'vector selector must contain at least one non-empty matcher');
    }
    return n;
  };

  const checkBinary = (n: BinaryExpr): Expr => {
    const lhs = check(n.lhs);
    const rhs = check(n.rhs);
    const lt = exprType(lhs);
    const rt = exprType(rhs);
    const opRange = (): PosRange => {
      let start = n.lhs.pos.end;
      while (start < query.length && isSpace(query[start])) start++;
      let end = n.rhs.pos.start - 1;
      while (end > start && isSpace(query[end])) end--;
      return { start, end };
    };
    if (n.returnBool && !isComparisonOp(n.op))
      err(opRange(), 'bool modifier can only be used on comparison operators');
    if (isComparisonOp(n.op) && !n.returnBool && rt === 'scalar' && lt === 'scalar') {
      err(opRange(), 'comparisons between scalars must use BOOL modifier');
    }
    let matching = n.matching;
    if (matching && isSetOp(n.op) && matching.card === 'one-to-one')
      matching = { ...matching, card: 'many-to-many' };
    if (matching?.on) {
      for (const l1 of matching.matchingLabels) {
        for (const l2 of matching.include) {
          if (l1 === l2)
            err(opRange(), `label ${JSON.stringify(l1)} must not occur in ON and GROUP clause at once`);
        }
      }
    }
    if (lt !== 'scalar' && lt !== 'vector') {
      err(n.lhs.pos, 'binary expression must contain only scalar and instant vector types');
    }
    if (rt !== 'scalar' && rt !== 'vector') {
      err(n.rhs.pos, 'binary expression must contain only scalar and instant vector types');
    }
    const hasFill =
      matching !== undefined && (matching.fillLeft !== undefined || matching.fillRight !== undefined);
    if ((lt !== 'vector' || rt !== 'vector') && matching) {
      if (matching.matchingLabels.length > 0)
        err(n.pos, 'vector matching only allowed between instant vectors');
      if (hasFill) err(n.pos, 'filling in missing series only allowed between instant vectors');
      matching = undefined;
    } else if (matching && isSetOp(n.op)) {
      if (matching.card === 'one-to-many' || matching.card === 'many-to-one') {
        err(n.pos, `no grouping allowed for ${JSON.stringify(n.op)} operation`);
      }
      if (matching.card !== 'many-to-many') err(n.pos, 'set operations must always be many-to-many');
      if (hasFill) err(n.pos, 'filling in missing series not allowed for set operators');
    }
    if ((lt === 'scalar' || rt === 'scalar') && isSetOp(n.op)) {
      err(n.pos, `set operator ${JSON.stringify(n.op)} not allowed in binary scalar expression`);
    }
    return { ...n, lhs, rhs, matching };
  };

  return check(expr);
}
