/**
 * What a query lets storage skip: a necessary condition on some span of a matching trace (its
 * service, its minimum duration), derived from the AST. Storage may use it to prune blocks and
 * traces; the query is still evaluated on everything that comes back, so a hint that is too loose
 * costs time, never results. Only conditions that are certainly necessary are derived.
 */
import { compileRegex } from '../../model/regex.ts';
import type { FieldExpr, SpansetExpr } from './ast.ts';

export interface SpanHints {
  /** Some span of a matching trace has one of these services. */
  readonly services?: ReadonlySet<string>;
  /** Some span of a matching trace lasts at least this long (ns). */
  readonly minDurationNs?: number;
}

const NONE: SpanHints = {};

/** Hints for a whole query. */
export function hintsFor(root: SpansetExpr): SpanHints {
  return spansetHints(root);
}

function spansetHints(e: SpansetExpr): SpanHints {
  switch (e.kind) {
    case 'spansetFilter':
      return fieldHints(e.expr);
    case 'pipeline': {
      const first = e.stages[0];
      return first &&
        (first.kind === 'spansetFilter' || first.kind === 'spansetOp' || first.kind === 'pipeline')
        ? spansetHints(first)
        : NONE;
    }
    case 'spansetOp': {
      const l = spansetHints(e.lhs);
      const r = spansetHints(e.rhs);
      switch (e.op) {
        case '||':
          return either(l, r);
        case '!>':
        case '!>>':
        case '!<':
        case '!<<':
        case '!~':
          // Only the right side must match something.
          return r;
        default:
          // Both sides must match: either side's condition is necessary; keep the narrower.
          return narrower(l, r);
      }
    }
  }
}

/** A condition every span matching `e` meets. */
function fieldHints(e: FieldExpr): SpanHints {
  if (e.kind !== 'binary') return NONE;
  if (e.op === '&&') return both(fieldHints(e.lhs), fieldHints(e.rhs));
  if (e.op === '||') return either(fieldHints(e.lhs), fieldHints(e.rhs));
  const { lhs, rhs } = e;
  if (lhs.kind === 'attribute' && lhs.scope === 'resource' && lhs.name === 'service.name') {
    if (rhs.kind === 'static' && rhs.value.type === 'string') {
      if (e.op === '=') return { services: new Set([rhs.value.value]) };
      if (e.op === '=~') {
        const literals = compileRegex(rhs.value.value).literals;
        if (literals) return { services: new Set(literals) };
      }
    }
  }
  if (lhs.kind === 'intrinsic' && lhs.intrinsic === 'duration' && rhs.kind === 'static') {
    const v = rhs.value;
    if (
      (v.type === 'duration' || v.type === 'int' || v.type === 'float') &&
      (e.op === '>' || e.op === '>=' || e.op === '=')
    ) {
      return { minDurationNs: v.value };
    }
  }
  return NONE;
}

/** Both conditions hold for the same span. */
function both(a: SpanHints, b: SpanHints): SpanHints {
  const services =
    a.services && b.services
      ? new Set([...a.services].filter((s) => b.services!.has(s)))
      : (a.services ?? b.services);
  const minDurationNs =
    a.minDurationNs !== undefined && b.minDurationNs !== undefined
      ? Math.max(a.minDurationNs, b.minDurationNs)
      : (a.minDurationNs ?? b.minDurationNs);
  return { services, minDurationNs };
}

/** One of the conditions holds. */
function either(a: SpanHints, b: SpanHints): SpanHints {
  return {
    services: a.services && b.services ? new Set([...a.services, ...b.services]) : undefined,
    minDurationNs:
      a.minDurationNs !== undefined && b.minDurationNs !== undefined
        ? Math.min(a.minDurationNs, b.minDurationNs)
        : undefined,
  };
}

/** Both are necessary (possibly for different spans); storage takes one span condition. */
function narrower(a: SpanHints, b: SpanHints): SpanHints {
  if (a.services && b.services) return a.services.size <= b.services.size ? a : b;
  if (a.services) return a;
  if (b.services) return b;
  return a.minDurationNs !== undefined ? a : b;
}
