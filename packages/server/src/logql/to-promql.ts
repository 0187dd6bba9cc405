/**
 * The metric side of LogQL past its range aggregations (vector aggregations, binary operations,
 * literals, vector(), label_replace) is PromQL's, so it is not evaluated twice: the expression is
 * rewritten as PromQL text in which each range aggregation becomes the selector
 * `{__logql_range__="N"}`, whose series the LogQL engine computes from the logs and hands to the
 * PromQL engine (see engine.ts).
 */
import { quote } from '../promql/index.ts';
import type { Grouping, MetricExpr } from './ast.ts';

/** The label of the placeholder selectors. */
export const RANGE_PLACEHOLDER_LABEL = '__logql_range__';

/**
 * PromQL text for `e`, with range aggregation number i (in rangeAggregations order) as
 * `{__logql_range__="i"}`. Sub-expressions are parenthesized so PromQL precedence cannot differ.
 */
export function toPromQL(e: MetricExpr): string {
  let next = 0;
  const walk = (n: MetricExpr): string => {
    switch (n.kind) {
      case 'RangeAggregation':
        return `{${RANGE_PLACEHOLDER_LABEL}="${next++}"}`;
      case 'Literal':
        return number(n.value);
      case 'Vector':
        return `vector(${number(n.value)})`;
      case 'LabelReplace':
        return `label_replace(${walk(n.expr)}, ${quote(n.dst)}, ${quote(n.replacement)}, ${quote(n.src)}, ${quote(n.regex)})`;
      case 'VectorAggregation': {
        const inner = walk(n.expr);
        if (n.op === 'sort' || n.op === 'sort_desc') return `${n.op}(${inner})`;
        const param = n.param !== undefined ? `${number(n.param)}, ` : '';
        return `${n.op}${grouping(n.grouping)}(${param}${inner})`;
      }
      case 'Binary': {
        const m = n.modifier;
        let mod = m.returnBool ? ' bool' : '';
        if (m.matching !== undefined) {
          mod += ` ${m.on ? 'on' : 'ignoring'}(${m.matching.join(', ')})`;
          if (m.card === 'many-to-one') mod += ` group_left(${m.include.join(', ')})`;
          if (m.card === 'one-to-many') mod += ` group_right(${m.include.join(', ')})`;
        }
        return `(${walk(n.lhs)}) ${n.op}${mod} (${walk(n.rhs)})`;
      }
    }
  };
  return walk(e);
}

function grouping(g: Grouping | undefined): string {
  if (!g) return ' ';
  return ` ${g.without ? 'without' : 'by'} (${g.labels.join(', ')}) `;
}

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Inf';
  if (v === Number.NEGATIVE_INFINITY) return '(-Inf)';
  return v < 0 || Object.is(v, -0) ? `(${v})` : String(v);
}
