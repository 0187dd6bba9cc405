import { type Expr, FUNCTIONS, type Visitor, visit } from '../../promql/index.ts';

/**
 * /api/v1/parse_query's answer: Prometheus's JSON encoding of the syntax tree (the one its UI's
 * tree view reads; web/api/v1/translate_ast.go), produced from our AST.
 */
export function translateAst(expr: Expr | undefined): unknown {
  return expr === undefined ? null : visit(expr, TRANSLATE);
}

const matchers = (ms: readonly { type: string; name: string; value: string }[]) =>
  ms.map((m) => ({ name: m.name, value: m.value, type: m.type }));

const TRANSLATE: Visitor<unknown> = {
  AggregateExpr: (n) => ({
    type: 'aggregation',
    op: n.op,
    expr: translateAst(n.expr),
    param: translateAst(n.param),
    grouping: [...n.grouping],
    without: n.without,
  }),
  BinaryExpr: (n) => ({
    type: 'binaryExpr',
    op: n.op,
    lhs: translateAst(n.lhs),
    rhs: translateAst(n.rhs),
    matching: n.matching
      ? {
          card: n.matching.card,
          labels: [...n.matching.matchingLabels],
          on: n.matching.on,
          include: [...n.matching.include],
        }
      : null,
    bool: n.returnBool,
  }),
  Call: (n) => {
    const f = FUNCTIONS.get(n.func);
    return {
      type: 'call',
      func: {
        name: n.func,
        argTypes: f?.argTypes ?? [],
        variadic: f?.variadic ?? 0,
        returnType: f?.returnType ?? 'vector',
      },
      args: n.args.map((a) => translateAst(a)),
    };
  },
  DurationExpr: (n) => ({
    type: 'durationExpr',
    op: n.op,
    lhs: translateAst(n.lhs),
    rhs: translateAst(n.rhs),
  }),
  MatrixSelector: (n) => ({
    type: 'matrixSelector',
    name: n.vectorSelector.name,
    range: n.range,
    offset: n.vectorSelector.offset,
    matchers: matchers(n.vectorSelector.matchers),
    timestamp: n.vectorSelector.timestamp ?? null,
    startOrEnd: n.vectorSelector.startOrEnd ?? null,
  }),
  SubqueryExpr: (n) => ({
    type: 'subquery',
    expr: translateAst(n.expr),
    range: n.range,
    offset: n.offset,
    step: n.step,
    timestamp: n.timestamp ?? null,
    startOrEnd: n.startOrEnd ?? null,
  }),
  NumberLiteral: (n) => ({ type: 'numberLiteral', val: formatFixed(n.value) }),
  ParenExpr: (n) => ({ type: 'parenExpr', expr: translateAst(n.expr) }),
  StringLiteral: (n) => ({ type: 'stringLiteral', val: n.value }),
  UnaryExpr: (n) => ({ type: 'unaryExpr', op: n.op, expr: translateAst(n.expr) }),
  VectorSelector: (n) => ({
    type: 'vectorSelector',
    name: n.name,
    offset: n.offset,
    matchers: matchers(n.matchers),
    timestamp: n.timestamp ?? null,
    startOrEnd: n.startOrEnd ?? null,
  }),
  StepInvariantExpr: (n) => translateAst(n.expr),
};

/** Go's strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFixed(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s.startsWith('-');
  const mantissa = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const [int, frac = ''] = mantissa.split('.');
  const digits = int + frac;
  const point = int.length + exp;
  const body =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${body}` : body;
}
