/**
 * The parse tree of a template: frozen data with a `kind` tag, mirroring Go's
 * text/template/parse nodes, and `nodeString`, which prints a node the way Go's Node.String()
 * does (error messages quote nodes: `executing "t" at <.Foo>`).
 */
import { type GoNumber, quote } from './strconv.ts';

interface Base {
  /** Offset of the node in its template text. */
  readonly pos: number;
}

export interface TextNode extends Base {
  readonly kind: 'text';
  readonly text: string;
}
export interface ActionNode extends Base {
  readonly kind: 'action';
  readonly line: number;
  readonly pipe: PipeNode;
}
export interface IfNode extends Base {
  readonly kind: 'if';
  readonly line: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
}
export interface WithNode extends Base {
  readonly kind: 'with';
  readonly line: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
}
export interface RangeNode extends Base {
  readonly kind: 'range';
  readonly line: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
}
export interface TemplateNode extends Base {
  readonly kind: 'template';
  readonly line: number;
  readonly name: string;
  readonly pipe: PipeNode | undefined;
}
export interface BreakNode extends Base {
  readonly kind: 'break';
  readonly line: number;
}
export interface ContinueNode extends Base {
  readonly kind: 'continue';
  readonly line: number;
}
export interface ListNode extends Base {
  readonly kind: 'list';
  readonly nodes: readonly Node[];
}

/** `decl := cmd | cmd`; `isAssign` for `$x = ...`. */
export interface PipeNode extends Base {
  readonly kind: 'pipe';
  readonly line: number;
  readonly isAssign: boolean;
  readonly decl: readonly VariableNode[];
  readonly cmds: readonly CommandNode[];
}
export interface CommandNode extends Base {
  readonly kind: 'command';
  readonly args: readonly ArgNode[];
}

/** `.A.B`: idents without the dots. */
export interface FieldNode extends Base {
  readonly kind: 'field';
  readonly ident: readonly string[];
}
/** `$x.A.B`: ident[0] is the variable name with its `$`. */
export interface VariableNode extends Base {
  readonly kind: 'variable';
  readonly ident: readonly string[];
}
/** `(pipe).A.B` or `func.A`: fields applied to a term. */
export interface ChainNode extends Base {
  readonly kind: 'chain';
  readonly node: ArgNode;
  readonly fields: readonly string[];
}
export interface IdentifierNode extends Base {
  readonly kind: 'identifier';
  readonly ident: string;
}
export interface DotNode extends Base {
  readonly kind: 'dot';
}
export interface NilNode extends Base {
  readonly kind: 'nil';
}
export interface BoolNode extends Base {
  readonly kind: 'bool';
  readonly value: boolean;
}
export interface NumberNode extends Base {
  readonly kind: 'number';
  /** The literal as written. */
  readonly text: string;
  readonly value: GoNumber;
  /** A character constant like 'a' (an int, never a float in an interface context). */
  readonly isChar: boolean;
}
export interface StringNode extends Base {
  readonly kind: 'string';
  /** The literal as written, with its quotes. */
  readonly quoted: string;
  readonly text: string;
}

/** Nodes that make up a template body. */
export type Node =
  | TextNode
  | ActionNode
  | IfNode
  | WithNode
  | RangeNode
  | TemplateNode
  | BreakNode
  | ContinueNode
  | ListNode;

/** Nodes that can be command arguments. */
export type ArgNode =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

/** Any node, for error context. */
export type AnyNode = Node | ArgNode | CommandNode;

/** A parsed template: its body plus what error messages need. */
export interface Tree {
  readonly name: string;
  /** The name of the top-level template being parsed when this tree was made (for errors). */
  readonly parseName: string;
  /** The whole text that was parsed (for line:column in errors). */
  readonly text: string;
  readonly root: ListNode;
}

/** Go's Node.String(). */
export function nodeString(n: AnyNode): string {
  switch (n.kind) {
    case 'text':
      return n.text;
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'with':
    case 'range': {
      let s = `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}`;
      if (n.elseList) s += `{{else}}${nodeString(n.elseList)}`;
      return s + '{{end}}';
    }
    case 'template':
      return n.pipe ? `{{template ${quote(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${quote(n.name)}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'field':
      return n.ident.map((i) => '.' + i).join('');
    case 'variable':
      return n.ident.join('.');
    case 'chain': {
      const head = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return head + n.fields.map((f) => '.' + f).join('');
    }
    case 'identifier':
      return n.ident;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
  }
}
