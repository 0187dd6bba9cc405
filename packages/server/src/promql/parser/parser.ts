/**
 * PromQL parser: the Prometheus team's lezer grammar gives the tree structure; this module turns
 * it into our typed AST and reproduces the semantic actions of Prometheus's yacc grammar
 * (promql/parser/generated_parser.y, parse.go). Static type checks follow in check.ts.
 *
 * Three gaps between lezer and Prometheus are bridged here:
 *  - lezer's tokens are laxer (unterminated strings, odd numbers), so our port of Prometheus's
 *    lexer runs first and its errors win;
 *  - a few valid forms are unknown to this lezer grammar (`2.`, `0X1F`, upper-case `STEP()`,
 *    `min_of(a, b)` as a function): the text handed to lezer spells those tokens differently, at
 *    the same length, while values and names are always read from the original text;
 *  - lezer resolves `-1 ^ 2` as `(-1) ^ 2`; Prometheus binds `^` tighter than unary minus.
 */

import type { SyntaxNode } from '@lezer/common';
import { parser as lezerParser } from '@prometheus-io/lezer-promql';
import { isValidUtf8Name, METRIC_NAME } from '../../model/labels.ts';
import { type Matcher, type MatchType, newMatcher } from '../../model/matcher.ts';
import type {
  AggregateExpr,
  AggregateOp,
  BinaryExpr,
  BinaryOp,
  DurationExpr,
  Expr,
  MatrixSelector,
  NumberLiteral,
  PosRange,
  SubqueryExpr,
  VectorMatching,
  VectorSelector,
} from './ast.ts';
import { aggregateHasParam } from './ast.ts';
import { checkExpr } from './check.ts';
import { ParseError } from './errors.ts';
import { FUNCTIONS } from './functions.ts';
import { UnquoteError, unquote } from './go-strings.ts';
import { describeToken, lex, type Token } from './lexer.ts';

/** Which experimental syntax the parser accepts. Everything is on unless turned off. */
export interface ParseOptions {
  /** Experimental functions and aggregations (limitk, info, mad_over_time, ...). */
  readonly experimentalFunctions?: boolean;
  /** Duration arithmetic: `[5m * 2]`, `offset (1h / 2)`, `step()`, `range()`, `min_of()`. */
  readonly durationExpressions?: boolean;
  /** `anchored` and `smoothed` range selectors. */
  readonly extendedRangeSelectors?: boolean;
  /** `fill()`, `fill_left()`, `fill_right()` on binary operators. */
  readonly binopFillModifiers?: boolean;
}

interface Flags {
  experimentalFunctions: boolean;
  durationExpressions: boolean;
  extendedRangeSelectors: boolean;
  binopFillModifiers: boolean;
}

/**
 * Parses a PromQL expression into a checked AST. Throws ParseError (and nothing else) on bad
 * input; the message names the position, like Prometheus's `1:5: parse error: ...`.
 *
 * @example parseExpr('sum by (job) (rate(http_requests_total[5m]))')
 */
export function parseExpr(input: string, options: ParseOptions = {}): Expr {
  const flags: Flags = {
    experimentalFunctions: options.experimentalFunctions ?? true,
    durationExpressions: options.durationExpressions ?? true,
    extendedRangeSelectors: options.extendedRangeSelectors ?? true,
    binopFillModifiers: options.binopFillModifiers ?? true,
  };
  try {
    return parseInternal(input, flags);
  } catch (err) {
    if (err instanceof ParseError) throw err;
    // A bug of ours must still surface as a parse error rather than crash a request handler.
    throw new ParseError(
      input,
      { start: 0, end: input.length },
      `unexpected error: ${(err as Error).message}`,
    );
  }
}

/**
 * Parses a series selector (`name{label="value"}`, as in match[] parameters) into its matchers.
 * Offsets, `@` and ranges are rejected. Throws ParseError.
 */
export function parseMetricSelector(input: string): Matcher[] {
  const tokens = lex(input);
  const last = tokens[tokens.length - 1];
  if (last.type === 'ERROR') throw new ParseError(input, { start: last.pos, end: input.length }, last.val);
  const b = new Builder(input, tokens, {
    experimentalFunctions: true,
    durationExpressions: true,
    extendedRangeSelectors: true,
    binopFillModifiers: true,
  });
  const top = b.lezerTop();
  b.throwSyntaxError(top);
  const node = b.kids(top)[0];
  if (node?.name !== 'VectorSelector') {
    // Point at whatever follows the selector (a range, an operator...).
    let inner: SyntaxNode | undefined = node;
    while (inner && inner.name !== 'VectorSelector') inner = b.kids(inner)[0];
    const t = inner ? b.tokenAtOrAfter(inner.to) : node ? b.tokenAt(node.from) : tokens[0];
    throw new ParseError(input, { start: t.pos, end: input.length }, `unexpected ${describeToken(t)}`);
  }
  const vs = b.vectorSelector(node);
  b.throwFirstError();
  return [...vs.matchers];
}

function parseInternal(input: string, flags: Flags): Expr {
  const tokens = lex(input);
  const b = new Builder(input, tokens, flags);
  if (tokens.length === 1 && tokens[0].type === 'EOF') {
    throw new ParseError(input, { start: 0, end: 0 }, 'no expression found in input');
  }
  const top = b.lezerTop();
  b.throwSyntaxError(top);
  const first = b.kids(top)[0];
  if (!first) throw new ParseError(input, { start: 0, end: 0 }, 'no expression found in input');
  const expr = b.expr(first);
  b.throwFirstError();
  const errors: ParseError[] = [];
  const checked = checkExpr(expr, input, errors);
  if (errors.length > 0) throw errors[0];
  return checked;
}

const DURATION_FUNCTIONS = new Set(['min_of', 'max_of']);
const POSTFIX = new Set([
  'MatrixSelector',
  'SubqueryExpr',
  'OffsetExpr',
  'StepInvariantExpr',
  'AnchoredExpr',
  'SmoothedExpr',
]);
const LEZER_NUMBER =
  /^(?:\d+(?:_?\d)*(?:\.\d+(?:_?\d)*)?|\.\d+(?:_?\d)*)(?:[eE][+-]?\d+(?:_?\d)*)?$|^0x[0-9a-fA-F]+$/;

/** Builds our AST from lezer's tree, collecting semantic errors as Prometheus's parser does. */
class Builder {
  private readonly errors: ParseError[] = [];
  /** Token start position → token, for reading literal values. */
  private readonly tokenByPos = new Map<number, Token>();

  constructor(
    private readonly input: string,
    private readonly tokens: readonly Token[],
    private readonly flags: Flags,
  ) {
    for (const t of tokens) this.tokenByPos.set(t.pos, t);
  }

  /** Parses the lezer-compatible spelling of the input and returns the top node. */
  lezerTop(): SyntaxNode {
    return lezerParser.parse(this.lezerText()).topNode;
  }

  /** Throws the first syntax error: a lexer error or the first error node in lezer's tree. */
  throwSyntaxError(top: SyntaxNode): void {
    const lexErr =
      this.tokens[this.tokens.length - 1].type === 'ERROR' ? this.tokens[this.tokens.length - 1] : undefined;
    let errPos: number | undefined;
    const cursor = top.cursor();
    do {
      if (cursor.type.isError) {
        errPos = cursor.from;
        break;
      }
    } while (cursor.next());
    if (errPos === undefined) {
      if (lexErr) throw new ParseError(this.input, { start: lexErr.pos, end: this.input.length }, lexErr.val);
      return;
    }
    const tok = this.tokenAtOrAfter(errPos);
    // A lexer error at or right after the offending token came first in Prometheus's parser.
    if (lexErr && lexErr.pos <= tok.pos + tok.val.length) {
      throw new ParseError(this.input, { start: lexErr.pos, end: this.input.length }, lexErr.val);
    }
    const { detail, at } = this.unexpected(tok);
    throw new ParseError(this.input, { start: at.pos, end: at.pos + at.val.length }, detail);
  }

  throwFirstError(): void {
    if (this.errors.length > 0) throw this.errors[0];
  }

  /** Prometheus's "unexpected <token> in <context>, expected <what>" for a syntax error. */
  private unexpected(tok: Token): { detail: string; at: Token } {
    const idx = this.tokens.indexOf(tok);
    const prev = idx > 0 ? this.tokens[idx - 1] : undefined;
    const exprStart = prev === undefined || prev.type !== 'AGGREGATOR';
    if (
      exprStart &&
      tok.type === 'IDENTIFIER' &&
      this.tokens[idx + 1]?.type === 'LEFT_PAREN' &&
      !FUNCTIONS.has(tok.val)
    ) {
      return { detail: `unknown function with name ${JSON.stringify(tok.val)}`, at: tok };
    }
    if (prev?.type === 'IDENTIFIER' && tok.type === 'LEFT_PAREN' && !FUNCTIONS.has(prev.val)) {
      return { detail: `unknown function with name ${JSON.stringify(prev.val)}`, at: prev };
    }
    if (tok.type === 'RIGHT_PAREN' && prev?.type === 'COMMA') {
      return { detail: 'trailing commas not allowed in function call args', at: prev };
    }
    const context = this.errorContext(idx);
    return { detail: `unexpected ${describeToken(tok)}${context}`, at: tok };
  }

  /** The " in <context>, expected <what>" part, from the tokens before the error. */
  private errorContext(idx: number): string {
    const toks = this.tokens;
    const prev = toks[idx - 1];
    if (!prev) return '';
    const lower = prev.val.toLowerCase();
    if (prev.type === 'KEYWORD' && lower === 'offset')
      return ' in offset, expected number, duration, step(), or range()';
    if (prev.type === 'OPERATOR' && prev.val === '@') return ' in @, expected timestamp';
    if (prev.type === 'KEYWORD' && (lower === 'by' || lower === 'without'))
      return ' in grouping opts, expected "("';
    // Inside braces: label matching.
    let depth = 0;
    for (let i = idx - 1; i >= 0; i--) {
      const t = toks[i];
      if (t.type === 'RIGHT_BRACE') break;
      if (t.type === 'LEFT_BRACE') {
        if (prev.type === 'LEFT_BRACE' || prev.type === 'COMMA')
          return ' in label matching, expected identifier or "}"';
        if (prev.type === 'EQL' || (prev.type === 'OPERATOR' && ['!=', '=~', '!~'].includes(prev.val))) {
          return ' in label matching, expected string';
        }
        const beforePrev = toks[idx - 2];
        if (
          prev.type === 'STRING' &&
          beforePrev &&
          (beforePrev.type === 'EQL' || beforePrev.type === 'OPERATOR')
        ) {
          return ' in label matching, expected "," or "}"';
        }
        return ' in label matching, expected label matching operator';
      }
    }
    // Inside the parentheses after by/without: grouping labels.
    for (let i = idx - 1; i >= 0; i--) {
      const t = toks[i];
      if (t.type === 'RIGHT_PAREN') depth++;
      else if (t.type === 'LEFT_PAREN') {
        if (depth > 0) {
          depth--;
          continue;
        }
        const kw = toks[i - 1];
        const k = kw?.val.toLowerCase();
        const grouping =
          kw?.type === 'KEYWORD' &&
          (k === 'by' ||
            k === 'without' ||
            k === 'on' ||
            k === 'ignoring' ||
            k === 'group_left' ||
            k === 'group_right');
        if (!grouping) break;
        if (prev.type === 'LEFT_PAREN' || prev.type === 'COMMA') return ' in grouping opts, expected label';
        return ' in grouping opts, expected "," or ")"';
      }
    }
    // Inside brackets: ranges and subqueries.
    for (let i = idx - 1; i >= 0; i--) {
      const t = toks[i];
      if (t.type === 'RIGHT_BRACKET') break;
      if (t.type !== 'LEFT_BRACKET') continue;
      const inner = toks.slice(i + 1, idx);
      const colon = inner.findIndex((x) => x.type === 'COLON');
      const hasNumber = (xs: Token[]) =>
        xs.some((x) => x.type === 'NUMBER' || x.type === 'DURATION' || x.type === 'RIGHT_PAREN');
      if (colon < 0) {
        if (!hasNumber(inner))
          return ' in subquery or range selector, expected number, duration, step(), or range()';
        return ' in subquery or range, expected ":" or "]"';
      }
      if (!hasNumber(inner.slice(colon + 1)))
        return ' in subquery selector, expected number, duration, step(), range(), or "]"';
      return ' in subquery selector, expected "]"';
    }
    return '';
  }

  /** The token starting at `pos`, else the first token after it. */
  tokenAtOrAfter(pos: number): Token {
    for (const t of this.tokens) if (t.pos >= pos) return t;
    return this.tokens[this.tokens.length - 1];
  }

  tokenAt(pos: number): Token {
    return this.tokenByPos.get(pos) ?? this.tokenAtOrAfter(pos);
  }

  /**
   * The input with tokens lezer cannot read respelled at the same length: every number becomes
   * `0`, every duration `1s` (values come from our tokens), duration keywords are lower-cased,
   * and min_of/max_of called as functions are spelled as a function lezer knows.
   */
  private lezerText(): string {
    const chars = this.input.split('');
    const put = (t: Token, text: string) => {
      for (let i = 0; i < t.val.length; i++) chars[t.pos + i] = i < text.length ? text[i] : ' ';
    };
    const durationContext = this.durationContextTokens();
    for (const t of this.tokens) {
      if (t.type === 'KEYWORD' && t.val.toLowerCase() === 'offset' && this.atExpressionStart(t)) {
        // `offset` may name a metric where an expression starts; lezer only knows the keyword.
        put(t, 'offse_');
      } else if (t.type === 'NUMBER' && !/^(inf|nan)$/i.test(t.val) && !LEZER_NUMBER.test(t.val)) put(t, '0');
      else if (t.type === 'DURATION' && t.val.length >= 2) put(t, '1s');
      else if (t.type === 'PREPROCESSOR') {
        const lower = t.val.toLowerCase();
        if (DURATION_FUNCTIONS.has(lower) && !durationContext.has(t)) put(t, 'abs');
        else if (durationContext.has(t)) put(t, lower);
      }
    }
    return chars.join('');
  }

  /** True when `t` stands where an expression begins (input start, after "(", "," or an operator). */
  private atExpressionStart(t: Token): boolean {
    const i = this.tokens.indexOf(t);
    const prev = this.tokens[i - 1];
    return (
      prev === undefined ||
      prev.type === 'LEFT_PAREN' ||
      prev.type === 'COMMA' ||
      (prev.type === 'OPERATOR' && prev.val !== '@')
    );
  }

  /** Tokens inside `[...]` or in the duration expression right after `offset`. */
  private durationContextTokens(): Set<Token> {
    const out = new Set<Token>();
    const toks = this.tokens;
    let bracket = false;
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i];
      if (t.type === 'LEFT_BRACKET') bracket = true;
      else if (t.type === 'RIGHT_BRACKET') bracket = false;
      else if (bracket) out.add(t);
      if (t.type === 'KEYWORD' && t.val.toLowerCase() === 'offset') {
        let j = i + 1;
        while (toks[j] && toks[j].type === 'OPERATOR' && (toks[j].val === '-' || toks[j].val === '+')) j++;
        if (toks[j]?.type === 'PREPROCESSOR') {
          out.add(toks[j]);
          j++;
        }
        if (toks[j]?.type === 'LEFT_PAREN') {
          let depth = 0;
          for (; j < toks.length; j++) {
            if (toks[j].type === 'LEFT_PAREN') depth++;
            else if (toks[j].type === 'RIGHT_PAREN') depth--;
            out.add(toks[j]);
            if (depth === 0) break;
          }
        }
      }
    }
    return out;
  }

  private error(pos: PosRange, detail: string): void {
    this.errors.push(new ParseError(this.input, pos, detail));
  }

  private text(n: SyntaxNode): string {
    return this.input.slice(n.from, n.to);
  }

  textOf(n: SyntaxNode): string {
    return this.text(n);
  }

  kids(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== 'LineComment') out.push(c);
    return out;
  }

  private unquoteAt(n: SyntaxNode): string {
    const raw = this.text(n);
    try {
      return unquote(raw);
    } catch (err) {
      if (!(err instanceof UnquoteError)) throw err;
      this.error(
        { start: n.from, end: n.to },
        `error unquoting string ${JSON.stringify(raw)}: invalid syntax`,
      );
      return '';
    }
  }

  // ---- expressions ----

  expr(n: SyntaxNode): Expr {
    switch (n.name) {
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'BinaryExpr':
      case 'UnaryExpr':
        return this.operatorExpr(n);
      case 'FunctionCall':
        return this.call(n);
      case 'MatrixSelector':
      case 'OffsetExpr':
      case 'AnchoredExpr':
      case 'SmoothedExpr':
      case 'SubqueryExpr':
      case 'StepInvariantExpr':
        return this.operatorExpr(n);
      case 'NumberDurationLiteral':
        return /^[-+]/.test(this.text(n)) ? this.operatorExpr(n) : this.numberLiteral(n);
      case 'ParenExpr': {
        const inner = this.kids(n)[0];
        return { kind: 'ParenExpr', expr: this.expr(inner), pos: { start: n.from, end: n.to } };
      }
      case 'StringLiteral':
        return { kind: 'StringLiteral', value: this.unquoteAt(n), pos: { start: n.from, end: n.to } };
      case 'VectorSelector':
        return this.vectorSelector(n);
      default:
        throw new ParseError(this.input, { start: n.from, end: n.to }, `unexpected ${this.text(n)}`);
    }
  }

  /**
   * Operators. lezer's tree does not follow Prometheus's precedence everywhere: its postfix
   * modifiers (`[range]`, `[range:step]`, `offset`, `@`, `anchored`, `smoothed`) apply to the
   * whole expression on their left (`a + b offset 1m` reads as `(a + b) offset 1m`), and a
   * signed literal binds before `^` (`-1 ^ 2` reads as `(-1) ^ 2`). So an operator subtree is
   * flattened back into its sequence of operands and operators and re-parsed with Prometheus's
   * precedence: postfix modifiers tightest, then `^` (right-associative), unary +/-, `* / %
   * atan2`, `+ -`, comparisons, `and unless`, `or`.
   */
  private operatorExpr(n: SyntaxNode): Expr {
    const items: OpItem[] = [];
    this.flatten(n, items);
    const p = new PrecedenceParser(items, this);
    return p.parse();
  }

  private flatten(n: SyntaxNode, out: OpItem[]): void {
    switch (n.name) {
      case 'BinaryExpr': {
        const kids = this.kids(n);
        this.flatten(kids[0], out);
        out.push({ kind: 'binary', node: n, opNode: kids[1], modifiers: kids.slice(2, -1) });
        this.flatten(kids[kids.length - 1], out);
        return;
      }
      case 'UnaryExpr': {
        const [opNode, inner] = this.kids(n);
        out.push({ kind: 'unary', op: this.text(opNode) as '+' | '-', pos: opNode.from });
        this.flatten(inner, out);
        return;
      }
      case 'NumberDurationLiteral': {
        const raw = this.text(n);
        if (raw[0] === '-' || raw[0] === '+') {
          out.push({ kind: 'unary', op: raw[0] as '+' | '-', pos: n.from });
          let p = n.from + 1;
          while (p < n.to && /\s/.test(this.input[p])) p++;
          out.push({ kind: 'atom', build: () => this.unsignedNumber(p, n.to) });
          return;
        }
        out.push({ kind: 'atom', build: () => this.numberLiteral(n) });
        return;
      }
      default:
        if (POSTFIX.has(n.name)) {
          this.flatten(this.kids(n)[0], out);
          out.push({ kind: 'postfix', node: n });
          return;
        }
        out.push({ kind: 'atom', build: () => this.expr(n) });
    }
  }

  private unsignedNumber(start: number, end: number): NumberLiteral {
    const tok = this.tokenAt(start);
    const pos = { start, end };
    if (tok.type === 'DURATION') {
      const ms = parsePromDuration(tok.val);
      if (typeof ms === 'string') {
        this.error(pos, ms);
        return { kind: 'NumberLiteral', value: 0, duration: true, pos };
      }
      return { kind: 'NumberLiteral', value: ms / 1000, duration: true, pos };
    }
    const v = parseNumber(tok.val);
    if (v === undefined) {
      this.error(
        pos,
        `error parsing number: strconv.ParseFloat: parsing ${JSON.stringify(tok.val)}: invalid syntax`,
      );
      return { kind: 'NumberLiteral', value: 0, duration: false, pos };
    }
    return { kind: 'NumberLiteral', value: v, duration: false, pos };
  }

  /** Applies a unary operator; a literal absorbs the sign, as in Prometheus's grammar. */
  unaryOf(op: '+' | '-', opPos: number, e: Expr): Expr {
    if (e.kind === 'NumberLiteral') {
      return { ...e, value: op === '-' ? -e.value : e.value, pos: { start: opPos, end: e.pos.end } };
    }
    return { kind: 'UnaryExpr', op, expr: e, pos: { start: opPos, end: e.pos.end } };
  }

  /** Builds a binary node from lezer's operator and modifier nodes. */
  binaryOf(opNode: SyntaxNode, modifiers: readonly SyntaxNode[], lhs: Expr, rhs: Expr): BinaryExpr {
    const op = binaryOpOf(this.text(opNode).toLowerCase());
    let returnBool = false;
    let card: VectorMatching['card'] = 'one-to-one';
    let on = false;
    let matchingLabels: string[] = [];
    let include: string[] = [];
    let fillLeft: number | undefined;
    let fillRight: number | undefined;
    for (const k of modifiers) {
      if (k.name === 'BoolModifier') returnBool = true;
      else if (k.name === 'MatchingModifierClause') {
        const mk = this.kids(k);
        on = mk[0].name === 'On';
        matchingLabels = this.groupingLabels(mk[1]);
        if (mk[2]) {
          card = mk[2].name === 'GroupLeft' ? 'many-to-one' : 'one-to-many';
          include = mk[3] ? this.groupingLabels(mk[3]) : [];
        }
      } else if (k.name === 'FillModifier') {
        for (const clause of this.kids(k)) {
          const lit = this.kids(clause).find((c) => c.name === 'NumberDurationLiteral');
          const v = lit ? this.numberValue(lit).value : 0;
          if (clause.name === 'FillClause') {
            fillLeft = v;
            fillRight = v;
          } else if (clause.name === 'FillLeftClause') fillLeft = v;
          else fillRight = v;
        }
      }
    }
    return this.binaryNode(op, lhs, rhs, returnBool, {
      card,
      on,
      matchingLabels,
      include,
      fillLeft,
      fillRight,
    });
  }

  applyPostfix(n: SyntaxNode, inner: Expr): Expr {
    switch (n.name) {
      case 'MatrixSelector':
        return this.matrixSelector(n, inner);
      case 'SubqueryExpr':
        return this.subquery(n, inner);
      case 'OffsetExpr':
        return this.offsetExpr(n, inner);
      case 'StepInvariantExpr':
        return this.atModifier(n, inner);
      default:
        return this.extendedRange(n, inner);
    }
  }

  private numberValue(n: SyntaxNode): { value: number; duration: boolean; start: number } {
    // NumberDurationLiteral: optional sign, then the number token.
    let sign = 1;
    let p = n.from;
    const raw = this.text(n);
    if (raw[0] === '-' || raw[0] === '+') {
      if (raw[0] === '-') sign = -1;
      p++;
      while (p < n.to && /\s/.test(this.input[p])) p++;
    }
    const tok = this.tokenAt(p);
    if (tok.type === 'DURATION') {
      const ms = parsePromDuration(tok.val);
      if (typeof ms === 'string') {
        this.error({ start: tok.pos, end: tok.pos + tok.val.length }, ms);
        return { value: 0, duration: true, start: n.from };
      }
      return { value: (sign * ms) / 1000, duration: true, start: n.from };
    }
    const v = parseNumber(tok.val);
    const problem = numberProblem(tok.val, v);
    if (problem) {
      this.error({ start: tok.pos, end: tok.pos + tok.val.length }, problem);
      return { value: 0, duration: false, start: n.from };
    }
    return { value: sign * v!, duration: false, start: n.from };
  }

  private numberLiteral(n: SyntaxNode): NumberLiteral {
    const v = this.numberValue(n);
    return { kind: 'NumberLiteral', value: v.value, duration: v.duration, pos: { start: n.from, end: n.to } };
  }

  private binaryNode(
    op: BinaryOp,
    lhs: Expr,
    rhs: Expr,
    returnBool: boolean,
    matching: VectorMatching,
  ): BinaryExpr {
    const node: BinaryExpr = {
      kind: 'BinaryExpr',
      op,
      lhs,
      rhs,
      matching,
      returnBool,
      pos: { start: lhs.pos.start, end: rhs.pos.end },
    };
    if (
      !this.flags.binopFillModifiers &&
      (matching.fillLeft !== undefined || matching.fillRight !== undefined)
    ) {
      this.error(node.pos, 'binop fill modifiers are experimental and not enabled');
    }
    return node;
  }

  private groupingLabels(n: SyntaxNode): string[] {
    const out: string[] = [];
    for (const k of this.kids(n)) {
      if (k.name === 'LabelName') {
        out.push(this.text(k));
      } else if (k.name === 'QuotedLabelName') {
        const s = this.kids(k)[0];
        const name = this.unquoteAt(s);
        if (!isValidUtf8Name(name)) {
          this.error(
            { start: s.from, end: s.to },
            `invalid label name for grouping: ${JSON.stringify(name)}`,
          );
        }
        out.push(name);
      }
    }
    return out;
  }

  private call(n: SyntaxNode): Expr {
    const [idNode, body] = this.kids(n);
    // Read the name from our token: the lezer spelling of min_of/max_of differs.
    const name = this.tokenAt(idNode.from).val;
    const pos = { start: n.from, end: n.to };
    const fn = FUNCTIONS.get(name);
    if (!fn)
      this.error(
        { start: idNode.from, end: idNode.to },
        `unknown function with name ${JSON.stringify(name)}`,
      );
    else if (fn.experimental && !this.flags.experimentalFunctions) {
      this.error({ start: idNode.from, end: idNode.to }, `function ${JSON.stringify(name)} is not enabled`);
    }
    const args = this.kids(body).map((a) => this.expr(a));
    return { kind: 'Call', func: name, args, pos };
  }

  private aggregate(n: SyntaxNode): AggregateExpr {
    const kids = this.kids(n);
    const op = this.text(kids[0]).toLowerCase() as AggregateOp;
    let grouping: string[] = [];
    let without = false;
    let body: SyntaxNode | undefined;
    for (const k of kids.slice(1)) {
      if (k.name === 'AggregateModifier') {
        const mk = this.kids(k);
        without = mk[0].name === 'Without';
        grouping = this.groupingLabels(mk[1]);
      } else if (k.name === 'FunctionCallBody') body = k;
    }
    const pos = { start: n.from, end: n.to };
    const args = body ? this.kids(body).map((a) => this.expr(a)) : [];
    const placeholder: Expr = { kind: 'NumberLiteral', value: 0, duration: false, pos };
    const result = (expr: Expr, param: Expr | undefined): AggregateExpr => ({
      kind: 'AggregateExpr',
      op,
      expr,
      param,
      grouping,
      without,
      pos,
    });
    if (args.length === 0) {
      this.error(pos, 'no arguments for aggregate expression provided');
      return result(placeholder, undefined);
    }
    let desired = 1;
    let param: Expr | undefined;
    if (aggregateHasParam(op)) {
      if (!this.flags.experimentalFunctions && (op === 'limitk' || op === 'limit_ratio')) {
        this.error(
          pos,
          `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`,
        );
        return result(placeholder, undefined);
      }
      desired = 2;
      param = args[0];
    }
    if (args.length !== desired) {
      this.error(
        pos,
        `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`,
      );
      return result(args[args.length - 1], param);
    }
    return result(args[desired - 1], param);
  }

  vectorSelector(n: SyntaxNode): VectorSelector {
    let name = '';
    const matchers: Matcher[] = [];
    for (const k of this.kids(n)) {
      if (k.name === 'Identifier') name = this.text(k);
      else if (k.name === 'LabelMatchers') {
        for (const m of this.kids(k)) {
          const matcher = this.labelMatcher(m);
          if (matcher) matchers.push(matcher);
        }
      }
    }
    if (name !== '') matchers.push(newMatcher('=', METRIC_NAME, name));
    return {
      kind: 'VectorSelector',
      name,
      matchers,
      offset: 0,
      offsetExpr: undefined,
      timestamp: undefined,
      startOrEnd: undefined,
      anchored: false,
      smoothed: false,
      bypassEmptyMatcherCheck: false,
      pos: { start: n.from, end: n.to },
    };
  }

  private labelMatcher(m: SyntaxNode): Matcher | undefined {
    const parts = this.kids(m);
    if (m.name === 'QuotedLabelName') {
      return this.makeMatcher('=', METRIC_NAME, this.unquoteAt(parts[0]), m);
    }
    const nameNode = parts[0];
    const labelName =
      m.name === 'QuotedLabelMatcher' ? this.unquoteAt(this.kids(nameNode)[0]) : this.text(nameNode);
    const type = this.text(parts[1]) as MatchType;
    const value = this.unquoteAt(parts[2]);
    return this.makeMatcher(type, labelName, value, m);
  }

  private makeMatcher(type: MatchType, name: string, value: string, n: SyntaxNode): Matcher | undefined {
    try {
      return newMatcher(type, name, value);
    } catch (err) {
      this.error({ start: n.from, end: n.to }, (err as Error).message);
      return undefined;
    }
  }

  private durationArg(n: SyntaxNode, positive: boolean): { ms: number; expr: DurationExpr | undefined } {
    const e = this.durationExpr(n);
    if (e.kind === 'NumberLiteral') {
      if (positive && e.value <= 0) {
        this.error(e.pos, 'duration must be greater than 0');
        return { ms: 0, expr: undefined };
      }
      return { ms: secondsToMs(e.value), expr: undefined };
    }
    return { ms: 0, expr: e };
  }

  /** DurationExpr / OffsetDurationExpr → NumberLiteral or DurationExpr. */
  private durationExpr(n: SyntaxNode): NumberLiteral | DurationExpr {
    const kids = this.kids(n);
    const pos = { start: n.from, end: n.to };
    const head = kids[0]?.name;
    if (kids.length === 1 && head !== 'DurationStep' && head !== 'DurationRange') {
      const k = kids[0];
      if (k.name === 'NumberDurationLiteralInDurationContext') {
        const lit = this.numberLiteralAt(k);
        if (durationOutOfRange(lit.value)) {
          this.error(lit.pos, 'duration out of range');
          return { ...lit, value: 0 };
        }
        return lit;
      }
      if (k.from > n.from && this.input[n.from] === '(') {
        // "(" DurationExpr ")": Prometheus marks it wrapped, and wraps a bare literal in a
        // unary plus so that it prints with its parentheses.
        const inner = this.durationExpr(k);
        this.experimentalDuration(inner);
        if (inner.kind === 'DurationExpr') return { ...inner, wrapped: true };
        return { kind: 'DurationExpr', op: '+', lhs: undefined, rhs: inner, wrapped: true, pos };
      }
      return this.durationExpr(k);
    }
    const first = kids[0];
    // Function-like primaries: step(), range(), min_of(a, b), max_of(a, b).
    if (first.name === 'DurationStep' || first.name === 'DurationRange') {
      const de: DurationExpr = {
        kind: 'DurationExpr',
        op: first.name === 'DurationStep' ? 'step' : 'range',
        lhs: undefined,
        rhs: undefined,
        wrapped: false,
        pos,
      };
      this.experimentalDuration(de);
      return de;
    }
    if (first.name === 'DurationMinOf' || first.name === 'DurationMaxOf') {
      const args = kids.filter((k) => k.name === 'DurationExpr');
      const de: DurationExpr = {
        kind: 'DurationExpr',
        op: first.name === 'DurationMinOf' ? 'min_of' : 'max_of',
        lhs: this.durationExpr(args[0]),
        rhs: this.durationExpr(args[1]),
        wrapped: false,
        pos,
      };
      this.experimentalDuration(de);
      return de;
    }
    if (first.name === 'UnaryOp') {
      const op = this.text(first) as '+' | '-';
      return this.unaryDuration(op, first.from, this.durationExpr(kids[1]));
    }
    if (kids.length === 3) {
      const lhs = this.durationExpr(kids[0]);
      const rhs = this.durationExpr(kids[2]);
      const op = this.text(kids[1]) as DurationExpr['op'];
      this.experimentalDuration(lhs);
      if ((op === '/' || op === '%') && rhs.kind === 'NumberLiteral' && rhs.value === 0) {
        this.error(
          { start: kids[1].from, end: kids[1].to },
          op === '/' ? 'division by zero' : 'modulo by zero',
        );
        return { kind: 'NumberLiteral', value: 0, duration: false, pos };
      }
      return {
        kind: 'DurationExpr',
        op,
        lhs,
        rhs,
        wrapped: false,
        pos: { start: lhs.pos.start, end: rhs.pos.end },
      };
    }
    throw new ParseError(
      this.input,
      pos,
      `unexpected ${JSON.stringify(this.text(n))} in duration expression`,
    );
  }

  private unaryDuration(
    op: '+' | '-',
    opPos: number,
    inner: NumberLiteral | DurationExpr,
  ): NumberLiteral | DurationExpr {
    if (inner.kind === 'DurationExpr') {
      if (op === '+') return inner;
      return {
        kind: 'DurationExpr',
        op: '-',
        lhs: undefined,
        rhs: inner,
        wrapped: false,
        pos: { start: opPos, end: inner.pos.end },
      };
    }
    const value = op === '-' ? -inner.value : inner.value;
    if (durationOutOfRange(value)) {
      this.error({ start: opPos, end: opPos + 1 }, 'duration out of range');
      return { ...inner, value: 0 };
    }
    return { ...inner, value, pos: { start: opPos, end: inner.pos.end } };
  }

  private numberLiteralAt(n: SyntaxNode): NumberLiteral {
    const v = this.numberValue(n);
    return { kind: 'NumberLiteral', value: v.value, duration: v.duration, pos: { start: n.from, end: n.to } };
  }

  private experimentalDuration(e: Expr): void {
    if (!this.flags.durationExpressions) this.error(e.pos, 'experimental duration expression is not enabled');
  }

  private matrixSelector(n: SyntaxNode, inner: Expr): Expr {
    const kids = this.kids(n);
    const durNode = kids.find((k) => k.name === 'DurationExpr')!;
    const bracketStart = this.input.lastIndexOf('[', durNode.from);
    const errRange = { start: bracketStart, end: n.to };
    if (inner.kind !== 'VectorSelector') this.error(errRange, 'ranges only allowed for vector selectors');
    else if (inner.offset !== 0 || inner.offsetExpr)
      this.error(errRange, 'no offset modifiers allowed before range');
    else if (inner.timestamp !== undefined || inner.startOrEnd)
      this.error(errRange, 'no @ modifiers allowed before range');
    const range = this.durationArg(durNode, true);
    const vs: VectorSelector = inner.kind === 'VectorSelector' ? inner : placeholderSelector(inner.pos);
    const m: MatrixSelector = {
      kind: 'MatrixSelector',
      vectorSelector: vs,
      range: range.ms,
      rangeExpr: range.expr,
      pos: { start: inner.pos.start, end: n.to },
    };
    return m;
  }

  private subquery(n: SyntaxNode, inner: Expr): SubqueryExpr {
    const kids = this.kids(n);
    const durs = kids.filter((k) => k.name === 'DurationExpr');
    const range = this.durationArg(durs[0], true);
    const step = durs[1] ? this.durationArg(durs[1], true) : { ms: 0, expr: undefined };
    return {
      kind: 'SubqueryExpr',
      expr: inner,
      range: range.ms,
      rangeExpr: range.expr,
      offset: 0,
      offsetExpr: undefined,
      timestamp: undefined,
      startOrEnd: undefined,
      step: step.ms,
      stepExpr: step.expr,
      pos: { start: inner.pos.start, end: n.to },
    };
  }

  private offsetExpr(n: SyntaxNode, inner: Expr): Expr {
    const kids = this.kids(n);
    const durNode = kids[kids.length - 1];
    const d = this.durationArg(durNode, false);
    const end = n.to;
    const setOn = <T extends VectorSelector | SubqueryExpr>(t: T): T => {
      if (t.offset !== 0 || t.offsetExpr) {
        this.error(inner.pos, 'offset may not be set multiple times');
        return t;
      }
      return { ...t, offset: d.ms, offsetExpr: d.expr, pos: { start: t.pos.start, end } };
    };
    switch (inner.kind) {
      case 'VectorSelector':
        return setOn(inner);
      case 'MatrixSelector': {
        const vs = setOn(inner.vectorSelector);
        return {
          ...inner,
          vectorSelector: { ...vs, pos: inner.vectorSelector.pos },
          pos: { start: inner.pos.start, end },
        };
      }
      case 'SubqueryExpr':
        return setOn(inner);
      default:
        this.error(
          inner.pos,
          'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
        );
        return inner;
    }
  }

  private atModifier(n: SyntaxNode, inner: Expr): Expr {
    const kids = this.kids(n);
    const arg = kids[kids.length - 1];
    let timestamp: number | undefined;
    let startOrEnd: 'start' | 'end' | undefined;
    if (arg.name === 'AtModifierPreprocessors') {
      startOrEnd = this.text(arg).toLowerCase() === 'start' ? 'start' : 'end';
    } else {
      const v = this.numberValue(arg).value;
      if (!Number.isFinite(v) || v >= 9.223372036854776e18 || v <= -9.223372036854776e18) {
        this.error(inner.pos, `timestamp out of bounds for @ modifier: ${formatGoFloatF(v)}`);
      }
      timestamp = Math.round(v * 1000);
    }
    const end = n.to;
    const setOn = <T extends VectorSelector | SubqueryExpr>(t: T): T => {
      if (t.timestamp !== undefined || t.startOrEnd) {
        this.error(inner.pos, '@ <timestamp> may not be set multiple times');
        return t;
      }
      return { ...t, timestamp, startOrEnd, pos: { start: t.pos.start, end } };
    };
    switch (inner.kind) {
      case 'VectorSelector':
        return setOn(inner);
      case 'MatrixSelector': {
        const vs = setOn(inner.vectorSelector);
        return {
          ...inner,
          vectorSelector: { ...vs, pos: inner.vectorSelector.pos },
          pos: { start: inner.pos.start, end },
        };
      }
      case 'SubqueryExpr':
        return setOn(inner);
      default:
        this.error(
          inner.pos,
          '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
        );
        return inner;
    }
  }

  private extendedRange(n: SyntaxNode, inner: Expr): Expr {
    const which = n.name === 'AnchoredExpr' ? 'anchored' : 'smoothed';
    if (!this.flags.extendedRangeSelectors) {
      this.error(inner.pos, `${which} modifier is experimental and not enabled`);
      return inner;
    }
    const apply = (vs: VectorSelector): VectorSelector => {
      const other = which === 'anchored' ? vs.smoothed : vs.anchored;
      if (other) this.error(inner.pos, 'anchored and smoothed modifiers cannot be used together');
      return which === 'anchored' ? { ...vs, anchored: true } : { ...vs, smoothed: true };
    };
    switch (inner.kind) {
      case 'VectorSelector':
        return apply(inner);
      case 'MatrixSelector':
        return { ...inner, vectorSelector: apply(inner.vectorSelector) };
      case 'SubqueryExpr':
        this.error(inner.pos, `${which} modifier is not supported for subqueries`);
        return inner;
      default:
        this.error(inner.pos, `${which} modifier not implemented`);
        return inner;
    }
  }
}

function placeholderSelector(pos: PosRange): VectorSelector {
  return {
    kind: 'VectorSelector',
    name: '',
    matchers: [],
    offset: 0,
    offsetExpr: undefined,
    timestamp: undefined,
    startOrEnd: undefined,
    anchored: false,
    smoothed: false,
    bypassEmptyMatcherCheck: true,
    pos,
  };
}

const BINARY_OPS: Readonly<Record<string, BinaryOp>> = {
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '%': '%',
  '^': '^',
  atan2: 'atan2',
  '==': '==',
  '!=': '!=',
  '>': '>',
  '<': '<',
  '>=': '>=',
  '<=': '<=',
  and: 'and',
  or: 'or',
  unless: 'unless',
  '</': '</',
  '>/': '>/',
};

function binaryOpOf(text: string): BinaryOp {
  const op = BINARY_OPS[text];
  if (!op) throw new Error(`unknown binary operator ${text}`);
  return op;
}

/** Seconds (as a float) to whole milliseconds, rounding to nanoseconds first as Prometheus does. */
export function secondsToMs(seconds: number): number {
  return Math.trunc(Math.round(seconds * 1e9) / 1e6);
}

/** The largest duration Go's time.Duration holds, in seconds. */
const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;

function durationOutOfRange(seconds: number): boolean {
  return seconds > MAX_DURATION_SECONDS || seconds < -MAX_DURATION_SECONDS;
}

/** Go's %f formatting (6 decimals), used in a few error messages. */
function formatGoFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return v.toFixed(6);
}

/**
 * Prometheus's number(): strconv.ParseInt(s, 0, 64) (hex, octal with a leading 0, underscores),
 * then strconv.ParseFloat. Returns undefined when neither accepts the text.
 */
export function parseNumber(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  let s = text;
  let sign = 1;
  if (s[0] === '+' || s[0] === '-') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s.includes('_')) {
    // Underscores must sit between digits (or right after a base prefix).
    if (!/^(0[xX]_?)?[0-9a-fA-F_.eE+-]+$/.test(s) || /(^|[^0-9a-fA-FxX])_|_($|[^0-9a-fA-F])/.test(s))
      return undefined;
    s = s.replace(/_/g, '');
  }
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return sign * Number.parseInt(s.slice(2), 16);
  if (/^0[0-7]+$/.test(s)) return sign * Number.parseInt(s, 8);
  if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return sign * Number(s);
  return undefined;
}

/** One element of a flattened operator expression. */
type OpItem =
  | { readonly kind: 'atom'; readonly build: () => Expr }
  | { readonly kind: 'unary'; readonly op: '+' | '-'; readonly pos: number }
  | { readonly kind: 'postfix'; readonly node: SyntaxNode }
  | {
      readonly kind: 'binary';
      readonly node: SyntaxNode;
      readonly opNode: SyntaxNode;
      readonly modifiers: readonly SyntaxNode[];
    };

/** Prometheus's operator precedence (generated_parser.y), higher binds tighter. */
function precedence(op: string): number {
  switch (op) {
    case 'or':
      return 1;
    case 'and':
    case 'unless':
      return 2;
    case '==':
    case '!=':
    case '<=':
    case '<':
    case '>=':
    case '>':
    case '</':
    case '>/':
      return 3;
    case '+':
    case '-':
      return 4;
    case '*':
    case '/':
    case '%':
    case 'atan2':
      return 5;
    case '^':
      return 6;
    default:
      return 0;
  }
}

/** Unary +/- has the precedence of `*`: its operand extends over `^` only. */
const UNARY_OPERAND_PRECEDENCE = 6;

/** Precedence climbing over a flattened operator expression. */
class PrecedenceParser {
  private i = 0;

  constructor(
    private readonly items: readonly OpItem[],
    private readonly b: Builder,
  ) {}

  parse(): Expr {
    return this.expr(1);
  }

  private expr(minPrec: number): Expr {
    let lhs = this.unary();
    for (;;) {
      const it = this.items[this.i];
      if (it?.kind !== 'binary') return lhs;
      const op = (it.opNode as SyntaxNode).type.name === 'Atan2' ? 'atan2' : this.opText(it);
      const prec = precedence(op);
      if (prec < minPrec) return lhs;
      this.i++;
      const rhs = this.expr(op === '^' ? prec : prec + 1);
      lhs = this.b.binaryOf(it.opNode, it.modifiers, lhs, rhs);
    }
  }

  private opText(it: Extract<OpItem, { kind: 'binary' }>): string {
    return this.b.textOf(it.opNode).toLowerCase();
  }

  private unary(): Expr {
    const it = this.items[this.i];
    if (it?.kind === 'unary') {
      this.i++;
      const operand = this.expr(UNARY_OPERAND_PRECEDENCE);
      return this.b.unaryOf(it.op, it.pos, operand);
    }
    return this.primary();
  }

  private primary(): Expr {
    const it = this.items[this.i++];
    if (it?.kind !== 'atom') throw new Error('malformed operator expression');
    let e = it.build();
    while (this.items[this.i]?.kind === 'postfix') {
      const p = this.items[this.i++] as Extract<OpItem, { kind: 'postfix' }>;
      e = this.b.applyPostfix(p.node, e);
    }
    return e;
  }
}

/** Why a number token is not a valid float64, in strconv.ParseFloat's words; undefined if it is. */
function numberProblem(text: string, v: number | undefined): string | undefined {
  if (v === undefined)
    return `error parsing number: strconv.ParseFloat: parsing ${JSON.stringify(text)}: invalid syntax`;
  if (!Number.isFinite(v) && !/inf/i.test(text) && !Number.isNaN(v)) {
    return `error parsing number: strconv.ParseFloat: parsing ${JSON.stringify(text)}: value out of range`;
  }
  return undefined;
}

const DURATION_UNITS: Readonly<Record<string, { ms: number; pos: number }>> = {
  y: { ms: 365 * 24 * 3600_000, pos: 1 },
  w: { ms: 7 * 24 * 3600_000, pos: 2 },
  d: { ms: 24 * 3600_000, pos: 3 },
  h: { ms: 3600_000, pos: 4 },
  m: { ms: 60_000, pos: 5 },
  s: { ms: 1000, pos: 6 },
  ms: { ms: 1, pos: 7 },
};

/**
 * Prometheus's model.ParseDuration: milliseconds, or the error message for text that is not a
 * duration (units from largest to smallest, each at most once).
 */
export function parsePromDuration(text: string): number | string {
  if (text === '0') return 0;
  if (text === '') return 'empty duration string';
  let s = text;
  let ms = 0;
  let lastUnitPos = 0;
  while (s !== '') {
    const digits = /^[0-9]+/.exec(s);
    if (!digits) return `not a valid duration string: ${JSON.stringify(text)}`;
    const v = Number(digits[0]);
    s = s.slice(digits[0].length);
    const unitText = /^[^0-9]+/.exec(s);
    if (!unitText) return `not a valid duration string: ${JSON.stringify(text)}`;
    s = s.slice(unitText[0].length);
    const unit = DURATION_UNITS[unitText[0]];
    if (!unit) return `unknown unit ${JSON.stringify(unitText[0])} in duration ${JSON.stringify(text)}`;
    if (unit.pos <= lastUnitPos) return `not a valid duration string: ${JSON.stringify(text)}`;
    lastUnitPos = unit.pos;
    ms += v * unit.ms;
    if (ms * 1e6 > 2 ** 63 - 1) return 'duration out of range';
  }
  return ms;
}
