/**
 * Strict YAML decoding with Go's error messages: what go-yaml reports when unmarshalling into
 * structs (unknown fields, wrong types, with line numbers), over the `yaml` package's node tree
 * (aliases and `<<` merge keys resolved). Used for rule files and promtool test files.
 */
import {
  Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseAllDocuments,
  visit,
  type Document as YamlDocument,
} from 'yaml';
import { parseDuration } from '../model/duration.ts';

/** 1-based line and column of a node; 0:0 for a missing one (as Go prints a zero yaml.Node). */
export interface Pos {
  line: number;
  col: number;
}
export const NO_POS: Pos = { line: 0, col: 0 };

/** An error that stops decoding at once (Go returns it instead of collecting it). */
export class FatalDecodeError extends Error {}

/** Decodes nodes into values, collecting type errors like go-yaml's "unmarshal errors". */
export class YamlDecoder {
  readonly typeErrors: string[] = [];
  /** Every alias's target, found in one pass over the document on first use. */
  private aliasTargets: Map<Node, Node> | undefined;
  constructor(
    private readonly doc: YamlDocument,
    private readonly lines: LineCounter,
    private readonly ignoreUnknownFields: boolean,
  ) {}

  pos(node: Node | null | undefined): Pos {
    const offset = node?.range?.[0];
    if (offset === undefined) return NO_POS;
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  resolve(node: unknown): Node | null {
    if (isAlias(node)) return this.aliasTargets?.get(node) ?? this.resolveAliases().get(node) ?? null;
    return (node as Node | null) ?? null;
  }

  /**
   * Maps each alias to the node of the latest anchor of its name before it in document order,
   * as the `yaml` package's Alias.resolve does, but in one walk: resolving aliases one by one
   * walks the document each time, quadratic in files with many aliases (stringify'd rules).
   */
  private resolveAliases(): Map<Node, Node> {
    if (this.aliasTargets) return this.aliasTargets;
    const anchors = new Map<string, Node>();
    const targets = new Map<Node, Node>();
    visit(this.doc, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          const target = anchors.get(node.source);
          if (target) targets.set(node, target);
        } else if (node.anchor) anchors.set(node.anchor, node);
      },
    });
    this.aliasTargets = targets;
    return targets;
  }

  private shortTag(node: Node): string {
    if (isMap(node)) return '!!map';
    if (isSeq(node)) return '!!seq';
    if (isScalar(node)) {
      const v = node.value;
      if (v === null) return '!!null';
      if (typeof v === 'boolean') return '!!bool';
      if (typeof v === 'number')
        return Number.isInteger(v) && !/[.eE]/.test(this.scalarText(node)) ? '!!int' : '!!float';
      return '!!str';
    }
    return '!!str';
  }

  cannot(node: Node, into: string): void {
    let value = '';
    if (isScalar(node)) {
      let v = this.scalarText(node);
      if (v.length > 10) v = v.slice(0, 7) + '...';
      value = ` \`${v}\``;
    }
    this.typeErrors.push(
      `line ${this.pos(node).line}: cannot unmarshal ${this.shortTag(node)}${value} into ${into}`,
    );
  }

  /** The text of a scalar as Go's decoder sees it (numbers and booleans as written). */
  scalarText(node: Node): string {
    if (!isScalar(node)) return '';
    const v = node.value;
    if (v === null) return '';
    if (typeof v === 'string') return v;
    const src = (node as { source?: string }).source;
    if (typeof src === 'string') return src;
    return String(v);
  }

  isNull(node: Node | null | undefined): boolean {
    return !node || (isScalar(node) && node.value === null);
  }

  /** Key/value pairs of a mapping, with aliases and `<<` merge keys resolved. */
  entries(node: Node): { key: string; keyNode: Node; value: Node | null }[] {
    const out: { key: string; keyNode: Node; value: Node | null }[] = [];
    if (!isMap(node)) return out;
    const merged: { key: string; keyNode: Node; value: Node | null }[] = [];
    for (const pair of node.items as Pair<unknown, unknown>[]) {
      const keyNode = this.resolve(pair.key);
      if (!keyNode) continue;
      const key = this.scalarText(keyNode);
      if (key === '<<' && isScalar(keyNode)) {
        const target = this.resolve(pair.value);
        const sources = isSeq(target) ? target.items.map((i) => this.resolve(i)) : [target];
        for (const s of sources) if (s) merged.push(...this.entries(s));
        continue;
      }
      out.push({ key, keyNode, value: this.resolve(pair.value) });
    }
    for (const m of merged) if (!out.some((e) => e.key === m.key)) out.push(m);
    return out;
  }

  /** Decodes a mapping into known fields; unknown ones are recorded as Go reports them. */
  struct(
    node: Node | null,
    type: string,
    fields: readonly string[],
  ): Map<string, { node: Node | null; keyNode: Node }> {
    const out = new Map<string, { node: Node | null; keyNode: Node }>();
    if (this.isNull(node)) return out;
    if (!isMap(node)) {
      this.cannot(node as Node, type);
      return out;
    }
    for (const e of this.entries(node)) {
      if (!fields.includes(e.key)) {
        if (!this.ignoreUnknownFields)
          this.typeErrors.push(`line ${this.pos(e.keyNode).line}: field ${e.key} not found in type ${type}`);
        continue;
      }
      out.set(e.key, { node: e.value, keyNode: e.keyNode });
    }
    return out;
  }

  string(node: Node | null | undefined): string {
    if (!node) return '';
    if (!isScalar(node)) {
      this.cannot(node, 'string');
      return '';
    }
    return this.scalarText(node);
  }

  int(node: Node | null | undefined): number {
    if (this.isNull(node)) return 0;
    if (isScalar(node) && typeof node.value === 'number' && Number.isInteger(node.value)) return node.value;
    this.cannot(node as Node, 'int');
    return 0;
  }

  float(node: Node | null | undefined): number {
    if (this.isNull(node)) return 0;
    if (isScalar(node) && typeof node.value === 'number') return node.value;
    if (isScalar(node) && typeof node.value === 'string') {
      const t = node.value.trim();
      if (/^[-+]?\.(inf|Inf|INF)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
      if (/^\.(nan|NaN|NAN)$/.test(t)) return Number.NaN;
    }
    this.cannot(node as Node, 'float64');
    return 0;
  }

  bool(node: Node | null | undefined): boolean {
    if (this.isNull(node)) return false;
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    this.cannot(node as Node, 'bool');
    return false;
  }

  stringMap(node: Node | null | undefined, type = 'map[string]string'): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.isNull(node)) return out;
    if (!isMap(node)) {
      this.cannot(node as Node, type);
      return out;
    }
    for (const e of this.entries(node)) out[e.key] = e.value ? this.string(e.value) : '';
    return out;
  }

  seq(node: Node | null | undefined, type: string): (Node | null)[] {
    if (this.isNull(node)) return [];
    if (!isSeq(node)) {
      this.cannot(node as Node, type);
      return [];
    }
    return node.items.map((i) => this.resolve(i));
  }

  /** A model.Duration; a bad one stops decoding (Go returns it directly). */
  duration(node: Node | null | undefined): number | undefined {
    if (this.isNull(node)) return undefined;
    const s = this.string(node);
    const ms = parseDuration(s);
    if (ms === undefined) throw new FatalDecodeError(`not a valid duration string: ${JSON.stringify(s)}`);
    return ms;
  }
}

/** Parses the first YAML document, or returns go-yaml-style syntax error text. */
export function parseYamlDocument(
  text: string,
  ignoreUnknownFields: boolean,
): { decoder: YamlDecoder; root: Node | null; multiple: boolean } | { error: string } {
  const lines = new LineCounter();
  let docs: YamlDocument[];
  try {
    docs = parseAllDocuments(text, {
      lineCounter: lines,
      merge: true,
      prettyErrors: false,
    }) as YamlDocument[];
  } catch (err) {
    return { error: `yaml: ${(err as Error).message}` };
  }
  if (!Array.isArray(docs)) docs = [docs as unknown as YamlDocument];
  const doc = docs[0];
  if (!doc)
    return {
      decoder: new YamlDecoder(new Document(), lines, ignoreUnknownFields),
      root: null,
      multiple: false,
    };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line;
    return { error: `yaml: line ${line}: ${e.message.split('\n')[0]}` };
  }
  return {
    decoder: new YamlDecoder(doc, lines, ignoreUnknownFields),
    root: doc.contents as Node | null,
    multiple: docs.length > 1,
  };
}

/** Joins collected type errors the way go-yaml does. */
export function unmarshalErrors(errors: readonly string[]): string {
  return `yaml: unmarshal errors:\n  ${errors.join('\n  ')}`;
}
