/**
 * The template parser: Go's text/template/parse, producing the trees of ast.ts. One call parses
 * one text into a set of trees: the top-level template plus every {{define}} and {{block}} in it.
 * Errors are TemplateErrors with Go's messages and line numbers.
 */
import type {
  ArgNode,
  ChainNode,
  CommandNode,
  FieldNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  TemplateNode,
  Tree,
  VariableNode,
} from './ast.ts';
import { nodeString } from './ast.ts';
import { TemplateError } from './errors.ts';
import { isKeyword, lex, type Token, type TokenType } from './lexer.ts';
import { LiteralError, parseGoNumber, quote, unquote } from './strconv.ts';

/** What the parser needs to know besides the text. */
export interface ParseOptions {
  /** Names of the functions templates may call (builtins included). */
  readonly hasFunction: (name: string) => boolean;
  readonly leftDelim?: string;
  readonly rightDelim?: string;
  /** Do not check that called functions exist (Go's SkipFuncCheck). */
  readonly skipFuncCheck?: boolean;
}

// The parser's private markers for {{end}} and {{else}}, which end item lists.
interface EndMarker {
  readonly kind: 'end';
  readonly pos: number;
}
interface ElseMarker {
  readonly kind: 'else';
  readonly pos: number;
  readonly line: number;
}
type Item = Node | EndMarker | ElseMarker;

function itemString(n: Item): string {
  if (n.kind === 'end') return '{{end}}';
  if (n.kind === 'else') return '{{else}}';
  return nodeString(n);
}

/** Go's item.String(), for "unexpected X" messages. */
function tokenString(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'error') return t.val;
  if (isKeyword(t.type)) return `<${t.val}>`;
  if (new TextEncoder().encode(t.val).length > 10) return `${quote([...t.val].slice(0, 10).join(''))}...`;
  return quote(t.val);
}

/** Per-tree parsing state (Go keeps it on each Tree). */
interface TreeState {
  name: string;
  vars: string[];
  rangeDepth: number;
  actionLine: number;
}

/** Signals a parse error internally; converted to a TemplateError at the parse() boundary. */
class ParseAbort {
  constructor(readonly message: string) {}
}

class Parser {
  private readonly tokens: Token[];
  private idx = 0;
  /** Index of the furthest token read; Go reports errors at the line of its newest token. */
  private furthest = 0;
  private t: TreeState;
  readonly treeSet = new Map<string, Tree>();

  constructor(
    private readonly text: string,
    private readonly parseName: string,
    private readonly options: ParseOptions,
  ) {
    this.tokens = lex(text, {
      leftDelim: options.leftDelim,
      rightDelim: options.rightDelim,
      breakOK: !options.hasFunction('break'),
      continueOK: !options.hasFunction('continue'),
    });
    this.t = this.newTreeState(parseName);
  }

  private newTreeState(name: string): TreeState {
    return { name, vars: ['$'], rangeDepth: 0, actionLine: 0 };
  }

  // Token access.
  private next(): Token {
    const tok = this.tokens[Math.min(this.idx, this.tokens.length - 1)];
    this.idx++;
    if (this.idx - 1 > this.furthest) this.furthest = this.idx - 1;
    return tok;
  }
  private backup(): void {
    this.idx--;
  }
  private peek(): Token {
    const tok = this.next();
    this.backup();
    return tok;
  }
  private nextNonSpace(): Token {
    let tok: Token;
    do tok = this.next();
    while (tok.type === 'space');
    return tok;
  }
  private peekNonSpace(): Token {
    const tok = this.nextNonSpace();
    this.backup();
    return tok;
  }

  private errorf(message: string): never {
    const line = this.tokens[Math.min(this.furthest, this.tokens.length - 1)]?.line ?? 1;
    throw new ParseAbort(`template: ${this.parseName}:${line}: ${message}`);
  }

  private expect(type: TokenType, context: string): Token {
    const tok = this.nextNonSpace();
    if (tok.type !== type) this.unexpected(tok, context);
    return tok;
  }

  private unexpected(tok: Token, context: string): never {
    if (tok.type === 'error') {
      let extra = '';
      if (this.t.actionLine !== 0 && this.t.actionLine !== tok.line) {
        extra = ` in action started at ${this.parseName}:${this.t.actionLine}`;
        if (tok.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${tokenString(tok)}${extra}`);
    }
    this.errorf(`unexpected ${tokenString(tok)} in ${context}`);
  }

  /** Parses the whole text: the top-level template and its definitions. */
  parse(): Map<string, Tree> {
    const nodes: Node[] = [];
    const rootPos = this.peek().pos;
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const mark = this.idx;
        this.next();
        if (this.nextNonSpace().type === 'define') {
          const outer = this.t;
          this.t = this.newTreeState('definition');
          this.parseDefinition();
          this.t = outer;
          continue;
        }
        this.idx = mark;
      }
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') this.errorf(`unexpected ${itemString(n)}`);
      nodes.push(n);
    }
    this.add({ kind: 'list', pos: rootPos, nodes });
    return this.treeSet;
  }

  /** Records the current tree in the set (Go's Tree.add). */
  private add(root: ListNode): void {
    const name = this.t.name;
    const existing = this.treeSet.get(name);
    if (existing === undefined || isEmptyTree(existing.root)) {
      this.treeSet.set(name, { name, parseName: this.parseName, text: this.text, root });
      return;
    }
    if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${quote(name)}`);
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const tok = this.nextNonSpace();
    if (tok.type !== 'string' && tok.type !== 'rawString') this.unexpected(tok, context);
    this.t.name = this.unquoteOrFail(tok.val);
    this.expect('rightDelim', context);
    const { list, next } = this.itemList();
    if (next.kind !== 'end') this.errorf(`unexpected ${itemString(next)} in ${context}`);
    this.add(list);
  }

  private unquoteOrFail(literal: string): string {
    try {
      return unquote(literal);
    } catch (err) {
      if (err instanceof LiteralError) this.errorf(err.message);
      throw err;
    }
  }

  /** textOrAction* up to {{end}} or {{else}}, which is returned separately. */
  private itemList(): { list: ListNode; next: EndMarker | ElseMarker } {
    const pos = this.peekNonSpace().pos;
    const nodes: Node[] = [];
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return { list: { kind: 'list', pos, nodes }, next: n };
      nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Item {
    const tok = this.nextNonSpace();
    switch (tok.type) {
      case 'text':
        return { kind: 'text', pos: tok.pos, text: tok.val };
      case 'leftDelim': {
        this.t.actionLine = tok.line;
        try {
          return this.action();
        } finally {
          this.t.actionLine = 0;
        }
      }
      default:
        this.unexpected(tok, 'input');
    }
  }

  private action(): Item {
    const tok = this.nextNonSpace();
    switch (tok.type) {
      case 'block':
        return this.blockControl();
      case 'break':
      case 'continue':
        return this.breakOrContinue(tok);
      case 'else':
        return this.elseControl();
      case 'end':
        return { kind: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
        return this.ifControl();
      case 'range':
        return this.rangeControl();
      case 'template':
        return this.templateControl();
      case 'with':
        return this.withControl();
    }
    this.backup();
    const first = this.peek();
    return { kind: 'action', pos: first.pos, line: first.line, pipe: this.pipeline('command', 'rightDelim') };
  }

  private breakOrContinue(kw: Token): Node {
    const word = kw.type as 'break' | 'continue';
    const tok = this.nextNonSpace();
    if (tok.type !== 'rightDelim') this.unexpected(tok, `{{${word}}}`);
    if (this.t.rangeDepth === 0) this.errorf(`{{${word}}} outside {{range}}`);
    return { kind: word, pos: kw.pos, line: kw.line };
  }

  private pipeline(context: string, end: TokenType): PipeNode {
    const first = this.peekNonSpace();
    const decl: VariableNode[] = [];
    let isAssign = false;
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const mark = this.idx;
      this.nextNonSpace();
      const nxt = this.peekNonSpace();
      if (nxt.type === 'assign' || nxt.type === 'declare') {
        isAssign = nxt.type === 'assign';
        this.nextNonSpace();
        decl.push(this.newVariable(v.pos, v.val));
        this.t.vars.push(v.val);
        break;
      }
      if (nxt.type === 'char' && nxt.val === ',') {
        this.nextNonSpace();
        decl.push(this.newVariable(v.pos, v.val));
        this.t.vars.push(v.val);
        if (context === 'range' && decl.length < 2) {
          const t = this.peekNonSpace().type;
          if (t === 'variable' || t === 'rightDelim' || t === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.idx = mark; // $x is an operand, not a declaration
      break;
    }
    const cmds: CommandNode[] = [];
    for (;;) {
      const tok = this.nextNonSpace();
      if (tok.type === end) {
        this.checkPipeline(cmds, context);
        return { kind: 'pipe', pos: first.pos, line: first.line, isAssign, decl, cmds };
      }
      switch (tok.type) {
        case 'bool':
        case 'charConstant':
        case 'complex':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          cmds.push(this.command());
          break;
        default:
          this.unexpected(tok, context);
      }
    }
  }

  private checkPipeline(cmds: readonly CommandNode[], context: string): void {
    if (cmds.length === 0) this.errorf(`missing value for ${context}`);
    for (let i = 1; i < cmds.length; i++) {
      const k = cmds[i].args[0].kind;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string')
        this.errorf(`non executable command in pipeline stage ${i + 1}`);
    }
  }

  private parseControl(context: 'if' | 'with' | 'range'): {
    pos: number;
    line: number;
    pipe: PipeNode;
    list: ListNode;
    elseList: ListNode | undefined;
  } {
    const varsMark = this.t.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.t.rangeDepth++;
      const { list, next } = this.itemList();
      if (context === 'range') this.t.rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.kind === 'else') {
        // {{else if}} and {{else with}} nest an if/with in the else branch, sharing its {{end}}.
        if (context === 'if' && this.peek().type === 'if') {
          this.next();
          elseList = { kind: 'list', pos: next.pos, nodes: [this.ifControl()] };
        } else if (context === 'with' && this.peek().type === 'with') {
          this.next();
          elseList = { kind: 'list', pos: next.pos, nodes: [this.withControl()] };
        } else {
          const r = this.itemList();
          if (r.next.kind !== 'end') this.errorf(`expected end; found ${itemString(r.next)}`);
          elseList = r.list;
        }
      }
      return { pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.t.vars.length = varsMark;
    }
  }

  private ifControl(): Node {
    return { kind: 'if', ...this.parseControl('if') };
  }
  private withControl(): Node {
    return { kind: 'with', ...this.parseControl('with') };
  }
  private rangeControl(): Node {
    return { kind: 'range', ...this.parseControl('range') };
  }

  private elseControl(): ElseMarker {
    const peek = this.peekNonSpace();
    if (peek.type === 'if' || peek.type === 'with') return { kind: 'else', pos: peek.pos, line: peek.line };
    const tok = this.expect('rightDelim', 'else');
    return { kind: 'else', pos: tok.pos, line: tok.line };
  }

  private blockControl(): TemplateNode {
    const context = 'block clause';
    const tok = this.nextNonSpace();
    const name = this.templateName(tok, context);
    const pipe = this.pipeline(context, 'rightDelim');
    const outer = this.t;
    this.t = this.newTreeState(name);
    const { list, next } = this.itemList();
    if (next.kind !== 'end') this.errorf(`unexpected ${itemString(next)} in ${context}`);
    this.add(list);
    this.t = outer;
    return { kind: 'template', pos: tok.pos, line: tok.line, name, pipe };
  }

  private templateControl(): TemplateNode {
    const context = 'template clause';
    const tok = this.nextNonSpace();
    const name = this.templateName(tok, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { kind: 'template', pos: tok.pos, line: tok.line, name, pipe };
  }

  private templateName(tok: Token, context: string): string {
    if (tok.type !== 'string' && tok.type !== 'rawString') this.unexpected(tok, context);
    return this.unquoteOrFail(tok.val);
  }

  private command(): CommandNode {
    const pos = this.peekNonSpace().pos;
    const args: ArgNode[] = [];
    for (;;) {
      this.peekNonSpace(); // skip leading spaces
      const operand = this.operand();
      if (operand) args.push(operand);
      const tok = this.next();
      if (tok.type === 'space') continue;
      if (tok.type === 'rightDelim' || tok.type === 'rightParen') this.backup();
      else if (tok.type !== 'pipe') this.unexpected(tok, 'operand');
      break;
    }
    if (args.length === 0) this.errorf('empty command');
    return { kind: 'command', pos, args };
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().type !== 'field') return node;
    const chainPos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    const chain: ChainNode = { kind: 'chain', pos: chainPos, node, fields };
    switch (node.kind) {
      case 'field':
        return this.newField(chainPos, nodeString(chain));
      case 'variable':
        return this.newVariable(chainPos, nodeString(chain));
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.errorf(`unexpected . after term ${quote(nodeString(node))}`);
    }
    return chain;
  }

  private term(): ArgNode | undefined {
    const tok = this.nextNonSpace();
    switch (tok.type) {
      case 'identifier':
        if (!this.options.skipFuncCheck && !this.options.hasFunction(tok.val))
          this.errorf(`function ${quote(tok.val)} not defined`);
        return { kind: 'identifier', pos: tok.pos, ident: tok.val };
      case 'dot':
        return { kind: 'dot', pos: tok.pos };
      case 'nil':
        return { kind: 'nil', pos: tok.pos };
      case 'variable':
        return this.useVar(tok.pos, tok.val);
      case 'field':
        return this.newField(tok.pos, tok.val);
      case 'bool':
        return { kind: 'bool', pos: tok.pos, value: tok.val === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        return this.newNumber(tok);
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { kind: 'string', pos: tok.pos, quoted: tok.val, text: this.unquoteOrFail(tok.val) };
    }
    this.backup();
    return undefined;
  }

  private newNumber(tok: Token): NumberNode {
    try {
      if (tok.type === 'charConstant') {
        const s = unquote(tok.val);
        const cp = s.codePointAt(0)!;
        if (String.fromCodePoint(cp) !== s) this.errorf(`malformed character constant: ${tok.val}`);
        const value = { isInt: true, isFloat: true, int: BigInt(cp), float: cp };
        return { kind: 'number', pos: tok.pos, text: tok.val, value, isChar: true };
      }
      return { kind: 'number', pos: tok.pos, text: tok.val, value: parseGoNumber(tok.val), isChar: false };
    } catch (err) {
      if (err instanceof LiteralError) this.errorf(err.message);
      throw err;
    }
  }

  private newField(pos: number, ident: string): FieldNode {
    return { kind: 'field', pos, ident: ident.slice(1).split('.') };
  }

  private newVariable(pos: number, ident: string): VariableNode {
    return { kind: 'variable', pos, ident: ident.split('.') };
  }

  private useVar(pos: number, name: string): VariableNode {
    const v = this.newVariable(pos, name);
    if (!this.t.vars.includes(v.ident[0])) this.errorf(`undefined variable ${quote(v.ident[0])}`);
    return v;
  }
}

/** Whether a tree holds nothing but space and comments (Go's parse.IsEmptyTree). */
export function isEmptyTree(n: Node): boolean {
  switch (n.kind) {
    case 'list':
      return n.nodes.every(isEmptyTree);
    case 'text':
      return n.text.trim() === '';
    default:
      return false;
  }
}

/**
 * Parses `text` as the template `name` plus the templates it defines. Throws TemplateError
 * ('parse') with Go's message, e.g. `template: t:1: function "foo" not defined`.
 */
export function parseTemplate(name: string, text: string, options: ParseOptions): Map<string, Tree> {
  try {
    return new Parser(text, name, options).parse();
  } catch (err) {
    if (err instanceof ParseAbort) throw new TemplateError(err.message, 'parse');
    throw err;
  }
}
