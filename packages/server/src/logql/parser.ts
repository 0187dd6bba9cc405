/**
 * LogQL parser: tokens (lexer.ts) → syntax tree (ast.ts), by recursive descent over the language
 * of Loki's grammar (pkg/logql/syntax/syntax.y), then the checks Loki makes after parsing
 * (a selector needs a matcher that cannot match empty; unwrap only where it belongs; ...).
 * Every problem is a LogQLParseError with the offending token's line and column.
 */
import { type Matcher, type MatchType, newMatcher } from '../model/matcher.ts';
import { RegexError } from '../model/regex.ts';
import type {
  BinaryExpr,
  BinaryModifier,
  BinaryOp,
  CompareOp,
  Expr,
  Grouping,
  LabelExtraction,
  LabelFilter,
  LabelFormat,
  LineFilter,
  LineFilterOp,
  LogRange,
  LogSelectorExpr,
  MetricExpr,
  NamedMatcher,
  ParserKind,
  RangeAggregationExpr,
  RangeOp,
  Stage,
  Unwrap,
  UnwrapConversion,
  VectorOp,
} from './ast.ts';
import { LogQLParseError } from './errors.ts';
import { describeToken, lex, type Token } from './lexer.ts';
import { compileGoRegex } from './pipeline/regex.ts';

/** Longest query accepted, as Loki's maxInputSize. */
const MAX_INPUT = 131072;

const RANGE_OPS = new Set<string>([
  'count_over_time',
  'rate',
  'rate_counter',
  'bytes_over_time',
  'bytes_rate',
  'avg_over_time',
  'sum_over_time',
  'min_over_time',
  'max_over_time',
  'stdvar_over_time',
  'stddev_over_time',
  'quantile_over_time',
  'first_over_time',
  'last_over_time',
  'absent_over_time',
]);
const VECTOR_OPS = new Set<string>([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'sort',
  'sort_desc',
]);
/** Range aggregations that read an unwrapped label's value rather than counting lines. */
const UNWRAP_OPS = new Set<RangeOp>([
  'avg_over_time',
  'sum_over_time',
  'min_over_time',
  'max_over_time',
  'stdvar_over_time',
  'stddev_over_time',
  'quantile_over_time',
  'first_over_time',
  'last_over_time',
  'rate_counter',
]);
const PARSERS = new Set<string>(['json', 'logfmt', 'regexp', 'pattern', 'unpack']);
const BINARY_PRECEDENCE: Readonly<Record<string, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '>': 3,
  '>=': 3,
  '<': 3,
  '<=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  '^': 6,
};
const COMPARISONS = new Set(['==', '!=', '>', '>=', '<', '<=']);

/**
 * Parses and checks a LogQL query.
 *
 * @example parseLogQL('sum by (app) (rate({env="prod"} |= "error" [5m]))')
 */
export function parseLogQL(input: string): Expr {
  if (input.length >= MAX_INPUT) {
    throw new LogQLParseError(`input size too long (${input.length} > ${MAX_INPUT})`);
  }
  const p = new Parser(lex(input));
  const expr = p.parseTop();
  validate(expr);
  return expr;
}

/** Parses `{a="b", c=~"d"}` (a selector alone, as the series and tail APIs take). */
export function parseStreamSelector(input: string): Matcher[] {
  const expr = parseLogQL(input);
  if (expr.kind !== 'LogSelector' || expr.pipeline.length > 0) {
    throw new LogQLParseError('only label matchers are supported');
  }
  return [...expr.matchers];
}

class Parser {
  private i = 0;

  constructor(private readonly tokens: Token[]) {}

  private get tok(): Token {
    return this.tokens[this.i];
  }

  private peek(n = 1): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.tokens[this.i];
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private isOp(text: string, t: Token = this.tok): boolean {
    return t.kind === 'OP' && t.text === text;
  }

  private isWord(word: string, t: Token = this.tok): boolean {
    return t.kind === 'IDENT' && t.text.toLowerCase() === word;
  }

  private fail(t: Token, expecting?: string): never {
    const unexpected =
      t.kind === 'IDENT' || t.kind === 'EOF' || t.kind === 'OP'
        ? describeToken(t)
        : `${describeToken(t)} ${t.text}`.trim();
    throw new LogQLParseError(
      `syntax error: unexpected ${unexpected}${expecting ? `, expecting ${expecting}` : ''}`,
      t.line,
      t.col,
    );
  }

  private expectOp(text: string, name: string): Token {
    if (!this.isOp(text)) this.fail(this.tok, name);
    return this.next();
  }

  private expect(kind: Token['kind'], name: string): Token {
    if (this.tok.kind !== kind) this.fail(this.tok, name);
    return this.next();
  }

  parseTop(): Expr {
    if (this.tok.kind === 'EOF') this.fail(this.tok);
    const e = this.parseBinary(0);
    const rest: Token = this.tok;
    if (rest.kind !== 'EOF') this.fail(rest);
    return e;
  }

  /** Binary operations by precedence climbing; log selectors may only stand alone. */
  private parseBinary(minPrec: number): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const t = this.tok;
      const op = t.kind === 'OP' ? t.text : t.kind === 'IDENT' ? t.text.toLowerCase() : '';
      const prec = BINARY_PRECEDENCE[op];
      if (
        prec === undefined ||
        prec < minPrec ||
        (t.kind === 'IDENT' && !['or', 'and', 'unless'].includes(op))
      )
        return lhs;
      this.next();
      const modifier = this.parseBinaryModifier(op as BinaryOp);
      const rhs = this.parseBinary(op === '^' ? prec : prec + 1);
      lhs = this.binary(op as BinaryOp, lhs, rhs, modifier, t);
    }
  }

  private binary(op: BinaryOp, lhs: Expr, rhs: Expr, modifier: BinaryModifier, at: Token): BinaryExpr {
    if (lhs.kind === 'LogSelector' || rhs.kind === 'LogSelector') {
      throw new LogQLParseError(
        `unexpected type for ${lhs.kind === 'LogSelector' ? 'left' : 'right'} leg of binary operation (${op}): log query; a binary operation works on metric queries (wrap the selector in a range aggregation such as count_over_time)`,
        at.line,
        at.col,
      );
    }
    if (COMPARISONS.has(op) && !modifier.returnBool && lhs.kind === 'Literal' && rhs.kind === 'Literal') {
      throw new LogQLParseError('comparisons between scalars must use BOOL modifier', at.line, at.col);
    }
    if (
      (op === 'and' || op === 'or' || op === 'unless') &&
      (lhs.kind === 'Literal' || rhs.kind === 'Literal')
    ) {
      throw new LogQLParseError(
        `set operator "${op}" not allowed in binary scalar expression`,
        at.line,
        at.col,
      );
    }
    return { kind: 'Binary', op, lhs, rhs, modifier };
  }

  private parseBinaryModifier(op: BinaryOp): BinaryModifier {
    let returnBool = false;
    if (this.isWord('bool')) {
      if (!COMPARISONS.has(op)) this.fail(this.tok);
      this.next();
      returnBool = true;
    }
    let on = false;
    let matching: string[] | undefined;
    let card: BinaryModifier['card'] = 'one-to-one';
    let include: string[] = [];
    if (this.isWord('on') || this.isWord('ignoring')) {
      on = this.isWord('on');
      this.next();
      matching = this.parseLabelList();
      if (this.isWord('group_left') || this.isWord('group_right')) {
        card = this.isWord('group_left') ? 'many-to-one' : 'one-to-many';
        this.next();
        if (this.isOp('(')) include = this.parseLabelList();
      }
    }
    return { returnBool, on, matching, card, include };
  }

  private parseUnary(): Expr {
    const t = this.tok;
    if ((this.isOp('-') || this.isOp('+')) && this.peek().kind === 'NUMBER') {
      this.next();
      const n = this.next().num!;
      return { kind: 'Literal', value: t.text === '-' ? -n : n };
    }
    if (t.kind === 'NUMBER') {
      this.next();
      return { kind: 'Literal', value: t.num! };
    }
    if (this.isOp('{')) return this.parseLogExpr();
    if (this.isOp('(')) {
      this.next();
      const inner = this.parseBinary(0);
      this.expectOp(')', 'CLOSE_PARENTHESIS');
      return inner;
    }
    if (t.kind === 'IDENT') {
      const word = t.text.toLowerCase();
      const isCall = this.isOp('(', this.peek()) || this.isGroupingThenCall();
      if (isCall && RANGE_OPS.has(word)) return this.parseRangeAggregation();
      if (isCall && VECTOR_OPS.has(word)) return this.parseVectorAggregation();
      if (word === 'vector' && this.isOp('(', this.peek())) {
        this.next();
        this.next();
        const n = this.expect('NUMBER', 'NUMBER');
        this.expectOp(')', 'CLOSE_PARENTHESIS');
        return { kind: 'Vector', value: n.num! };
      }
      if (word === 'label_replace' && this.isOp('(', this.peek())) return this.parseLabelReplace();
    }
    return this.fail(t);
  }

  /** `sum by (x) (`: an aggregation written with its grouping first. */
  private isGroupingThenCall(): boolean {
    const g = this.peek();
    if (!this.isWord('by', g) && !this.isWord('without', g)) return false;
    if (!this.isOp('(', this.peek(2))) return false;
    // Skip the label list to see whether a '(' follows it.
    let k = 3;
    while (this.peek(k).kind !== 'EOF' && !this.isOp(')', this.peek(k))) k++;
    return this.isOp('(', this.peek(k + 1));
  }

  private parseLogExpr(): LogSelectorExpr {
    const matchers = this.parseSelector();
    const pipeline = this.parsePipeline(false).stages;
    return { kind: 'LogSelector', matchers, pipeline };
  }

  private parseSelector(): Matcher[] {
    this.expectOp('{', 'OPEN_BRACE');
    const matchers: Matcher[] = [];
    if (this.isOp('}')) {
      this.next();
      return matchers;
    }
    for (;;) {
      matchers.push(this.parseMatcher());
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      this.expectOp('}', 'CLOSE_BRACE');
      return matchers;
    }
  }

  private parseMatcher(): Matcher {
    const name = this.expect('IDENT', 'IDENTIFIER');
    const opTok = this.tok;
    const type = matchType(opTok);
    if (!type) this.fail(opTok, 'EQ, NEQ, RE or NRE');
    this.next();
    const value = this.expect('STRING', 'STRING');
    return this.matcher(type, name.text, value.value!, value);
  }

  private matcher(type: MatchType, name: string, value: string, at: Token): Matcher {
    try {
      return newMatcher(type, name, value);
    } catch (err) {
      if (err instanceof RegexError) throw new LogQLParseError(err.message, at.line, at.col);
      throw err;
    }
  }

  /**
   * Pipeline stages until something that is not one. With `inRange`, a `| unwrap` ends the
   * pipeline and is returned with its post-filters.
   */
  private parsePipeline(inRange: boolean): { stages: Stage[]; unwrap?: Unwrap } {
    const stages: Stage[] = [];
    for (;;) {
      const t = this.tok;
      if (t.kind === 'OP' && ['|=', '!=', '|~', '!~', '|>', '!>'].includes(t.text)) {
        stages.push({ kind: 'LineFilter', filter: this.parseLineFilter() });
        continue;
      }
      if (!this.isOp('|')) return { stages };
      const word = this.peek();
      if (this.isWord('unwrap', word)) {
        if (!inRange) this.fail(word);
        this.next();
        return { stages, unwrap: this.parseUnwrap() };
      }
      this.next();
      stages.push(this.parseStage());
    }
  }

  private parseLineFilter(): LineFilter {
    const opTok = this.next();
    const op = opTok.text as LineFilterOp;
    const regex = op === '|~' || op === '!~';
    const first = this.lineFilterValue(regex);
    const or: string[] = [];
    while (this.isWord('or') && this.peek().kind === 'STRING') {
      this.next();
      or.push(this.lineFilterValue(regex));
    }
    return { op, value: first, or };
  }

  private lineFilterValue(regex = false): string {
    if (this.isWord('ip') && this.isOp('(', this.peek())) {
      throw new LogQLParseError('ip() line filters are not supported', this.tok.line, this.tok.col);
    }
    const t = this.expect('STRING', 'STRING');
    if (regex) {
      try {
        compileGoRegex(t.value!);
      } catch (err) {
        if (err instanceof LogQLParseError) throw new LogQLParseError(err.detail, t.line, t.col);
        throw err;
      }
    }
    return t.value!;
  }

  private parseStage(): Stage {
    const t = this.tok;
    const word = t.kind === 'IDENT' ? t.text.toLowerCase() : '';
    if (PARSERS.has(word)) return this.parseParser(word as ParserKind);
    if (word === 'line_format') {
      this.next();
      return { kind: 'LineFormat', template: this.expect('STRING', 'STRING').value! };
    }
    if (word === 'label_format') {
      this.next();
      return { kind: 'LabelFormat', formats: this.parseLabelFormats() };
    }
    if (word === 'decolorize') {
      this.next();
      return { kind: 'Decolorize' };
    }
    if (word === 'drop' || word === 'keep') {
      this.next();
      const labels = this.parseNamedMatchers();
      return word === 'drop' ? { kind: 'Drop', labels } : { kind: 'Keep', labels };
    }
    return { kind: 'LabelFilter', filter: this.parseLabelFilter() };
  }

  private parseParser(kind: ParserKind): Stage {
    this.next();
    if (kind === 'regexp' || kind === 'pattern') {
      const param = this.expect('STRING', 'STRING');
      return { kind: 'Parser', parser: kind, param: param.value! };
    }
    let strict = false;
    let keepEmpty = false;
    if (kind === 'logfmt') {
      while (this.tok.kind === 'FLAG') {
        const f = this.next().text;
        if (f === '--strict') strict = true;
        else keepEmpty = true;
      }
    }
    let extractions: LabelExtraction[] | undefined;
    if (
      (kind === 'json' || kind === 'logfmt') &&
      this.tok.kind === 'IDENT' &&
      !this.isWord('or') &&
      !this.isWord('and')
    ) {
      extractions = [];
      for (;;) {
        const label = this.expect('IDENT', 'IDENTIFIER').text;
        let expression = label;
        if (this.isOp('=')) {
          this.next();
          expression = this.expect('STRING', 'STRING').value!;
        }
        extractions.push({ label, expression });
        if (!this.isOp(',')) break;
        this.next();
      }
    }
    return {
      kind: 'Parser',
      parser: kind,
      ...(extractions ? { extractions } : {}),
      ...(kind === 'logfmt' ? { strict, keepEmpty } : {}),
    };
  }

  private parseLabelFormats(): LabelFormat[] {
    const out: LabelFormat[] = [];
    for (;;) {
      const dst = this.expect('IDENT', 'IDENTIFIER').text;
      this.expectOp('=', 'EQ');
      const v = this.tok;
      if (v.kind === 'IDENT') {
        this.next();
        out.push({ kind: 'Rename', dst, src: v.text });
      } else if (v.kind === 'STRING') {
        this.next();
        out.push({ kind: 'Template', dst, template: v.value! });
      } else this.fail(v, 'IDENTIFIER or STRING');
      if (!this.isOp(',')) return out;
      this.next();
    }
  }

  private parseNamedMatchers(): NamedMatcher[] {
    const out: NamedMatcher[] = [];
    for (;;) {
      const name = this.expect('IDENT', 'IDENTIFIER');
      const type = matchType(this.tok);
      if (type && this.peek().kind === 'STRING') {
        this.next();
        const v = this.next();
        out.push({ name: name.text, matcher: this.matcher(type, name.text, v.value!, v) });
      } else {
        out.push({ name: name.text });
      }
      if (!this.isOp(',')) return out;
      this.next();
    }
  }

  /** Label filters joined by `and`, `,` or juxtaposition (tighter) and `or` (looser). */
  private parseLabelFilter(): LabelFilter {
    let left = this.parseLabelFilterAnd();
    while (this.isWord('or')) {
      this.next();
      left = { kind: 'Or', left, right: this.parseLabelFilterAnd() };
    }
    return left;
  }

  private parseLabelFilterAnd(): LabelFilter {
    let left = this.parseLabelFilterTerm();
    for (;;) {
      if (this.isWord('and') || this.isOp(',')) {
        this.next();
      } else if (
        !(this.tok.kind === 'IDENT' && !this.isWord('or') && !this.isWord('offset')) &&
        !this.isOp('(')
      ) {
        return left;
      }
      left = { kind: 'And', left, right: this.parseLabelFilterTerm() };
    }
  }

  private parseLabelFilterTerm(): LabelFilter {
    if (this.isOp('(')) {
      this.next();
      const inner = this.parseLabelFilter();
      this.expectOp(')', 'CLOSE_PARENTHESIS');
      return inner;
    }
    const name = this.expect('IDENT', 'IDENTIFIER');
    const opTok = this.tok;
    if (opTok.kind !== 'OP') this.fail(opTok, 'a comparison operator');
    const op = opTok.text;
    this.next();
    const v = this.tok;
    if ((op === '=' || op === '!=' || op === '=~' || op === '!~') && v.kind === 'STRING') {
      this.next();
      return { kind: 'String', matcher: this.matcher(op as MatchType, name.text, v.value!, v) };
    }
    if (this.isWord('ip') && this.isOp('(', this.peek())) {
      throw new LogQLParseError('ip() label filters are not supported', v.line, v.col);
    }
    const cmp = compareOp(op);
    if (!cmp) this.fail(opTok, 'a comparison operator');
    let sign = 1;
    if ((this.isOp('-') || this.isOp('+')) && ['NUMBER', 'DURATION', 'BYTES'].includes(this.peek().kind)) {
      sign = this.next().text === '-' ? -1 : 1;
    }
    const value = this.next();
    switch (value.kind) {
      case 'NUMBER':
        return { kind: 'Number', name: name.text, op: cmp, value: sign * value.num! };
      case 'DURATION':
        return { kind: 'Duration', name: name.text, op: cmp, value: (sign * value.num!) / 1e9 };
      case 'BYTES':
        return { kind: 'Bytes', name: name.text, op: cmp, value: sign * value.num! };
      default:
        return this.fail(value, 'NUMBER, DURATION or BYTES');
    }
  }

  private parseUnwrap(): Unwrap {
    // The '|' before unwrap was consumed by the caller's peek; consume "unwrap".
    this.next();
    let conversion: UnwrapConversion | undefined;
    let label: string;
    const t = this.tok;
    const word = t.kind === 'IDENT' ? t.text.toLowerCase() : '';
    if (
      (word === 'bytes' || word === 'duration' || word === 'duration_seconds') &&
      this.isOp('(', this.peek())
    ) {
      this.next();
      this.next();
      conversion = word;
      label = this.expect('IDENT', 'IDENTIFIER').text;
      this.expectOp(')', 'CLOSE_PARENTHESIS');
    } else {
      label = this.expect('IDENT', 'IDENTIFIER').text;
    }
    const postFilters: LabelFilter[] = [];
    while (this.isOp('|') && this.peek().kind === 'IDENT' && !this.isWord('unwrap', this.peek())) {
      this.next();
      postFilters.push(this.parseLabelFilter());
    }
    return { label, conversion, postFilters };
  }

  private parseRangeAggregation(): RangeAggregationExpr {
    const opTok = this.next();
    const op = opTok.text.toLowerCase() as RangeOp;
    let grouping = this.parseOptionalGrouping();
    this.expectOp('(', 'OPEN_PARENTHESIS');
    let param: number | undefined;
    if (this.tok.kind === 'NUMBER' || ((this.isOp('-') || this.isOp('+')) && this.peek().kind === 'NUMBER')) {
      const neg = this.isOp('-');
      if (this.tok.kind === 'OP') this.next();
      param = (neg ? -1 : 1) * this.next().num!;
      this.expectOp(',', 'COMMA');
    }
    const range = this.parseLogRange();
    this.expectOp(')', 'CLOSE_PARENTHESIS');
    grouping ??= this.parseOptionalGrouping();
    if (op === 'quantile_over_time' && param === undefined) {
      throw new LogQLParseError('parameter required for operation quantile_over_time', opTok.line, opTok.col);
    }
    if (op !== 'quantile_over_time' && param !== undefined) {
      throw new LogQLParseError(`parameter not supported for operation ${op}`, opTok.line, opTok.col);
    }
    return {
      kind: 'RangeAggregation',
      op,
      range,
      ...(param !== undefined ? { param } : {}),
      ...(grouping ? { grouping } : {}),
    };
  }

  /**
   * `{..} | stages | unwrap x [5m] offset 1h`, in every order Loki's grammar allows: pipeline and
   * unwrap before or after the range, parentheses around the selector part.
   */
  private parseLogRange(): LogRange {
    let selector: LogSelectorExpr;
    let unwrap: Unwrap | undefined;
    let rangeNs: number | undefined;
    let offsetNs = 0;
    if (this.isOp('(')) {
      this.next();
      const inner = this.parseLogRangeParts();
      this.expectOp(')', 'CLOSE_PARENTHESIS');
      selector = inner.selector;
      unwrap = inner.unwrap;
      rangeNs = inner.rangeNs;
      offsetNs = inner.offsetNs;
    } else {
      const parts = this.parseLogRangeParts();
      selector = parts.selector;
      unwrap = parts.unwrap;
      rangeNs = parts.rangeNs;
      offsetNs = parts.offsetNs;
    }
    if (rangeNs === undefined) {
      rangeNs = this.expect('RANGE', 'RANGE').num!;
      if (this.isWord('offset')) offsetNs = this.parseOffset();
      if (!unwrap && selector.pipeline.length === 0) {
        const after = this.parsePipeline(true);
        selector = { ...selector, pipeline: after.stages };
        unwrap = after.unwrap;
      }
    }
    return { selector, rangeMs: rangeNs / 1e6, offsetMs: offsetNs / 1e6, ...(unwrap ? { unwrap } : {}) };
  }

  private parseLogRangeParts(): {
    selector: LogSelectorExpr;
    unwrap?: Unwrap;
    rangeNs?: number;
    offsetNs: number;
  } {
    if (this.isOp('(')) {
      this.next();
      const inner = this.parseLogRangeParts();
      this.expectOp(')', 'CLOSE_PARENTHESIS');
      if (inner.rangeNs === undefined && this.tok.kind === 'RANGE') {
        const rangeNs = this.next().num!;
        const offsetNs = this.isWord('offset') ? this.parseOffset() : 0;
        return { ...inner, rangeNs, offsetNs };
      }
      return inner;
    }
    const matchers = this.parseSelector();
    const before = this.parsePipeline(true);
    let stages = before.stages;
    let unwrap = before.unwrap;
    if (this.tok.kind !== 'RANGE') {
      return { selector: { kind: 'LogSelector', matchers, pipeline: stages }, unwrap, offsetNs: 0 };
    }
    const rangeNs = this.next().num!;
    const offsetNs = this.isWord('offset') ? this.parseOffset() : 0;
    if (stages.length === 0 && !unwrap) {
      const after = this.parsePipeline(true);
      stages = after.stages;
      unwrap = after.unwrap;
    }
    return { selector: { kind: 'LogSelector', matchers, pipeline: stages }, unwrap, rangeNs, offsetNs };
  }

  private parseOffset(): number {
    this.next();
    let sign = 1;
    if (this.isOp('-')) {
      this.next();
      sign = -1;
    }
    return sign * this.expect('DURATION', 'DURATION').num!;
  }

  private parseVectorAggregation(): MetricExpr {
    const opTok = this.next();
    const op = opTok.text.toLowerCase() as VectorOp;
    let grouping = this.parseOptionalGrouping();
    this.expectOp('(', 'OPEN_PARENTHESIS');
    let param: number | undefined;
    if (this.tok.kind === 'NUMBER' && this.isOp(',', this.peek())) {
      param = this.next().num!;
      this.next();
    }
    const inner = this.parseBinary(0);
    this.expectOp(')', 'CLOSE_PARENTHESIS');
    grouping ??= this.parseOptionalGrouping();
    if (inner.kind === 'LogSelector') {
      throw new LogQLParseError(
        `${op} takes a metric query, not a log query: wrap the selector in a range aggregation such as count_over_time`,
        opTok.line,
        opTok.col,
      );
    }
    if (op === 'topk' || op === 'bottomk') {
      if (param === undefined)
        throw new LogQLParseError(`parameter required for operation ${op}`, opTok.line, opTok.col);
      if (!Number.isInteger(param) || param <= 0) {
        throw new LogQLParseError(
          `invalid parameter (must be greater than 0) ${op}(${param}`,
          opTok.line,
          opTok.col,
        );
      }
    } else if (param !== undefined) {
      throw new LogQLParseError(`unsupported parameter for operation ${op}(${param},`, opTok.line, opTok.col);
    }
    if ((op === 'sort' || op === 'sort_desc') && grouping) {
      throw new LogQLParseError(`grouping not allowed for ${op} aggregation`, opTok.line, opTok.col);
    }
    return {
      kind: 'VectorAggregation',
      op,
      expr: inner,
      ...(param !== undefined ? { param } : {}),
      ...(grouping ? { grouping } : {}),
    };
  }

  private parseLabelReplace(): MetricExpr {
    const at = this.next();
    this.next();
    const inner = this.parseBinary(0);
    if (inner.kind === 'LogSelector') this.fail(at);
    const strings: string[] = [];
    for (let k = 0; k < 4; k++) {
      this.expectOp(',', 'COMMA');
      strings.push(this.expect('STRING', 'STRING').value!);
    }
    this.expectOp(')', 'CLOSE_PARENTHESIS');
    const [dst, replacement, src, regex] = strings;
    try {
      new RegExp(regex);
    } catch {
      throw new LogQLParseError(`invalid regex in label_replace: ${regex}`, at.line, at.col);
    }
    return { kind: 'LabelReplace', expr: inner, dst, replacement, src, regex };
  }

  private parseOptionalGrouping(): Grouping | undefined {
    if (!this.isWord('by') && !this.isWord('without')) return undefined;
    const without = this.isWord('without');
    this.next();
    return { without, labels: this.parseLabelList() };
  }

  private parseLabelList(): string[] {
    this.expectOp('(', 'OPEN_PARENTHESIS');
    const out: string[] = [];
    if (this.isOp(')')) {
      this.next();
      return out;
    }
    for (;;) {
      out.push(this.expect('IDENT', 'IDENTIFIER').text);
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      this.expectOp(')', 'CLOSE_PARENTHESIS');
      return out;
    }
  }
}

function matchType(t: Token): MatchType | undefined {
  if (t.kind !== 'OP') return undefined;
  return t.text === '=' || t.text === '!=' || t.text === '=~' || t.text === '!~' ? t.text : undefined;
}

function compareOp(op: string): CompareOp | undefined {
  switch (op) {
    case '=':
    case '==':
      return '==';
    case '!=':
    case '>':
    case '>=':
    case '<':
    case '<=':
      return op;
    default:
      return undefined;
  }
}

const EMPTY_SELECTOR =
  'queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will';

/** Loki's checks after parsing (validateExpr). */
function validate(e: Expr): void {
  switch (e.kind) {
    case 'LogSelector':
      validateSelector(e);
      return;
    case 'RangeAggregation': {
      validateSelector(e.range.selector);
      const needsUnwrap = UNWRAP_OPS.has(e.op);
      if (needsUnwrap && !e.range.unwrap)
        throw new LogQLParseError(`invalid aggregation ${e.op} without unwrap`);
      if (!needsUnwrap && e.op !== 'rate' && e.range.unwrap) {
        throw new LogQLParseError(`invalid aggregation ${e.op} with unwrap`);
      }
      if (e.grouping && !e.range.unwrap) {
        throw new LogQLParseError(`grouping not allowed for ${e.op} aggregation`);
      }
      if (!(e.range.rangeMs > 0))
        throw new LogQLParseError('the range of a range aggregation must be positive');
      return;
    }
    case 'VectorAggregation':
      validate(e.expr);
      return;
    case 'Binary':
      validate(e.lhs);
      validate(e.rhs);
      return;
    case 'LabelReplace':
      validate(e.expr);
      return;
    case 'Literal':
    case 'Vector':
      return;
  }
}

function validateSelector(s: LogSelectorExpr): void {
  if (!s.matchers.some((m) => !m.matches(''))) throw new LogQLParseError(EMPTY_SELECTOR);
}
