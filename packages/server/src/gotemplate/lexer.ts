/**
 * The template lexer: Go's text/template/parse lexer, including trim markers (`{{- ` and
 * ` -}}`), comments, multi-line actions, raw strings and Go number syntax. It scans the whole
 * input up front into a token list; a lexical error becomes an 'error' token that ends the list,
 * which the parser reports when it reaches it (as Go's channel-fed parser does).
 */
import { quote } from './strconv.ts';

export type TokenType =
  | 'error'
  | 'bool'
  | 'char' // printable ASCII character; grab bag for comma etc.
  | 'charConstant'
  | 'complex'
  | 'assign' // =
  | 'declare' // :=
  | 'eof'
  | 'field' // .Name
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable' // $ or $name
  // keywords
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

export interface Token {
  readonly type: TokenType;
  /** Offset of the token's first character in the template text. */
  readonly pos: number;
  readonly val: string;
  /** 1-based line of the token's start. */
  readonly line: number;
}

const KEYWORDS: ReadonlyMap<string, TokenType> = new Map([
  ['.', 'dot'],
  ['block', 'block'],
  ['break', 'break'],
  ['continue', 'continue'],
  ['define', 'define'],
  ['else', 'else'],
  ['end', 'end'],
  ['if', 'if'],
  ['range', 'range'],
  ['nil', 'nil'],
  ['template', 'template'],
  ['with', 'with'],
]);

const KEYWORD_TYPES: ReadonlySet<TokenType> = new Set(KEYWORDS.values());

/** Whether a token type is a keyword (printed as `<word>` in errors). */
export function isKeyword(t: TokenType): boolean {
  return KEYWORD_TYPES.has(t);
}

const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';
const TRIM_MARKER_LEN = 2;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

const ALNUM = /^[\p{L}\p{Nd}_]$/u;

function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 0x80) {
    return (
      code === 95 || (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122)
    );
  }
  return ALNUM.test(c);
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === '-' && isSpace(s[at + 1]);
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === '-';
}

/** Options that change what the lexer produces. */
export interface LexOptions {
  readonly leftDelim?: string;
  readonly rightDelim?: string;
  /** `break`/`continue` are keywords unless a function of that name exists. */
  readonly breakOK?: boolean;
  readonly continueOK?: boolean;
}

type State = (() => State) | null;

class Lexer {
  readonly tokens: Token[] = [];
  private pos = 0;
  private start = 0;
  private parenDepth = 0;
  private lineCountPos = 0;
  private lineCount = 1;
  private readonly left: string;
  private readonly right: string;

  constructor(
    private readonly input: string,
    private readonly options: LexOptions,
  ) {
    this.left = options.leftDelim || '{{';
    this.right = options.rightDelim || '}}';
  }

  run(): Token[] {
    let state: State = this.lexText;
    while (state) state = state.call(this);
    return this.tokens;
  }

  private lineAt(pos: number): number {
    // Tokens come in order, so count newlines incrementally.
    if (pos < this.lineCountPos) {
      this.lineCountPos = 0;
      this.lineCount = 1;
    }
    for (let i = this.lineCountPos; i < pos; i++) if (this.input.charCodeAt(i) === 10) this.lineCount++;
    this.lineCountPos = pos;
    return this.lineCount;
  }

  private emit(type: TokenType): void {
    this.tokens.push({
      type,
      pos: this.start,
      val: this.input.slice(this.start, this.pos),
      line: this.lineAt(this.start),
    });
    this.start = this.pos;
  }

  private errorf(message: string): State {
    this.tokens.push({ type: 'error', pos: this.start, val: message, line: this.lineAt(this.start) });
    return null;
  }

  private next(): string | undefined {
    if (this.pos >= this.input.length) return undefined;
    const cp = this.input.codePointAt(this.pos)!;
    const ch = cp > 0xffff ? String.fromCodePoint(cp) : this.input[this.pos];
    this.pos += ch.length;
    this.lastWidth = ch.length;
    return ch;
  }
  private lastWidth = 0;

  private backup(): void {
    this.pos -= this.lastWidth;
  }

  private peek(): string | undefined {
    const c = this.next();
    if (c !== undefined) this.backup();
    return c;
  }

  private accept(valid: string): boolean {
    const c = this.next();
    if (c !== undefined && valid.includes(c)) return true;
    if (c !== undefined) this.backup();
    return false;
  }

  private acceptRun(valid: string): void {
    for (;;) {
      const c = this.next();
      if (c === undefined) return;
      if (!valid.includes(c)) {
        this.backup();
        return;
      }
    }
  }

  private lexText(): State {
    const x = this.input.indexOf(this.left, this.pos);
    if (x >= 0) {
      if (x > this.pos) {
        this.pos = x;
        let trim = 0;
        if (hasLeftTrimMarker(this.input, x + this.left.length)) {
          const text = this.input.slice(this.start, this.pos);
          trim = text.length - text.replace(/[ \t\r\n]+$/, '').length;
        }
        this.pos -= trim;
        if (this.pos > this.start) this.emit('text');
        this.pos += trim;
        this.start = this.pos;
      }
      return this.lexLeftDelim;
    }
    this.pos = this.input.length;
    if (this.pos > this.start) this.emit('text');
    this.emit('eof');
    return null;
  }

  private atRightDelim(): { delim: boolean; trim: boolean } {
    if (
      hasRightTrimMarker(this.input, this.pos) &&
      this.input.startsWith(this.right, this.pos + TRIM_MARKER_LEN)
    )
      return { delim: true, trim: true };
    if (this.input.startsWith(this.right, this.pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  }

  private lexLeftDelim(): State {
    this.pos += this.left.length;
    const trim = hasLeftTrimMarker(this.input, this.pos);
    const afterMarker = trim ? TRIM_MARKER_LEN : 0;
    if (this.input.startsWith(LEFT_COMMENT, this.pos + afterMarker)) {
      this.pos += afterMarker;
      this.start = this.pos;
      return this.lexComment;
    }
    this.emit('leftDelim');
    this.pos += afterMarker;
    this.start = this.pos;
    this.parenDepth = 0;
    return this.lexInsideAction;
  }

  private lexComment(): State {
    this.pos += LEFT_COMMENT.length;
    const x = this.input.indexOf(RIGHT_COMMENT, this.pos);
    if (x < 0) return this.errorf('unclosed comment');
    this.pos = x + RIGHT_COMMENT.length;
    const { delim, trim } = this.atRightDelim();
    if (!delim) return this.errorf('comment ends before closing delimiter');
    if (trim) this.pos += TRIM_MARKER_LEN;
    this.pos += this.right.length;
    if (trim) this.skipLeadingSpace();
    this.start = this.pos;
    return this.lexText;
  }

  private skipLeadingSpace(): void {
    while (isSpace(this.input[this.pos])) this.pos++;
  }

  private lexRightDelim(): State {
    const { trim } = this.atRightDelim();
    if (trim) {
      this.pos += TRIM_MARKER_LEN;
      this.start = this.pos;
    }
    this.pos += this.right.length;
    this.emit('rightDelim');
    if (trim) {
      this.skipLeadingSpace();
      this.start = this.pos;
    }
    return this.lexText;
  }

  private lexInsideAction(): State {
    const { delim } = this.atRightDelim();
    if (delim) {
      if (this.parenDepth === 0) return this.lexRightDelim;
      return this.errorf('unclosed left paren');
    }
    const r = this.next();
    if (r === undefined) return this.errorf('unclosed action');
    if (isSpace(r)) {
      this.backup(); // put the space back in case we have " -}}"
      return this.lexSpace;
    }
    switch (r) {
      case '=':
        this.emit('assign');
        return this.lexInsideAction;
      case ':':
        if (this.next() !== '=') return this.errorf('expected :=');
        this.emit('declare');
        return this.lexInsideAction;
      case '|':
        this.emit('pipe');
        return this.lexInsideAction;
      case '"':
        return this.lexQuote;
      case '`':
        return this.lexRawQuote;
      case '$':
        return this.lexVariable;
      case "'":
        return this.lexChar;
      case '(':
        this.emit('leftParen');
        this.parenDepth++;
        return this.lexInsideAction;
      case ')':
        this.emit('rightParen');
        this.parenDepth--;
        if (this.parenDepth < 0) return this.errorf(`unexpected right paren ${goRune(r)}`);
        return this.lexInsideAction;
    }
    if (r === '.') {
      // special look-ahead for ".field" so we don't break backup()
      if (this.pos < this.input.length) {
        const c = this.input[this.pos];
        if (c < '0' || c > '9') return this.lexField;
      }
      this.backup(); // '.' can start a number
      return this.lexNumber;
    }
    if (r === '+' || r === '-' || (r >= '0' && r <= '9')) {
      this.backup();
      return this.lexNumber;
    }
    if (isAlphaNumeric(r)) {
      this.backup();
      return this.lexIdentifier;
    }
    const code = r.codePointAt(0)!;
    if (code <= 0x7f && code >= 0x20 && code !== 0x7f) {
      this.emit('char');
      return this.lexInsideAction;
    }
    return this.errorf(`unrecognized character in action: ${goRune(r)}`);
  }

  private lexSpace(): State {
    let numSpaces = 0;
    while (isSpace(this.peek())) {
      this.next();
      numSpaces++;
    }
    // A space may start " -}}": leave that for lexRightDelim.
    if (
      hasRightTrimMarker(this.input, this.pos - 1) &&
      this.input.startsWith(this.right, this.pos - 1 + TRIM_MARKER_LEN)
    ) {
      this.pos--;
      if (numSpaces === 1) return this.lexRightDelim;
    }
    this.emit('space');
    return this.lexInsideAction;
  }

  private lexIdentifier(): State {
    for (;;) {
      const r = this.next();
      if (isAlphaNumeric(r)) continue;
      if (r !== undefined) this.backup();
      const word = this.input.slice(this.start, this.pos);
      if (!this.atTerminator()) return this.errorf(`bad character ${goRune(r)}`);
      const kw = KEYWORDS.get(word);
      if (kw !== undefined) {
        if ((kw === 'break' && !this.options.breakOK) || (kw === 'continue' && !this.options.continueOK))
          this.emit('identifier');
        else this.emit(kw);
      } else if (word[0] === '.') this.emit('field');
      else if (word === 'true' || word === 'false') this.emit('bool');
      else this.emit('identifier');
      return this.lexInsideAction;
    }
  }

  private lexField(): State {
    return this.lexFieldOrVariable('field');
  }

  private lexVariable(): State {
    if (this.atTerminator()) {
      this.emit('variable');
      return this.lexInsideAction;
    }
    return this.lexFieldOrVariable('variable');
  }

  private lexFieldOrVariable(type: 'field' | 'variable'): State {
    if (this.atTerminator()) {
      this.emit(type === 'variable' ? 'variable' : 'dot');
      return this.lexInsideAction;
    }
    let r: string | undefined;
    for (;;) {
      r = this.next();
      if (!isAlphaNumeric(r)) {
        if (r !== undefined) this.backup();
        break;
      }
    }
    if (!this.atTerminator()) return this.errorf(`bad character ${goRune(r)}`);
    this.emit(type);
    return this.lexInsideAction;
  }

  private atTerminator(): boolean {
    const r = this.peek();
    if (r === undefined || isSpace(r)) return true;
    switch (r) {
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
    }
    return this.input.startsWith(this.right, this.pos);
  }

  private lexChar(): State {
    for (;;) {
      const c = this.next();
      if (c === '\\') {
        const r = this.next();
        if (r !== undefined && r !== '\n') continue;
        return this.errorf('unterminated character constant');
      }
      if (c === undefined || c === '\n') return this.errorf('unterminated character constant');
      if (c === "'") break;
    }
    this.emit('charConstant');
    return this.lexInsideAction;
  }

  private lexNumber(): State {
    if (!this.scanNumber())
      return this.errorf(`bad number syntax: ${quote(this.input.slice(this.start, this.pos))}`);
    const sign = this.peek();
    if (sign === '+' || sign === '-') {
      // Complex: 1+2i. No spaces, must end in 'i'.
      if (!this.scanNumber() || this.input[this.pos - 1] !== 'i')
        return this.errorf(`bad number syntax: ${quote(this.input.slice(this.start, this.pos))}`);
      this.emit('complex');
    } else this.emit('number');
    return this.lexInsideAction;
  }

  private scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }

  private lexQuote(): State {
    for (;;) {
      const c = this.next();
      if (c === '\\') {
        const r = this.next();
        if (r !== undefined && r !== '\n') continue;
        return this.errorf('unterminated quoted string');
      }
      if (c === undefined || c === '\n') return this.errorf('unterminated quoted string');
      if (c === '"') break;
    }
    this.emit('string');
    return this.lexInsideAction;
  }

  private lexRawQuote(): State {
    const x = this.input.indexOf('`', this.pos);
    if (x < 0) return this.errorf('unterminated raw quoted string');
    this.pos = x + 1;
    this.emit('rawString');
    return this.lexInsideAction;
  }
}

/** Go's %#U of a rune: `U+0041 'A'`. */
function goRune(r: string | undefined): string {
  if (r === undefined) return 'U+FFFFFFFFFFFFFFFF';
  const cp = r.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(r) ? `U+${hex} '${r}'` : `U+${hex}`;
}

/** Scans a template into tokens; the list ends with an 'eof' or an 'error' token. */
export function lex(input: string, options: LexOptions = {}): Token[] {
  return new Lexer(input, options).run();
}
