/**
 * Multi-line formatting of long expressions, as Prometheus's Prettify does for
 * /api/v1/format_query: a node whose one-line form is longer than 100 bytes is split, its
 * children indented by two spaces per level.
 */
import { aggregateHasParam, type Expr } from './ast.ts';
import { utf8Length } from './go-strings.ts';
import { aggregatePrefix, formatExpr, matchingText, subqueryTimeSuffix } from './printer.ts';

/** The expression formatted over several lines where it is longer than `maxLineLength` bytes. */
export function prettifyExpr(expr: Expr, maxLineLength = 100): string {
  return new Prettier(maxLineLength).pretty(expr, 0);
}

function indent(level: number): string {
  return '  '.repeat(level);
}

class Prettier {
  constructor(private readonly max: number) {}

  private needsSplit(e: Expr): boolean {
    return utf8Length(formatExpr(e)) > this.max;
  }

  pretty(e: Expr, level: number): string {
    const needsSplit = (x: Expr) => this.needsSplit(x);
    const pretty = (x: Expr, l: number) => this.pretty(x, l);
    switch (e.kind) {
      case 'AggregateExpr': {
        if (!needsSplit(e)) return indent(level) + formatExpr(e);
        let s = `${indent(level)}${aggregatePrefix(e)}(\n`;
        if (aggregateHasParam(e.op) && e.param) s += `${pretty(e.param, level + 1)},\n`;
        return `${s}${pretty(e.expr, level + 1)}\n${indent(level)})`;
      }
      case 'BinaryExpr': {
        if (!needsSplit(e)) return indent(level) + formatExpr(e);
        const op = `${e.op}${e.returnBool ? ' bool' : ''}${matchingText(e.matching)}`;
        return `${pretty(e.lhs, level + 1)}\n${indent(level)}${op}\n${pretty(e.rhs, level + 1)}`;
      }
      case 'Call': {
        if (!needsSplit(e)) return indent(level) + formatExpr(e);
        const args = e.args.map((a) => pretty(a, level + 1)).join(',\n');
        return `${indent(level)}${e.func}(\n${args}\n${indent(level)})`;
      }
      case 'ParenExpr':
        if (!needsSplit(e)) return indent(level) + formatExpr(e);
        return `${indent(level)}(\n${pretty(e.expr, level + 1)}\n${indent(level)})`;
      case 'StepInvariantExpr':
        return pretty(e.expr, level);
      case 'SubqueryExpr':
        // Like Prometheus, an unsplit subquery is not indented.
        if (!needsSplit(e)) return formatExpr(e);
        return pretty(e.expr, level) + subqueryTimeSuffix(e);
      case 'UnaryExpr':
        return `${indent(level)}${e.op}${pretty(e.expr, level).trim()}`;
      case 'DurationExpr':
      case 'MatrixSelector':
      case 'NumberLiteral':
      case 'StringLiteral':
      case 'VectorSelector':
        return indent(level) + formatExpr(e);
    }
  }
}
