/**
 * Tempo's tag-based search (`tags=` in logfmt, `minDuration`, `maxDuration`) as a TraceQL query:
 * every tag must be matched by some span of the trace (its own attribute or its resource's, with
 * the well-known names mapped to intrinsics as Tempo's search maps them to columns), and the
 * trace's duration must lie within the bounds.
 */

import type { FieldExpr, Query, SpansetExpr, StaticNode } from '../../traces/traceql/ast.ts';
import { HttpError } from '../http-error.ts';

/** Parses a logfmt string (`a=b c="d e"`) into pairs; throws HttpError 400 naming the position. */
export function parseLogfmt(text: string): [string, string][] {
  const out: [string, string][] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new HttpError(400, `invalid tags: ${msg} at pos ${i + 1}`);
  };
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    let key = '';
    while (i < text.length && text[i] !== '=' && text[i] !== ' ') {
      if (text[i] === '"') fail("unexpected '\"'");
      key += text[i++];
    }
    if (key === '') fail("unexpected '='");
    let value = '';
    if (text[i] === '=') {
      i++;
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) fail('unterminated quoted value');
          const c = text[i++];
          if (c === '"') break;
          if (c === '\\') {
            const e = text[i++];
            value += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
          } else value += c;
        }
      } else {
        while (i < text.length && text[i] !== ' ') value += text[i++];
      }
    }
    out.push([key, value]);
  }
  return out;
}

const str = (value: string): StaticNode => ({ kind: 'static', value: { type: 'string', value } });
const regexEscape = (s: string) => s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');

/** One tag as a span condition. */
function tagCondition(key: string, value: string): FieldExpr {
  const contains = (lhs: FieldExpr): FieldExpr => ({
    kind: 'binary',
    op: '=~',
    lhs,
    rhs: str(`(?i).*${regexEscape(value)}.*`),
  });
  switch (key) {
    case 'name':
      return contains({ kind: 'intrinsic', intrinsic: 'name', text: 'name' });
    case 'root.name':
      return contains({ kind: 'intrinsic', intrinsic: 'rootName', text: 'rootName' });
    case 'root.service.name':
      return contains({ kind: 'intrinsic', intrinsic: 'rootServiceName', text: 'rootServiceName' });
    case 'service.name':
      return contains({
        kind: 'attribute',
        scope: 'resource',
        name: 'service.name',
        text: 'resource.service.name',
      });
    case 'status.code': {
      const code = { unset: 0, ok: 1, error: 2 }[value.toLowerCase()];
      if (code === undefined)
        throw new HttpError(400, `invalid tags: status.code must be ok, error or unset, got "${value}"`);
      return {
        kind: 'binary',
        op: '=',
        lhs: { kind: 'intrinsic', intrinsic: 'status', text: 'status' },
        rhs: { kind: 'static', value: { type: 'status', value: code } },
      };
    }
  }
  // Other attributes: an exact match on the span's or its resource's attribute; numbers also as ints.
  const attr: FieldExpr = { kind: 'attribute', scope: 'none', name: key, text: `.${key}` };
  const exact: FieldExpr = { kind: 'binary', op: '=', lhs: attr, rhs: str(value) };
  if (/^-?\d+$/.test(value)) {
    const asInt: FieldExpr = {
      kind: 'binary',
      op: '=',
      lhs: attr,
      rhs: { kind: 'static', value: { type: 'int', value: Number(value) } },
    };
    return { kind: 'binary', op: '||', lhs: exact, rhs: asInt };
  }
  return exact;
}

/** The query a tag-based search stands for. */
export function tagSearchQuery(
  tags: readonly [string, string][],
  minDurationNs: number | undefined,
  maxDurationNs: number | undefined,
): Query {
  const filters: SpansetExpr[] = tags.map(([k, v]) => ({ kind: 'spansetFilter', expr: tagCondition(k, v) }));
  const duration: FieldExpr[] = [];
  const traceDuration: FieldExpr = { kind: 'intrinsic', intrinsic: 'traceDuration', text: 'traceDuration' };
  if (minDurationNs !== undefined) {
    duration.push({
      kind: 'binary',
      op: '>=',
      lhs: traceDuration,
      rhs: { kind: 'static', value: { type: 'duration', value: minDurationNs } },
    });
  }
  if (maxDurationNs !== undefined) {
    duration.push({
      kind: 'binary',
      op: '<=',
      lhs: traceDuration,
      rhs: { kind: 'static', value: { type: 'duration', value: maxDurationNs } },
    });
  }
  if (duration.length > 0) {
    const expr = duration.reduce((a, b) => ({ kind: 'binary', op: '&&', lhs: a, rhs: b }));
    filters.push({ kind: 'spansetFilter', expr });
  }
  if (filters.length === 0) {
    filters.push({ kind: 'spansetFilter', expr: { kind: 'static', value: { type: 'bool', value: true } } });
  }
  const root = filters.reduce((a, b) => ({ kind: 'spansetOp', op: '&&', lhs: a, rhs: b }));
  const text = tags.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return { root, text };
}
