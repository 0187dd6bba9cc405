/**
 * Template execution: Go's text/template exec.go over the JS value conventions of values.ts.
 * One switch per node kind; errors are thrown as ExecAbort inside and turned into a
 * TemplateError at the execute() boundary, with Go's `template: NAME:LINE:COL: executing ...`
 * text. `break` and `continue` travel as return signals, not exceptions.
 */
import type {
  AnyNode,
  ArgNode,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  RangeNode,
  TemplateNode,
  Tree,
  VariableNode,
} from './ast.ts';
import { nodeString } from './ast.ts';
import { isTrue, truth } from './builtins.ts';
import { TemplateError } from './errors.ts';
import { sprint } from './fmt.ts';
import {
  FuncError,
  implementationOf,
  type ParamType,
  paramTypeName,
  signatureOf,
  type TemplateFunc,
} from './funcs.ts';
import { quote } from './strconv.ts';
import { findMethod, goTypeName, isGoMap, sortedMapKeys } from './values.ts';

/** What a missing map key yields: Go's `missingkey` option. */
export type MissingKey = 'invalid' | 'zero' | 'error';

/** What execution needs from the template set. */
export interface ExecEnv {
  lookup(name: string): Tree | undefined;
  findFunction(name: string): { fn: TemplateFunc; builtin: boolean } | undefined;
  readonly missingKey: MissingKey;
  /** Names of the defined templates, for "no such template" errors. */
  definedTemplates(): string;
}

/** Deepest nesting of {{template}} calls (Go allows 100000; JS stacks are smaller). */
export const MAX_EXEC_DEPTH = 1000;

/** The "no argument from the pipeline" marker (Go's missingVal). */
const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

const NORMAL = 0;
const BREAK = 1;
const CONTINUE = 2;
type Signal = typeof NORMAL | typeof BREAK | typeof CONTINUE;

class ExecAbort {
  constructor(
    readonly message: string,
    readonly cause?: unknown,
  ) {}
}

interface Variable {
  name: string;
  value: unknown;
}

const utf8 = new TextEncoder();

class State {
  out = '';
  node: AnyNode | undefined;
  vars: Variable[];
  depth = 0;

  constructor(
    private readonly env: ExecEnv,
    private name: string,
    private tree: Tree,
    data: unknown,
  ) {
    this.vars = [{ name: '$', value: data }];
  }

  run(data: unknown): string {
    this.walk(data, this.tree.root);
    return this.out;
  }

  // --- errors -------------------------------------------------------------

  errorf(message: string, cause?: unknown): never {
    if (!this.node) throw new ExecAbort(`template: ${this.name}: ${message}`, cause);
    const { location, context } = this.errorContext(this.node);
    throw new ExecAbort(
      `template: ${location}: executing ${quote(this.name)} at <${context}>: ${message}`,
      cause,
    );
  }

  private errorContext(n: AnyNode): { location: string; context: string } {
    const text = this.tree.text.slice(0, n.pos);
    const nl = text.lastIndexOf('\n');
    const col = utf8.encode(nl < 0 ? text : text.slice(nl + 1)).length;
    let line = 1;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
    return { location: `${this.tree.parseName}:${line}:${col}`, context: nodeString(n) };
  }

  private at(n: AnyNode): void {
    this.node = n;
  }

  // --- variables ----------------------------------------------------------

  private mark(): number {
    return this.vars.length;
  }
  private pop(mark: number): void {
    this.vars.length = mark;
  }
  private push(name: string, value: unknown): void {
    this.vars.push({ name, value });
  }
  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, value: unknown): void {
    this.vars[this.vars.length - n].value = value;
  }
  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    this.errorf(`undefined variable: ${name}`);
  }

  // --- walking ------------------------------------------------------------

  private walk(dot: unknown, node: Node): Signal {
    this.at(node);
    switch (node.kind) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return NORMAL;
      }
      case 'text':
        this.out += node.text;
        return NORMAL;
      case 'list':
        return this.walkList(dot, node);
      case 'if':
      case 'with':
        return this.walkIfOrWith(node.kind, dot, node.pipe, node.list, node.elseList);
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        this.walkTemplate(dot, node);
        return NORMAL;
      case 'break':
        return BREAK;
      case 'continue':
        return CONTINUE;
    }
  }

  private walkList(dot: unknown, list: ListNode): Signal {
    for (const n of list.nodes) {
      const signal = this.walk(dot, n);
      if (signal !== NORMAL) return signal;
    }
    return NORMAL;
  }

  private walkIfOrWith(
    kind: 'if' | 'with',
    dot: unknown,
    pipe: PipeNode,
    list: ListNode,
    elseList: ListNode | undefined,
  ): Signal {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, pipe);
      const { truth: t, ok } = isTrue(val);
      if (!ok) this.errorf(`if/with can't use ${sprint([val])}`);
      if (t) return this.walk(kind === 'with' ? val : dot, list);
      if (elseList) return this.walk(dot, elseList);
      return NORMAL;
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: unknown, r: RangeNode): Signal {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const decl = r.pipe.decl;
      // Returns true to stop (break).
      const oneIteration = (index: unknown, elem: unknown): boolean => {
        if (decl.length > 0) {
          // With two variables the first gets the index; with one, the element.
          if (r.pipe.isAssign) this.setVar(decl[0].ident[0], decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1].ident[0], elem);
          else this.setTopVar(2, index);
        }
        try {
          return this.walk(elem, r.list) === BREAK;
        } finally {
          this.pop(mark);
        }
      };
      if (Array.isArray(val)) {
        if (val.length > 0) {
          for (let i = 0; i < val.length; i++) {
            const e = val[i];
            if (oneIteration(BigInt(i), e === undefined ? null : e)) break;
          }
          return NORMAL;
        }
      } else if (isGoMap(val)) {
        if (val.size > 0) {
          for (const key of sortedMapKeys(val)) {
            const e = val.get(key);
            if (oneIteration(key, e === undefined ? null : e)) break;
          }
          return NORMAL;
        }
      } else if (typeof val === 'bigint') {
        // Go 1.22: range over an integer.
        if (decl.length > 1) this.errorf(`can't use ${val} to iterate over more than one variable`);
        if (val > 0n) {
          for (let i = 0n; i < val; i++) if (oneIteration(i, i)) break;
          return NORMAL;
        }
      } else if (val !== undefined && val !== null) {
        this.errorf(`range can't iterate over ${sprint([val])}`);
      }
      if (r.elseList) return this.walk(dot, r.elseList);
      return NORMAL;
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    const tree = this.env.lookup(t.name);
    if (!tree) this.errorf(`template ${quote(t.name)} not defined`);
    if (this.depth >= MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    // No dynamic scoping: the called template sees only $ (its dot).
    const saved = { name: this.name, tree: this.tree, vars: this.vars };
    this.name = t.name;
    this.tree = tree;
    this.vars = [{ name: '$', value: newDot }];
    this.depth++;
    try {
      this.walk(newDot, tree.root);
    } finally {
      this.depth--;
      this.name = saved.name;
      this.tree = saved.tree;
      this.vars = saved.vars;
    }
  }

  // --- evaluation ---------------------------------------------------------

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // Go unwraps interface values between commands: a nil interface becomes "no value".
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0], value);
      else this.push(v.ident[0], value);
    }
    return value;
  }

  private notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING)
      this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0];
    switch (first.kind) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  /** A number literal where no type is known: Go's rules give int, float64 or an error. */
  private idealConstant(n: NumberNode): unknown {
    this.at(n);
    const v = n.value;
    const isHexInt = /^0[xX]/.test(n.text) && !/[pP]/.test(n.text);
    if (v.isFloat && !isHexInt && !n.isChar && /[.eEpP]/.test(n.text)) return v.float;
    if (v.isInt) return v.int;
    this.errorf(`${n.text} overflows int`);
  }

  private evalFieldNode(
    dot: unknown,
    field: FieldNode,
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(
    dot: unknown,
    chain: ChainNode,
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    this.at(chain);
    if (chain.node.kind === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.fields, args, final);
  }

  private evalVariableNode(
    dot: unknown,
    variable: VariableNode,
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    this.at(variable);
    const value = this.varValue(variable.ident[0]);
    if (variable.ident.length === 1) {
      this.notAFunction(args ?? [variable], final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: AnyNode,
    ident: readonly string[],
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(dot, ident[i], node, null, MISSING, receiver);
    return this.evalField(dot, ident[n - 1], node, args, final, receiver);
  }

  private evalField(
    dot: unknown,
    fieldName: string,
    node: AnyNode,
    args: readonly ArgNode[] | null,
    final: Final,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) {
      if (this.env.missingKey === 'error') this.errorf(`nil data; no entry for key ${quote(fieldName)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    // Methods first (exported names only, as in Go), then struct fields or map keys.
    if (/^\p{Lu}/u.test(fieldName)) {
      const method = findMethod(receiver, fieldName);
      if (method) {
        const bound = (...a: unknown[]) => method.apply(receiver, a);
        return this.evalCall(dot, bound, false, node, fieldName, args, final);
      }
    }
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (isGoMap(receiver)) {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      if (receiver.has(fieldName)) {
        const v = receiver.get(fieldName);
        return v === undefined ? null : v;
      }
      switch (this.env.missingKey) {
        case 'invalid':
          return undefined;
        case 'zero':
          return 'zero' in receiver ? (receiver as { zero: unknown }).zero : null;
        case 'error':
          this.errorf(`map has no entry for key ${quote(fieldName)}`);
      }
    }
    if (
      typeof receiver === 'object' &&
      !Array.isArray(receiver) &&
      Object.hasOwn(receiver as object, fieldName)
    ) {
      const v = (receiver as Record<string, unknown>)[fieldName];
      if (typeof v !== 'function') {
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        return v === undefined ? null : v;
      }
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(
    dot: unknown,
    node: IdentifierNode,
    cmd: AnyNode,
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    this.at(node);
    const found = this.env.findFunction(node.ident);
    if (!found) this.errorf(`${quote(node.ident)} is not a defined function`);
    return this.evalCall(dot, found.fn, found.builtin, cmd, node.ident, args, final);
  }

  private evalCall(
    dot: unknown,
    fun: TemplateFunc,
    isBuiltin: boolean,
    node: AnyNode,
    name: string,
    cmdArgs: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    const args = cmdArgs ? cmdArgs.slice(1) : [];
    const sig = signatureOf(fun);
    let numIn = args.length;
    if (final !== MISSING) numIn++;
    let numFixed = args.length;
    if (sig.variadic !== undefined) {
      numFixed = sig.params.length;
      if (numIn < numFixed)
        this.errorf(
          `wrong number of args for ${name}: want at least ${sig.params.length} got ${args.length}`,
        );
    } else if (numIn !== sig.params.length) {
      this.errorf(`wrong number of args for ${name}: want ${sig.params.length} got ${numIn}`);
    }

    // and/or short-circuit: the first falsy (and) or truthy (or) argument, or the last one.
    if (isBuiltin && (name === 'and' || name === 'or')) {
      let v: unknown;
      for (const arg of args) {
        v = this.evalArg(dot, 'value', arg);
        if (truth(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = this.validateType(final, 'value');
      return v;
    }

    const argv: unknown[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv.push(this.evalArg(dot, sig.params[i], args[i]));
    if (sig.variadic !== undefined)
      for (; i < args.length; i++) argv.push(this.evalArg(dot, sig.variadic, args[i]));
    if (final !== MISSING) {
      let t: ParamType;
      if (sig.variadic !== undefined) t = numIn - 1 < numFixed ? sig.params[numIn - 1] : sig.variadic;
      else t = sig.params[sig.params.length - 1];
      argv.push(this.validateType(final, t));
    }

    if (isBuiltin && name === 'call') return this.builtinCall(node, cmdArgs ? cmdArgs[1] : undefined, argv);

    let result: unknown;
    try {
      result = implementationOf(fun)(...argv);
    } catch (err) {
      if (err instanceof ExecAbort) throw err;
      this.at(node);
      this.errorf(`error calling ${name}: ${errorText(err)}`, err);
    }
    // Builtins may yield "no value"; a JS function returning nothing returns nil.
    return result === undefined && !isBuiltin ? null : result;
  }

  private builtinCall(node: AnyNode, calleeNode: ArgNode | undefined, argv: unknown[]): unknown {
    const [fn, ...rest] = argv;
    const calleeName = calleeNode ? nodeString(calleeNode) : '';
    try {
      if (fn === undefined || fn === null) throw new FuncError('call of nil');
      if (typeof fn !== 'function')
        throw new FuncError(`non-function ${calleeName} of type ${goTypeName(fn)}`);
      const r = (fn as (...a: unknown[]) => unknown)(...rest);
      return r === undefined ? null : r;
    } catch (err) {
      if (err instanceof ExecAbort) throw err;
      this.at(node);
      this.errorf(`error calling call: ${errorText(err)}`, err);
    }
  }

  /** Checks that a value can be passed as a parameter of type `t` (Go's validateType). */
  private validateType(value: unknown, t: ParamType | undefined): unknown {
    if (value === undefined) {
      if (t === undefined || t === 'value') return undefined;
      if (t === 'any') return null;
      if (typeof t === 'object' && t.nilable) return null;
      this.errorf(`invalid value; expected ${paramTypeName(t)}`);
    }
    if (t === undefined || t === 'value' || t === 'any') return value;
    let ok: boolean;
    switch (t) {
      case 'string':
        ok = typeof value === 'string';
        break;
      case 'int':
        ok = typeof value === 'bigint';
        break;
      case 'float64':
        ok = typeof value === 'number';
        break;
      case 'bool':
        ok = typeof value === 'boolean';
        break;
      default:
        ok = (value === null && t.nilable === true) || (value !== null && t.accepts(value));
    }
    if (!ok) this.errorf(`wrong type for value; expected ${paramTypeName(t)}; got ${goTypeName(value)}`);
    return value;
  }

  private evalArg(dot: unknown, t: ParamType | undefined, n: ArgNode): unknown {
    this.at(n);
    switch (n.kind) {
      case 'dot':
        return this.validateType(dot, t);
      case 'nil':
        if (t === 'any' || (typeof t === 'object' && t.nilable)) return null;
        if (t === 'value') return null;
        return this.errorf(`cannot assign nil to ${t === undefined ? '<nil>' : paramTypeName(t)}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), t);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), t);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), t);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), t);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), t);
    }
    switch (t) {
      case 'bool':
        if (n.kind === 'bool') return n.value;
        return this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'string':
        if (n.kind === 'string') return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case 'int':
        if (n.kind === 'number' && n.value.isInt) return n.value.int;
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'float64':
        if (n.kind === 'number' && n.value.isFloat) return n.value.float;
        return this.errorf(`expected float; found ${nodeString(n)}`);
      case 'any':
      case 'value':
        return this.evalEmptyInterface(n);
    }
    this.errorf(
      `can't handle ${nodeString(n)} for arg of type ${t === undefined ? '<nil>' : paramTypeName(t)}`,
    );
  }

  private evalEmptyInterface(n: ArgNode): unknown {
    this.at(n);
    switch (n.kind) {
      case 'bool':
        return n.value;
      case 'number':
        return this.idealConstant(n);
      case 'string':
        return n.text;
    }
    this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
  }

  private printValue(n: AnyNode, v: unknown): void {
    this.at(n);
    if (typeof v === 'string') {
      this.out += v;
      return;
    }
    if (v === undefined) {
      this.out += '<no value>';
      return;
    }
    if (typeof v === 'function') this.errorf(`can't print ${nodeString(n)} of type ${goTypeName(v)}`);
    this.out += sprint([v]);
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Executes `tree` (the template `name`) with `data` as dot and $. Throws TemplateError('exec')
 * with Go's message; anything else thrown is a bug in the engine or a function and propagates.
 */
export function executeTree(env: ExecEnv, name: string, tree: Tree, data: unknown): string {
  const state = new State(env, name, tree, data);
  try {
    return state.run(data);
  } catch (err) {
    if (err instanceof ExecAbort) throw new TemplateError(err.message, 'exec', err.cause);
    if (err instanceof RangeError && /call stack/i.test(err.message))
      throw new TemplateError(`template: ${name}: execution too deeply nested`, 'exec', err);
    throw err;
  }
}
