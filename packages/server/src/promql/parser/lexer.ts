/**
 * A port of Prometheus's PromQL lexer (promql/parser/lex.go, expression mode). The grammar
 * itself comes from lezer; this lexer exists because Prometheus's token rules are stricter than
 * lezer's (string escapes, number and duration syntax, unbalanced brackets), and its error
 * messages and token descriptions are what users know ("unexpected identifier "foo"").
 *
 * Positions are UTF-16 offsets into the input.
 */

export type TokenType =
  | 'EOF'
  | 'ERROR'
  | 'COMMENT'
  | 'IDENTIFIER'
  | 'METRIC_IDENTIFIER'
  | 'STRING'
  | 'NUMBER'
  | 'DURATION'
  | 'LEFT_PAREN'
  | 'RIGHT_PAREN'
  | 'LEFT_BRACE'
  | 'RIGHT_BRACE'
  | 'LEFT_BRACKET'
  | 'RIGHT_BRACKET'
  | 'COMMA'
  | 'EQL'
  | 'COLON'
  | 'OPERATOR'
  | 'AGGREGATOR'
  | 'KEYWORD'
  | 'PREPROCESSOR';

/** One lexed token and where it starts. */
export interface Token {
  readonly type: TokenType;
  readonly pos: number;
  /** The token's text; for ERROR, the error message. */
  readonly val: string;
}

const OPERATOR_KEYWORDS = new Set(['and', 'or', 'unless', 'atan2']);
/** Aggregation operator names (lower case). */
export const AGGREGATORS = new Set([
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'count_values',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const KEYWORDS = new Set([
  'offset',
  'smoothed',
  'anchored',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'fill',
  'fill_left',
  'fill_right',
  'bool',
]);
const PREPROCESSORS = new Set(['start', 'end', 'step', 'range', 'max_of', 'min_of']);
const DURATION_KEYWORDS = new Set(['step', 'range', 'max_of', 'min_of']);

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
function isAlpha(c: string): boolean {
  return c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
function isAlphaNumeric(c: string): boolean {
  return isAlpha(c) || isDigit(c);
}

const EOF_CHAR = '';

/**
 * Tokenizes `input` the way Prometheus's lexer does. Stops at the first error; the last token is
 * then an ERROR token whose `val` is the message, else EOF. Comments are dropped.
 */
export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let start = 0;
  let parenDepth = 0;
  let braceOpen = false;
  let bracketOpen = false;
  let gotColon = false;
  let gotDuration = false;
  let durationMode = false;

  const peek = (): string => (pos < input.length ? input[pos] : EOF_CHAR);
  const next = (): string => (pos < input.length ? input[pos++] : EOF_CHAR);
  const emit = (type: TokenType) => {
    tokens.push({ type, pos: start, val: input.slice(start, pos) });
    start = pos;
  };
  const fail = (message: string): Token[] => {
    tokens.push({ type: 'ERROR', pos: start, val: message });
    return tokens;
  };
  const accept = (valid: string): boolean => {
    const c = peek();
    if (c !== EOF_CHAR && valid.includes(c)) {
      pos++;
      return true;
    }
    return false;
  };
  const is = (valid: string): boolean => {
    const c = peek();
    return c !== EOF_CHAR && valid.includes(c);
  };

  // scanNumber: decimal, hex, floats, with underscores between digits (a faithful port of
  // lex.go scanNumber, quirks included: "0x1e" is rejected because "e" reads as an exponent).
  const scanNumber = (): boolean => {
    const initial = pos;
    let digits = '0123456789';
    if (accept('0') && accept('xX')) {
      accept('_');
      digits = '0123456789abcdefABCDEF';
    }
    accept('.');
    accept(digits);
    let dot = false;
    let exp = false;
    while (is(digits + '._eE')) {
      if (is('.') && dot) {
        accept('.');
        return false;
      }
      if (is('eE') && exp) {
        accept('eE');
        return false;
      }
      if (accept('.')) {
        dot = true;
        if (accept('_.')) return false;
        if (digits.length > 10) return false;
        continue;
      }
      if (accept('eE')) {
        exp = true;
        accept('+-');
        if (accept('._eE') || peek() === EOF_CHAR) return false;
        continue;
      }
      if (accept('_')) {
        if (accept('._eE') || peek() === EOF_CHAR) return false;
        continue;
      }
      while (is(digits)) pos++;
    }
    if (pos === initial) return false;
    return !isAlphaNumeric(peek());
  };

  // The rest of a duration after its first number: units, more number+unit pairs, and no
  // alphanumeric right after.
  const acceptRemainingDuration = (): boolean => {
    if (!accept('smhdwy')) return false;
    accept('s');
    while (accept('0123456789')) {
      while (accept('0123456789')) {
        // consume
      }
      if (!accept('smhdw')) return false;
      accept('s');
    }
    if (isAlphaNumeric(peek())) {
      pos++;
      return false;
    }
    return true;
  };

  const lexNumberOrDuration = (): string | undefined => {
    if (scanNumber()) {
      emit('NUMBER');
      return undefined;
    }
    if (acceptRemainingDuration()) {
      emit('DURATION');
      return undefined;
    }
    return `bad number or duration syntax: ${goQuoteSimple(input.slice(start, pos))}`;
  };

  const lexString = (q: string): string | undefined => {
    for (;;) {
      const c = next();
      if (c === '\\') {
        const err = lexEscape(q);
        if (err) return err;
        continue;
      }
      if (c === EOF_CHAR || c === '\n') return 'unterminated quoted string';
      if (c === q) break;
    }
    emit('STRING');
    return undefined;
  };

  const lexEscape = (q: string): string | undefined => {
    let ch = next();
    let n = 0;
    let base = 0;
    let max = 0;
    switch (ch) {
      case 'a':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
      case 'v':
      case '\\':
      case q:
        return undefined;
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
        n = 3;
        base = 8;
        max = 255;
        break;
      case 'x':
        ch = next();
        n = 2;
        base = 16;
        max = 255;
        break;
      case 'u':
        ch = next();
        n = 4;
        base = 16;
        max = 0x10ffff;
        break;
      case 'U':
        ch = next();
        n = 8;
        base = 16;
        max = 0x10ffff;
        break;
      case EOF_CHAR:
        return 'escape sequence not terminated';
      default:
        return `unknown escape sequence ${goRuneU(ch)}`;
    }
    let x = 0;
    while (n > 0) {
      const d = digitVal(ch);
      if (d >= base) {
        if (ch === EOF_CHAR) return 'escape sequence not terminated';
        return `illegal character ${goRuneU(ch)} in escape sequence`;
      }
      x = x * base + d;
      n--;
      if (n > 0) ch = next();
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) return 'escape sequence is an invalid Unicode code point';
    return undefined;
  };

  const lexRawString = (): string | undefined => {
    for (;;) {
      const c = next();
      if (c === EOF_CHAR) return 'unterminated raw string';
      if (c === '`') break;
    }
    emit('STRING');
    return undefined;
  };

  const lexKeywordOrIdentifier = () => {
    while (pos < input.length && (isAlphaNumeric(input[pos]) || input[pos] === ':')) pos++;
    const word = input.slice(start, pos);
    const lower = word.toLowerCase();
    if (lower === 'inf' || lower === 'nan') emit('NUMBER');
    else if (OPERATOR_KEYWORDS.has(lower)) emit('OPERATOR');
    else if (AGGREGATORS.has(lower)) emit('AGGREGATOR');
    else if (KEYWORDS.has(lower)) {
      // fill, fill_left and fill_right are keywords only when followed by "(".
      if (lower.startsWith('fill') && !followedByLeftParen()) emit('IDENTIFIER');
      else emit('KEYWORD');
    } else if (PREPROCESSORS.has(lower)) emit('PREPROCESSOR');
    else if (!word.includes(':')) emit('IDENTIFIER');
    else emit('METRIC_IDENTIFIER');
  };

  const followedByLeftParen = (): boolean => {
    let p = pos;
    while (p < input.length && isSpace(input[p])) p++;
    return input[p] === '(';
  };

  const scanDurationKeyword = (): boolean => {
    while (pos < input.length && isAlpha(input[pos])) pos++;
    const word = input.slice(start, pos).toLowerCase();
    if (DURATION_KEYWORDS.has(word)) {
      emit('PREPROCESSOR');
      return true;
    }
    return false;
  };

  const skipSpaces = () => {
    while (pos < input.length && isSpace(input[pos])) pos++;
    start = pos;
  };

  // The start of a bracket: Prometheus lexes here until the first number or duration, then
  // continues in statement mode with the bracket still open.
  const lexDurationExpr = (): string | undefined => {
    const r = next();
    if (r === EOF_CHAR) return 'unexpected end of input in duration expression';
    if (r === ']') {
      emit('RIGHT_BRACKET');
      bracketOpen = false;
      gotColon = false;
      durationMode = false;
      return undefined;
    }
    if (r === ':') {
      emit('COLON');
      if (!gotDuration) return 'unexpected colon before duration in duration expression';
      if (gotColon) return 'unexpected repeated colon in duration expression';
      gotColon = true;
      return undefined;
    }
    if (r === '(') {
      emit('LEFT_PAREN');
      parenDepth++;
      return undefined;
    }
    if (r === ')') {
      emit('RIGHT_PAREN');
      parenDepth--;
      if (parenDepth < 0) return `unexpected right parenthesis ${goQuoteRune(r)}`;
      return undefined;
    }
    if (isSpace(r)) {
      skipSpaces();
      return undefined;
    }
    if ('+-*/%^'.includes(r)) {
      emit('OPERATOR');
      return undefined;
    }
    if (r === ',') {
      emit('COMMA');
      return undefined;
    }
    if (DURATION_KEYWORDS_START.has(r.toLowerCase())) {
      if (scanDurationKeyword()) return undefined;
      return `unexpected character in duration expression: ${goQuoteRune(r)}`;
    }
    if (isDigit(r) || (r === '.' && isDigit(peek()))) {
      pos--;
      gotDuration = true;
      durationMode = false;
      return lexNumberOrDuration();
    }
    return `unexpected character in duration expression: ${goQuoteRune(r)}`;
  };

  const lexInsideBraces = (): string | undefined => {
    if (input.startsWith('#', pos)) {
      lexComment();
      return undefined;
    }
    const r = next();
    if (r === EOF_CHAR) return 'unexpected end of input inside braces';
    if (isSpace(r)) {
      skipSpaces();
      return undefined;
    }
    if (isAlpha(r)) {
      while (pos < input.length && isAlphaNumeric(input[pos])) pos++;
      emit('IDENTIFIER');
      return undefined;
    }
    if (r === ',') {
      emit('COMMA');
      return undefined;
    }
    if (r === '"' || r === "'") return lexString(r);
    if (r === '`') return lexRawString();
    if (r === '=') {
      if (peek() === '~') pos++;
      emit(input.slice(start, pos) === '=~' ? 'OPERATOR' : 'EQL');
      return undefined;
    }
    if (r === '!') {
      const nr = next();
      if (nr === '~' || nr === '=') {
        emit('OPERATOR');
        return undefined;
      }
      return `unexpected character after '!' inside braces: ${goQuoteRune(nr)}`;
    }
    if (r === '{') return `unexpected left brace ${goQuoteRune(r)}`;
    if (r === '}') {
      emit('RIGHT_BRACE');
      braceOpen = false;
      return undefined;
    }
    return `unexpected character inside braces: ${goQuoteRune(r)}`;
  };

  const lexComment = () => {
    pos++;
    while (pos < input.length && input[pos] !== '\n' && input[pos] !== '\r') pos++;
    start = pos; // comments are dropped
  };

  for (;;) {
    let err: string | undefined;
    if (braceOpen) {
      err = lexInsideBraces();
      if (err) return fail(err);
      continue;
    }
    if (durationMode) {
      err = lexDurationExpr();
      if (err) return fail(err);
      continue;
    }
    if (input.startsWith('#', pos)) {
      lexComment();
      continue;
    }
    const r = next();
    if (r === EOF_CHAR) {
      if (parenDepth !== 0) return fail('unclosed left parenthesis');
      if (bracketOpen) return fail('unclosed left bracket');
      emit('EOF');
      return tokens;
    }
    if (r === ',') emit('COMMA');
    else if (isSpace(r)) skipSpaces();
    else if ('*/%+-^'.includes(r)) emit('OPERATOR');
    else if (r === '=') {
      const t = peek();
      if (t === '=') {
        pos++;
        emit('OPERATOR');
      } else if (t === '~') return fail(`unexpected character after '=': ${goQuoteRune(t)}`);
      else emit('EQL');
    } else if (r === '!') {
      const t = next();
      if (t !== '=') return fail(`unexpected character after '!': ${goQuoteRune(t)}`);
      emit('OPERATOR');
    } else if (r === '<' || r === '>') {
      if (peek() === '=' || peek() === '/') pos++;
      emit('OPERATOR');
    } else if (isDigit(r) || (r === '.' && isDigit(peek()))) {
      pos--;
      err = lexNumberOrDuration();
    } else if (r === '"' || r === "'") err = lexString(r);
    else if (r === '`') err = lexRawString();
    else if ((isAlpha(r) || r === ':') && !bracketOpen) {
      pos--;
      lexKeywordOrIdentifier();
    } else if (r === ':') {
      if (gotColon) err = `unexpected colon ${goQuoteRune(r)}`;
      else {
        emit('COLON');
        gotColon = true;
      }
    } else if (isAlpha(r)) {
      if (!(DURATION_KEYWORDS_START.has(r.toLowerCase()) && scanDurationKeyword())) {
        err = `unexpected character: ${goQuoteRune(r)}, expected ${goQuoteRune(':')}`;
      }
    } else if (r === '(') {
      emit('LEFT_PAREN');
      parenDepth++;
    } else if (r === ')') {
      emit('RIGHT_PAREN');
      parenDepth--;
      if (parenDepth < 0) err = `unexpected right parenthesis ${goQuoteRune(r)}`;
    } else if (r === '{') {
      emit('LEFT_BRACE');
      braceOpen = true;
    } else if (r === '[') {
      if (bracketOpen) err = `unexpected left bracket ${goQuoteRune(r)}`;
      else {
        gotColon = false;
        gotDuration = false;
        emit('LEFT_BRACKET');
        skipSpaces();
        bracketOpen = true;
        durationMode = true;
      }
    } else if (r === '}') {
      err = `unexpected character: ${goQuoteRune(r)}`;
    } else if (r === ']') {
      if (!bracketOpen) err = `unexpected right bracket ${goQuoteRune(r)}`;
      else {
        emit('RIGHT_BRACKET');
        bracketOpen = false;
      }
    } else if (r === '@') emit('OPERATOR');
    else err = `unexpected character: ${goQuoteRune(r)}`;
    if (err) return fail(err);
  }
}

const DURATION_KEYWORDS_START = new Set([...DURATION_KEYWORDS].map((k) => k[0]));

function digitVal(c: string): number {
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (c >= 'a' && c <= 'f') return c.charCodeAt(0) - 87;
  if (c >= 'A' && c <= 'F') return c.charCodeAt(0) - 55;
  return 16;
}

/** Go's %q for a rune: 'x'. */
function goQuoteRune(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '\\') return "'\\\\'";
  if (c === '\n') return "'\\n'";
  if (c === '\t') return "'\\t'";
  return `'${c}'`;
}

/** Go's %#U for a rune: U+0027 '''. */
function goRuneU(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

function goQuoteSimple(s: string): string {
  return JSON.stringify(s);
}

/** How Prometheus describes a token in "unexpected ..." messages (Item.desc in lex.go). */
export function describeToken(t: Token): string {
  switch (t.type) {
    case 'EOF':
      return 'end of input';
    case 'ERROR':
      return t.val;
    case 'IDENTIFIER':
      return `identifier ${JSON.stringify(t.val)}`;
    case 'METRIC_IDENTIFIER':
      return `metric identifier ${JSON.stringify(t.val)}`;
    case 'STRING':
      return `string ${truncatedQuote(t.val)}`;
    case 'NUMBER':
      return `number ${truncatedQuote(t.val)}`;
    case 'DURATION':
      return `duration ${truncatedQuote(t.val)}`;
    case 'OPERATOR':
      return `<op:${t.val}>`;
    case 'AGGREGATOR':
      return `<aggr:${t.val}>`;
    case 'KEYWORD':
    case 'PREPROCESSOR':
      return `<${t.val}>`;
    default:
      return JSON.stringify(t.val);
  }
}

function truncatedQuote(s: string): string {
  return s.length > 10 ? `${JSON.stringify(s.slice(0, 10))}...` : JSON.stringify(s);
}
