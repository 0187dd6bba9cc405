/**
 * TraceQL text → syntax tree (ast.ts), by recursive descent over lexer tokens. Precedences are
 * Tempo's (pkg/traceql/expr.y), lowest first:
 *
 *   pipelines   `|`
 *   spansets    `&&` `||`, then the structural operators `>` `>>` `<` `<<` `~` (and their
 *               `!` and `&` forms), all left-associative
 *   fields      `&&` `||`; comparisons `= != > >= < <= =~ !~`; `+ -`; `* / %`; `^` (right);
 *               prefix `!` and `-`
 *
 * Every error is a TraceQLParseError naming the line and column.
 */
import { compileRegex, RegexError } from '../../model/regex.ts';
import type {
  AggregateFn,
  AggregateNode,
  AttributeNode,
  BinaryOp,
  FieldExpr,
  Intrinsic,
  IntrinsicNode,
  PipelineNode,
  Query,
  ScalarExpr,
  ScalarFilterNode,
  SelectNode,
  SpansetExpr,
  SpansetOp,
  Stage,
  StaticNode,
} from './ast.ts';
import { TraceQLParseError } from './errors.ts';
import { type Token, tokenize } from './lexer.ts';

const SPANSET_OPS: Record<string, { op: SpansetOp; prec: number }> = {
  '&&': { op: '&&', prec: 1 },
  '||': { op: '||', prec: 1 },
  '>': { op: '>', prec: 2 },
  '>>': { op: '>>', prec: 2 },
  '<': { op: '<', prec: 2 },
  '<<': { op: '<<', prec: 2 },
  '~': { op: '~', prec: 2 },
  '!>': { op: '!>', prec: 2 },
  '!>>': { op: '!>>', prec: 2 },
  '!<': { op: '!<', prec: 2 },
  '!<<': { op: '!<<', prec: 2 },
  '!~': { op: '!~', prec: 2 },
  '&>': { op: '&>', prec: 2 },
  '&>>': { op: '&>>', prec: 2 },
  '&<': { op: '&<', prec: 2 },
  '&<<': { op: '&<<', prec: 2 },
  '&~': { op: '&~', prec: 2 },
};

const FIELD_OPS: Record<string, { op: BinaryOp; prec: number; right?: boolean }> = {
  '&&': { op: '&&', prec: 1 },
  '||': { op: '||', prec: 1 },
  '=': { op: '=', prec: 2 },
  '!=': { op: '!=', prec: 2 },
  '>': { op: '>', prec: 2 },
  '>=': { op: '>=', prec: 2 },
  '<': { op: '<', prec: 2 },
  '<=': { op: '<=', prec: 2 },
  '=~': { op: '=~', prec: 2 },
  '!~': { op: '!~', prec: 2 },
  '+': { op: '+', prec: 3 },
  '-': { op: '-', prec: 3 },
  '*': { op: '*', prec: 4 },
  '/': { op: '/', prec: 4 },
  '%': { op: '%', prec: 4 },
  '^': { op: '^', prec: 5, right: true },
};

const SCALAR_OPS: Record<string, { op: '+' | '-' | '*' | '/' | '%' | '^'; prec: number; right?: boolean }> = {
  '+': { op: '+', prec: 1 },
  '-': { op: '-', prec: 1 },
  '*': { op: '*', prec: 2 },
  '/': { op: '/', prec: 2 },
  '%': { op: '%', prec: 2 },
  '^': { op: '^', prec: 3, right: true },
};

const COMPARISONS = new Set(['=', '!=', '>', '>=', '<', '<=']);

/** Unscoped intrinsic names (`{ duration > 1s }`). */
const INTRINSICS: Record<string, Intrinsic> = {
  name: 'name',
  status: 'status',
  statusMessage: 'statusMessage',
  kind: 'kind',
  duration: 'duration',
  childCount: 'childCount',
  traceDuration: 'traceDuration',
  rootName: 'rootName',
  rootServiceName: 'rootServiceName',
  rootService: 'rootServiceName',
};

/** Scoped intrinsics (`span:name`, `trace:duration` ...). */
const SCOPED_INTRINSICS: Record<string, Record<string, Intrinsic>> = {
  span: {
    name: 'name',
    status: 'status',
    statusMessage: 'statusMessage',
    kind: 'kind',
    duration: 'duration',
    childCount: 'childCount',
    id: 'spanID',
    parentID: 'parentID',
  },
  trace: {
    duration: 'traceDuration',
    rootName: 'rootName',
    rootService: 'rootServiceName',
    rootServiceName: 'rootServiceName',
    id: 'traceID',
  },
  event: { name: 'eventName', timeSinceStart: 'eventTimeSinceStart' },
  link: { traceID: 'linkTraceID', spanID: 'linkSpanID' },
  instrumentation: { name: 'instrumentationName', version: 'instrumentationVersion' },
};

const KEYWORD_STATICS: Record<string, StaticNode['value']> = {
  true: { type: 'bool', value: true },
  false: { type: 'bool', value: false },
  nil: { type: 'nil', value: null },
  unset: { type: 'status', value: 0 },
  ok: { type: 'status', value: 1 },
  error: { type: 'status', value: 2 },
  unspecified: { type: 'kind', value: 0 },
  internal: { type: 'kind', value: 1 },
  server: { type: 'kind', value: 2 },
  client: { type: 'kind', value: 3 },
  producer: { type: 'kind', value: 4 },
  consumer: { type: 'kind', value: 5 },
  minInt: { type: 'int', value: Number.MIN_SAFE_INTEGER },
  maxInt: { type: 'int', value: Number.MAX_SAFE_INTEGER },
};

const AGGREGATES = new Set<string>(['count', 'avg', 'min', 'max', 'sum']);

/** Parses a TraceQL query; throws TraceQLParseError. */
export function parseTraceQL(text: string): Query {
  const p = new Parser(text);
  return { root: p.parseRoot(), text };
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'op' && t.text === text;
  }

  private accept(text: string): boolean {
    if (this.isOp(text)) {
      this.i++;
      return true;
    }
    return false;
  }

  private expect(text: string, what: string): Token {
    const t = this.peek();
    if (t.kind === 'op' && t.text === text) return this.next();
    return this.fail(`expected ${JSON.stringify(text)} ${what}, found ${describe(t)}`, t);
  }

  private fail(msg: string, t: Token = this.peek(), end = t.end): never {
    throw new TraceQLParseError(msg, this.text, t.start, Math.max(end, t.start + 1));
  }

  parseRoot(): SpansetExpr {
    if (this.peek().kind === 'eof') this.fail('empty query: write a spanset filter such as { }');
    const root = this.parsePipelineExpr();
    const t = this.peek();
    if (t.kind !== 'eof') {
      if (t.kind === 'op' && SPANSET_OPS[t.text]) {
        this.fail(
          `a pipeline must be in parentheses to be combined with ${t.text}, as in ({ ... } | count() > 1) ${t.text} { ... }`,
        );
      }
      this.fail(`unexpected ${describe(t)}`);
    }
    return root;
  }

  /** A spanset expression, optionally followed by `| stage` ... */
  private parsePipelineExpr(): SpansetExpr {
    const first = this.parseStage(true);
    if (!this.isOp('|')) {
      if (isSpansetExpr(first)) return first;
      return { kind: 'pipeline', stages: [first] };
    }
    const stages: Stage[] = [first];
    while (this.accept('|')) stages.push(this.parseStage(false));
    const pipeline: PipelineNode = { kind: 'pipeline', stages };
    return pipeline;
  }

  private parseStage(first: boolean): Stage {
    const t = this.peek();
    if (t.kind === 'ident' && t.text === 'select' && this.isOp('(', 1)) return this.parseSelect();
    if (t.kind === 'ident' && t.text === 'coalesce' && this.isOp('(', 1)) {
      if (first) this.fail('coalesce() must follow a spanset, as in { ... } | coalesce()');
      this.next();
      this.expect('(', 'after coalesce');
      this.expect(')', 'after coalesce(');
      return { kind: 'coalesce' };
    }
    if (t.kind === 'ident' && t.text === 'by' && this.isOp('(', 1)) {
      this.fail('by() grouping is not supported by Vigil; remove it or filter with a spanset per group');
    }
    if (this.startsScalar()) return this.parseScalarFilter();
    return this.parseSpansetExpr(0);
  }

  /** True when the next tokens begin an aggregate expression (`count()`, `2 * avg(...)` ...). */
  private startsScalar(): boolean {
    let k = 0;
    while (this.isOp('(', k)) k++;
    const t = this.peek(k);
    if (t.kind === 'ident' && AGGREGATES.has(t.text) && this.isOp('(', k + 1)) return true;
    if (t.kind === 'int' || t.kind === 'float' || t.kind === 'duration') return true;
    return t.kind === 'op' && t.text === '-';
  }

  private parseSpansetExpr(minPrec: number): SpansetExpr {
    let lhs = this.parseSpansetTerm();
    for (;;) {
      const t = this.peek();
      const info = t.kind === 'op' ? SPANSET_OPS[t.text] : undefined;
      if (!info || info.prec < minPrec) return lhs;
      this.next();
      const rhs = this.parseSpansetExpr(info.prec + 1);
      lhs = { kind: 'spansetOp', op: info.op, lhs, rhs };
    }
  }

  private parseSpansetTerm(): SpansetExpr {
    const t = this.peek();
    if (this.accept('{')) {
      if (this.accept('}'))
        return { kind: 'spansetFilter', expr: { kind: 'static', value: { type: 'bool', value: true } } };
      const expr = this.parseField(0);
      const close = this.peek();
      if (!this.accept('}')) {
        this.fail(`expected "}" to close the spanset filter, found ${describe(close)}`, close);
      }
      return { kind: 'spansetFilter', expr };
    }
    if (this.accept('(')) {
      const inner = this.parsePipelineExpr();
      this.expect(')', 'to close "("');
      return inner;
    }
    return this.fail(`expected a spanset filter "{ ... }" or "(", found ${describe(t)}`, t);
  }

  // ---------------------------------------------------------------------------------------------
  // Field expressions

  private parseField(minPrec: number): FieldExpr {
    let lhs = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const info = t.kind === 'op' ? FIELD_OPS[t.text] : undefined;
      if (!info || info.prec < minPrec) return lhs;
      this.next();
      const rhs = this.parseField(info.right ? info.prec : info.prec + 1);
      if (info.op === '=~' || info.op === '!~') this.checkRegex(rhs, t);
      lhs = { kind: 'binary', op: info.op, lhs, rhs };
    }
  }

  private checkRegex(rhs: FieldExpr, opToken: Token): void {
    if (rhs.kind !== 'static' || rhs.value.type !== 'string') {
      this.fail(`the right side of ${opToken.text} must be a string (a regular expression)`, opToken);
    }
    try {
      compileRegex(rhs.value.value);
    } catch (err) {
      if (err instanceof RegexError) this.fail(err.message, opToken);
      throw err;
    }
  }

  private parseUnary(): FieldExpr {
    const t = this.peek();
    if (this.accept('!')) return { kind: 'unary', op: '!', operand: this.parseUnary() };
    if (this.accept('-')) {
      const operand = this.parseUnary();
      if (
        operand.kind === 'static' &&
        (operand.value.type === 'int' || operand.value.type === 'float' || operand.value.type === 'duration')
      ) {
        return {
          kind: 'static',
          value: { ...operand.value, value: -operand.value.value } as StaticNode['value'],
        };
      }
      if (operand.kind === 'static') this.fail('"-" applies to numbers and durations only', t);
      return { kind: 'unary', op: '-', operand };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): FieldExpr {
    const t = this.peek();
    switch (t.kind) {
      case 'string':
        this.next();
        return { kind: 'static', value: { type: 'string', value: t.text } };
      case 'int':
        this.next();
        return { kind: 'static', value: { type: 'int', value: t.number! } };
      case 'float':
        this.next();
        return { kind: 'static', value: { type: 'float', value: t.number! } };
      case 'duration':
        this.next();
        return { kind: 'static', value: { type: 'duration', value: t.number! } };
      case 'attribute':
        this.next();
        return this.attributeNode(t);
      case 'scopedIntrinsic':
        this.next();
        return this.scopedIntrinsic(t);
      case 'ident': {
        this.next();
        const stat = KEYWORD_STATICS[t.text];
        if (stat) return { kind: 'static', value: stat };
        const intrinsic = INTRINSICS[t.text];
        if (intrinsic) return { kind: 'intrinsic', intrinsic, text: t.text };
        return this.fail(
          `unknown identifier ${JSON.stringify(t.text)}: write attributes as .${t.text}, span.${t.text} or resource.${t.text}`,
          t,
        );
      }
      case 'op':
        if (this.accept('(')) {
          const inner = this.parseField(0);
          this.expect(')', 'to close "("');
          return inner;
        }
        return this.fail(`expected a value, attribute or intrinsic, found ${describe(t)}`, t);
      default:
        return this.fail(`expected a value, attribute or intrinsic, found ${describe(t)}`, t);
    }
  }

  private attributeNode(t: Token): AttributeNode {
    const scope = t.scope as AttributeNode['scope'];
    return { kind: 'attribute', scope, name: t.text, text: this.text.slice(t.start, t.end) };
  }

  private scopedIntrinsic(t: Token): IntrinsicNode {
    const intrinsic = SCOPED_INTRINSICS[t.scope!]?.[t.text];
    if (!intrinsic) {
      const known = Object.keys(SCOPED_INTRINSICS[t.scope!] ?? {}).map((n) => `${t.scope}:${n}`);
      this.fail(`unknown intrinsic ${t.scope}:${t.text}; known: ${known.join(', ')}`, t);
    }
    return { kind: 'intrinsic', intrinsic, text: this.text.slice(t.start, t.end) };
  }

  // ---------------------------------------------------------------------------------------------
  // Pipeline stages

  private parseSelect(): SelectNode {
    this.next();
    this.expect('(', 'after select');
    const fields: (AttributeNode | IntrinsicNode)[] = [];
    do {
      const t = this.peek();
      if (t.kind === 'attribute') {
        this.next();
        fields.push(this.attributeNode(t));
      } else if (t.kind === 'scopedIntrinsic') {
        this.next();
        fields.push(this.scopedIntrinsic(t));
      } else if (t.kind === 'ident' && INTRINSICS[t.text]) {
        this.next();
        fields.push({ kind: 'intrinsic', intrinsic: INTRINSICS[t.text], text: t.text });
      } else {
        this.fail(`select() takes attributes or intrinsics, found ${describe(t)}`, t);
      }
    } while (this.accept(','));
    this.expect(')', 'to close select(');
    return { kind: 'select', fields };
  }

  private parseScalarFilter(): ScalarFilterNode {
    const start = this.peek();
    const lhs = this.parseScalar(0);
    const t = this.peek();
    if (t.kind !== 'op' || !COMPARISONS.has(t.text)) {
      this.fail(`expected a comparison (= != > >= < <=) after the aggregate, found ${describe(t)}`, t);
    }
    this.next();
    const rhs = this.parseScalar(0);
    if (!hasAggregate(lhs) && !hasAggregate(rhs)) {
      this.fail('a comparison in a pipeline needs an aggregate such as count() or avg(duration)', start);
    }
    return { kind: 'scalarFilter', op: t.text as ScalarFilterNode['op'], lhs, rhs };
  }

  private parseScalar(minPrec: number): ScalarExpr {
    let lhs = this.parseScalarPrimary();
    for (;;) {
      const t = this.peek();
      const info = t.kind === 'op' ? SCALAR_OPS[t.text] : undefined;
      if (!info || info.prec < minPrec) return lhs;
      this.next();
      const rhs = this.parseScalar(info.right ? info.prec : info.prec + 1);
      lhs = { kind: 'scalarOp', op: info.op, lhs, rhs };
    }
  }

  private parseScalarPrimary(): ScalarExpr {
    const t = this.peek();
    if (this.accept('(')) {
      const inner = this.parseScalar(0);
      this.expect(')', 'to close "("');
      return inner;
    }
    if (this.accept('-')) {
      const inner = this.parseScalarPrimary();
      if (inner.kind === 'static' && typeof inner.value.value === 'number') {
        return {
          kind: 'static',
          value: { ...inner.value, value: -inner.value.value } as StaticNode['value'],
        };
      }
      return {
        kind: 'scalarOp',
        op: '-',
        lhs: { kind: 'static', value: { type: 'int', value: 0 } },
        rhs: inner,
      };
    }
    if (t.kind === 'int' || t.kind === 'float' || t.kind === 'duration') {
      this.next();
      return { kind: 'static', value: { type: t.kind, value: t.number! } };
    }
    if (t.kind === 'ident' && AGGREGATES.has(t.text)) {
      this.next();
      this.expect('(', `after ${t.text}`);
      const fn = t.text as AggregateFn;
      let field: FieldExpr | undefined;
      if (fn === 'count') {
        if (!this.isOp(')')) this.fail('count() takes no argument', this.peek());
      } else {
        if (this.isOp(')'))
          this.fail(`${fn}() needs a value to aggregate, as in ${fn}(duration)`, this.peek());
        field = this.parseField(0);
      }
      const close = this.expect(')', `to close ${fn}(`);
      const node: AggregateNode = { kind: 'aggregate', fn, field, text: this.text.slice(t.start, close.end) };
      return node;
    }
    return this.fail(`expected an aggregate such as count() or a number, found ${describe(t)}`, t);
  }
}

function isSpansetExpr(stage: Stage): stage is SpansetExpr {
  return stage.kind === 'spansetFilter' || stage.kind === 'spansetOp' || stage.kind === 'pipeline';
}

function hasAggregate(e: ScalarExpr): boolean {
  if (e.kind === 'aggregate') return true;
  if (e.kind === 'scalarOp') return hasAggregate(e.lhs) || hasAggregate(e.rhs);
  return false;
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of query';
    case 'string':
      return `string ${JSON.stringify(t.text)}`;
    case 'attribute':
      return `attribute ${t.scope === 'none' ? '.' : `${t.scope}.`}${t.text}`;
    case 'scopedIntrinsic':
      return `${t.scope}:${t.text}`;
    default:
      return JSON.stringify(t.text);
  }
}
