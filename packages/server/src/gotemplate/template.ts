/**
 * The public face of the engine, shaped like Go's *template.Template: a named template that
 * belongs to a set of associated templates sharing functions and options. {{define}},
 * {{block}} and {{template}} work across the set.
 */
import type { Tree } from './ast.ts';
import { BUILTINS } from './builtins.ts';
import { TemplateError } from './errors.ts';
import { type ExecEnv, executeTree, type MissingKey } from './exec.ts';
import { type FuncMap, isGoodFuncName, type TemplateFunc } from './funcs.ts';
import { isEmptyTree, parseTemplate } from './parser.ts';
import { quote } from './strconv.ts';

/** Options of a template set. */
export interface TemplateOptions {
  /** The template's name, used in error messages (`template: NAME:1:5: ...`). Default `template`. */
  readonly name?: string;
  /** Functions templates may call, in addition to the builtins (which they may override). */
  readonly funcs?: FuncMap;
  /**
   * What a missing map key gives (Go's `missingkey` option): 'default'/'invalid' print
   * `<no value>`, 'zero' gives the map's zero value (`""` for a GoMap of strings), 'error' stops.
   */
  readonly missingKey?: 'default' | 'invalid' | 'zero' | 'error';
  /** Action delimiters; default `{{` and `}}`. */
  readonly leftDelim?: string;
  readonly rightDelim?: string;
}

/** What associated templates share (Go's template.common plus options). */
class TemplateSet implements ExecEnv {
  readonly trees = new Map<string, Tree | undefined>();
  readonly funcs = new Map<string, TemplateFunc>();
  missingKey: MissingKey;
  leftDelim: string | undefined;
  rightDelim: string | undefined;

  constructor(options: TemplateOptions) {
    this.missingKey =
      options.missingKey === 'default' || !options.missingKey ? 'invalid' : options.missingKey;
    this.leftDelim = options.leftDelim;
    this.rightDelim = options.rightDelim;
    if (options.funcs) this.addFuncs(options.funcs);
  }

  addFuncs(funcs: FuncMap): void {
    for (const [name, fn] of Object.entries(funcs)) {
      if (!isGoodFuncName(name))
        throw new TypeError(`function name ${quote(name)} is not a valid identifier`);
      this.funcs.set(name, fn);
    }
  }

  hasFunction = (name: string): boolean => this.funcs.has(name) || BUILTINS.has(name);

  lookup(name: string): Tree | undefined {
    return this.trees.get(name);
  }

  findFunction(name: string): { fn: TemplateFunc; builtin: boolean } | undefined {
    const own = this.funcs.get(name);
    if (own) return { fn: own, builtin: false };
    const builtin = BUILTINS.get(name);
    return builtin ? { fn: builtin, builtin: true } : undefined;
  }

  definedTemplates(): string {
    const names = [...this.trees.entries()].filter(([, t]) => t !== undefined).map(([n]) => quote(n));
    return names.length === 0 ? '' : `; defined templates are: ${names.join(', ')}`;
  }

  clone(): TemplateSet {
    const copy = new TemplateSet({});
    copy.missingKey = this.missingKey;
    copy.leftDelim = this.leftDelim;
    copy.rightDelim = this.rightDelim;
    for (const [k, v] of this.trees) copy.trees.set(k, v);
    for (const [k, v] of this.funcs) copy.funcs.set(k, v);
    return copy;
  }
}

/**
 * A named template in a set of associated templates.
 *
 * @example
 * const t = compileTemplate('{{ range . }}<{{ . }}>{{ end }}', { name: 'list' });
 * t.execute(['a', 'b']); // '<a><b>'
 */
export class Template {
  private constructor(
    private readonly set: TemplateSet,
    /** The template's name. */
    readonly name: string,
  ) {}

  /** A new, empty template set whose first template is `name` (Go's template.New). */
  static create(options: TemplateOptions = {}): Template {
    const set = new TemplateSet(options);
    const name = options.name ?? 'template';
    if (!set.trees.has(name)) set.trees.set(name, undefined);
    return new Template(set, name);
  }

  /**
   * Parses `text` as this template's body; every {{define}}/{{block}} in it is added to the set,
   * replacing templates of the same name (but an empty body never replaces a defined one).
   * Throws TemplateError('parse'); the set is unchanged then.
   */
  parse(text: string): this {
    const trees = parseTemplate(this.name, text, {
      hasFunction: this.set.hasFunction,
      leftDelim: this.set.leftDelim,
      rightDelim: this.set.rightDelim,
    });
    for (const [name, tree] of trees) {
      const old = this.set.trees.get(name);
      if (old !== undefined && isEmptyTree(tree.root)) continue;
      this.set.trees.set(name, tree);
    }
    return this;
  }

  /** A new template associated with this one (same set, functions and options). */
  new(name: string): Template {
    if (!this.set.trees.has(name)) this.set.trees.set(name, undefined);
    return new Template(this.set, name);
  }

  /** The associated template with that name, if defined. */
  lookup(name: string): Template | undefined {
    return this.set.trees.has(name) ? new Template(this.set, name) : undefined;
  }

  /** The associated templates that have a body. */
  templates(): Template[] {
    return [...this.set.trees.entries()]
      .filter(([, t]) => t !== undefined)
      .map(([n]) => new Template(this.set, n));
  }

  /** Adds functions to the set; they must be added before parsing text that calls them. */
  funcs(funcs: FuncMap): this {
    this.set.addFuncs(funcs);
    return this;
  }

  /** An independent copy of the whole set, for adding or redefining templates without touching this one. */
  clone(): Template {
    return new Template(this.set.clone(), this.name);
  }

  /** Runs this template with `data` as dot; returns the output or throws TemplateError('exec'). */
  execute(data: unknown): string {
    const tree = this.set.trees.get(this.name);
    if (!tree)
      throw new TemplateError(
        `template: ${this.name}: ${quote(this.name)} is an incomplete or empty template`,
        'exec',
      );
    return executeTree(this.set, this.name, tree, data);
  }

  /** Runs the associated template `name`. */
  executeTemplate(name: string, data: unknown): string {
    if (!this.set.trees.has(name))
      throw new TemplateError(
        `template: no template ${quote(name)} associated with template ${quote(this.name)}`,
        'exec',
      );
    return new Template(this.set, name).execute(data);
  }

  /** `; defined templates are: "a", "b"`, or '' when there are none (Go's DefinedTemplates). */
  definedTemplates(): string {
    return this.set.definedTemplates();
  }
}

/**
 * Parses a template in a new set. Throws TemplateError('parse') with Go's message.
 *
 * @example compileTemplate('{{ .Labels.job | toUpper }}', { name: 'summary', funcs, missingKey: 'zero' })
 */
export function compileTemplate(text: string, options: TemplateOptions = {}): Template {
  return Template.create(options).parse(text);
}
