/**
 * Prints an AST back to PromQL the way Prometheus's Expr.String() does (promql/parser/printer.go),
 * so /api/v1/format_query and our own query rewriting produce the text Prometheus would.
 * Printing and re-parsing yields the same tree.
 */
import { isLegacyLabelName, METRIC_NAME } from '../../model/labels.ts';
import type { Matcher } from '../../model/matcher.ts';
import {
  type AggregateExpr,
  aggregateHasParam,
  type DurationExpr,
  type Expr,
  type SubqueryExpr,
  type VectorMatching,
  type Visitor,
  visit,
} from './ast.ts';
import { quote } from './go-strings.ts';

/** The canonical PromQL text of `expr`. */
export function formatExpr(expr: Expr): string {
  return visit(expr, PRINTER);
}

const PRINTER: Visitor<string> = {
  AggregateExpr: (n) => {
    let s = `${aggregatePrefix(n)}(`;
    if (aggregateHasParam(n.op) && n.param) s += `${formatExpr(n.param)}, `;
    return `${s}${formatExpr(n.expr)})`;
  },
  BinaryExpr: (n) =>
    `${formatExpr(n.lhs)} ${n.op}${n.returnBool ? ' bool' : ''}${matchingText(n.matching)} ${formatExpr(n.rhs)}`,
  Call: (n) => `${n.func}(${n.args.map(formatExpr).join(', ')})`,
  DurationExpr: (n) => durationExprText(n),
  MatrixSelector: (n) => {
    const vs = n.vectorSelector;
    const bare = selectorText(vs.name, vs.matchers);
    const extended = vs.anchored ? ' anchored' : vs.smoothed ? ' smoothed' : '';
    const range = n.rangeExpr ? durationExprText(n.rangeExpr) : formatPromDuration(n.range);
    return `${bare}[${range}]${extended}${atText(vs.timestamp, vs.startOrEnd)}${offsetText(vs.offset, vs.offsetExpr)}`;
  },
  NumberLiteral: (n) => {
    if (n.duration) {
      return n.value < 0 ? `-${formatPromDuration(-n.value * 1000)}` : formatPromDuration(n.value * 1000);
    }
    return formatGoFloat(n.value);
  },
  ParenExpr: (n) => `(${formatExpr(n.expr)})`,
  StepInvariantExpr: (n) => formatExpr(n.expr),
  StringLiteral: (n) => quote(n.value),
  SubqueryExpr: (n) => formatExpr(n.expr) + subqueryTimeSuffix(n),
  UnaryExpr: (n) => `${n.op}${formatExpr(n.expr)}`,
  VectorSelector: (n) => {
    let s = selectorText(n.name, n.matchers);
    s += atText(n.timestamp, n.startOrEnd);
    if (n.anchored) s += ' anchored';
    else if (n.smoothed) s += ' smoothed';
    return s + offsetText(n.offset, n.offsetExpr);
  },
};

/** `sum by (job) ` — an aggregation's operator and grouping (Prometheus's ShortString). */
export function aggregatePrefix(n: AggregateExpr): string {
  if (n.without) return `${n.op} without (${labelList(n.grouping)}) `;
  if (n.grouping.length > 0) return `${n.op} by (${labelList(n.grouping)}) `;
  return n.op;
}

/** `[range:step] @ t offset d` — everything a subquery adds after its expression. */
export function subqueryTimeSuffix(n: SubqueryExpr): string {
  const range = n.rangeExpr ? durationExprText(n.rangeExpr) : formatPromDuration(n.range);
  const step = n.step !== 0 ? formatPromDuration(n.step) : n.stepExpr ? durationExprText(n.stepExpr) : '';
  return `[${range}:${step}]${atText(n.timestamp, n.startOrEnd)}${offsetText(n.offset, n.offsetExpr)}`;
}

function selectorText(name: string, matchers: readonly Matcher[]): string {
  const parts: string[] = [];
  for (const m of matchers) {
    if (m.name === METRIC_NAME && m.type === '=' && m.value === name && m.value !== '') continue;
    parts.push(matcherText(m));
  }
  parts.sort();
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name;
}

/** A matcher as Prometheus prints it: name quoted when it is not a plain identifier. */
export function matcherText(m: Matcher): string {
  return `${shouldQuoteName(m.name) ? quote(m.name) : m.name}${m.type}${quote(m.value)}`;
}

function shouldQuoteName(name: string): boolean {
  if (name === '') return true;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9'))
      continue;
    return true;
  }
  return false;
}

function labelList(names: readonly string[]): string {
  return names.map((n) => (isLegacyLabelName(n) ? n : quote(n))).join(', ');
}

/** ` on (a) group_left (b) fill (0)` — a binary operator's modifiers after the operator. */
export function matchingText(vm: VectorMatching | undefined): string {
  if (!vm) return '';
  let s = '';
  const grouped = vm.card === 'many-to-one' || vm.card === 'one-to-many';
  if (vm.matchingLabels.length > 0 || vm.on || grouped) {
    s += ` ${vm.on ? 'on' : 'ignoring'} (${labelList(vm.matchingLabels)})`;
  }
  if (grouped) s += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${labelList(vm.include)})`;
  if (vm.fillLeft !== undefined || vm.fillRight !== undefined) {
    if (vm.fillLeft !== undefined && vm.fillRight !== undefined && Object.is(vm.fillLeft, vm.fillRight)) {
      s += ` fill (${formatGoFloatV(vm.fillLeft)})`;
    } else {
      if (vm.fillLeft !== undefined) s += ` fill_left (${formatGoFloatV(vm.fillLeft)})`;
      if (vm.fillRight !== undefined) s += ` fill_right (${formatGoFloatV(vm.fillRight)})`;
    }
  }
  return s;
}

function atText(timestamp: number | undefined, startOrEnd: 'start' | 'end' | undefined): string {
  if (timestamp !== undefined) return ` @ ${(timestamp / 1000).toFixed(3)}`;
  if (startOrEnd) return ` @ ${startOrEnd}()`;
  return '';
}

function offsetText(offset: number, offsetExpr: DurationExpr | undefined): string {
  if (offsetExpr) return ` offset ${durationExprText(offsetExpr)}`;
  if (offset > 0) return ` offset ${formatPromDuration(offset)}`;
  if (offset < 0) return ` offset -${formatPromDuration(-offset)}`;
  return '';
}

function durationExprText(n: DurationExpr): string {
  let s: string;
  switch (n.op) {
    case 'step':
      s = 'step()';
      break;
    case 'range':
      s = 'range()';
      break;
    case 'min_of':
    case 'max_of':
      s = `${n.op}(${formatExpr(n.lhs!)}, ${formatExpr(n.rhs!)})`;
      break;
    default:
      if (!n.lhs) s = n.op === '-' ? `-${formatExpr(n.rhs!)}` : formatExpr(n.rhs!);
      else s = `${formatExpr(n.lhs)} ${n.op} ${formatExpr(n.rhs!)}`;
  }
  return n.wrapped ? `(${s})` : s;
}

/**
 * Prometheus's model.Duration String(): `1h30m`, `90d` (years and weeks only when exact),
 * `0s` for zero. Takes milliseconds.
 */
export function formatPromDuration(ms: number): string {
  let rest = Math.trunc(ms);
  if (rest === 0) return '0s';
  let out = '';
  const unit = (name: string, size: number, exact: boolean) => {
    if (exact && rest % size !== 0) return;
    const v = Math.floor(rest / size);
    if (v > 0) {
      out += `${v}${name}`;
      rest -= v * size;
    }
  };
  unit('y', 365 * 24 * 3600_000, true);
  unit('w', 7 * 24 * 3600_000, true);
  unit('d', 24 * 3600_000, false);
  unit('h', 3600_000, false);
  unit('m', 60_000, false);
  unit('s', 1000, false);
  unit('ms', 1, false);
  return out;
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): shortest decimal without exponent. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  if (!/e/i.test(s)) return s;
  // Expand exponent notation without losing the shortest digits.
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s)!;
  const [, sign, d0, frac = '', expText] = m;
  const digits = d0 + frac;
  const exp = Number(expText);
  if (exp >= 0) {
    const intPart = digits.padEnd(exp + 1, '0');
    const head = intPart.slice(0, exp + 1);
    const tail = digits.slice(exp + 1);
    return sign + head + (tail ? `.${tail}` : '');
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** Go's %v / %g for a float64: shortest digits, exponent form below 1e-4 and from 1e6 up. */
export function formatGoFloatV(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 6) {
    const s = v.toExponential();
    return s.replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(v);
}
