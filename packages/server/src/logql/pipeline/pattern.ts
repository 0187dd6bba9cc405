import { LogQLParseError } from '../errors.ts';

/** A part of a pattern: literal text, or a capture (`<name>`, `<_>` for one that is not kept). */
type PatternNode = { readonly literal: string } | { readonly capture: string };

/**
 * Loki's pattern language (`<ip> - - <_> "<method> <path> <_>"`), for the `pattern` parser and the
 * `|>`/`!>` line filters. Captures take the text up to the next literal; a literal at the start
 * must be at the start of the line.
 */
export class Pattern {
  private constructor(
    private readonly nodes: readonly PatternNode[],
    /** Named captures in order. */
    readonly names: readonly string[],
  ) {}

  /** For the parser: at least one named capture, no two captures in a row. */
  static forParser(text: string): Pattern {
    const nodes = parsePattern(text);
    checkConsecutive(text, nodes);
    const names = nodes.flatMap((n) => ('capture' in n && n.capture !== '_' ? [n.capture] : []));
    if (names.length === 0)
      throw new LogQLParseError(`invalid pattern ${JSON.stringify(text)}: at least one capture is required`);
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n))
        throw new LogQLParseError(`invalid pattern ${JSON.stringify(text)}: duplicate capture name (${n})`);
      seen.add(n);
    }
    return new Pattern(nodes, names);
  }

  /** For line filters: only `<_>` captures, none in a row. */
  static forLineFilter(text: string): Pattern {
    const nodes = parsePattern(text);
    checkConsecutive(text, nodes);
    if (nodes.some((n) => 'capture' in n && n.capture !== '_')) {
      throw new LogQLParseError(`invalid pattern ${JSON.stringify(text)}: named captures are not allowed`);
    }
    return new Pattern(nodes, []);
  }

  /** The named captures found, in order; partial when the line stops matching part way. */
  matches(line: string): string[] {
    const out: string[] = [];
    if (line.length === 0 || this.nodes.length === 0) return out;
    let expr = this.nodes;
    let rest = line;
    const first = expr[0];
    if ('literal' in first) {
      if (!rest.startsWith(first.literal)) return out;
      rest = rest.slice(first.literal.length);
      expr = expr.slice(1);
    }
    while (expr.length > 0) {
      const capt = expr[0] as { capture: string };
      if (expr.length === 1) {
        if (capt.capture !== '_') out.push(rest);
        return out;
      }
      const lit = (expr[1] as { literal: string }).literal;
      expr = expr.slice(2);
      const i = rest.indexOf(lit);
      if (i < 0) {
        if (capt.capture !== '_') out.push(rest);
        return out;
      }
      if (capt.capture !== '_') out.push(rest.slice(0, i));
      rest = rest.slice(i + lit.length);
    }
    return out;
  }

  /** Whether the whole line matches (the `|>` filter). */
  test(line: string): boolean {
    const e = this.nodes;
    if (line.length === 0 || e.length === 0) return line.length === 0 && e.length === 0;
    let off = 0;
    for (let i = 0; i < e.length; i++) {
      const n = e[i];
      if (!('literal' in n)) continue;
      const j = line.indexOf(n.literal, off);
      if (j < 0) return false;
      if (i === 0 && j !== 0) return false;
      if (i !== 0 && j === off) return false;
      off = j + n.literal.length;
    }
    const endsOnCapture = 'capture' in e[e.length - 1];
    return endsOnCapture === (off !== line.length);
  }
}

function parsePattern(text: string): PatternNode[] {
  const nodes: PatternNode[] = [];
  let lit = '';
  for (let i = 0; i < text.length; ) {
    const m = /^<([A-Za-z_][A-Za-z0-9_]*)>/.exec(text.slice(i, i + 256));
    if (m) {
      if (lit) nodes.push({ literal: lit });
      lit = '';
      nodes.push({ capture: m[1] });
      i += m[0].length;
    } else {
      lit += text[i];
      i++;
    }
  }
  if (lit) nodes.push({ literal: lit });
  return nodes;
}

function checkConsecutive(text: string, nodes: readonly PatternNode[]): void {
  for (let i = 1; i < nodes.length; i++) {
    if ('capture' in nodes[i] && 'capture' in nodes[i - 1]) {
      throw new LogQLParseError(`invalid pattern ${JSON.stringify(text)}: found consecutive captures`);
    }
  }
}
