/**
 * What makes a span acceptable to the traces seam, checked by every ingest protocol before
 * `SpanSink.append`: W3C-valid ids, sane timestamps and bounded attributes. Each check returns a
 * reason for people instead of throwing, so one bad span is rejected while the rest of its request
 * is kept.
 */
import {
  type Attributes,
  type AttributeValue,
  isValidSpanId,
  isValidTraceId,
  type Span,
} from '../../model/span.ts';
import type { SpanLimits } from './interface.ts';
import { checkEncodedAttributes, EncodedSpan, MAX_VALUE_DEPTH } from './otlp/span-codec.ts';
import { ProtoDecodeError } from './otlp/wire.ts';

/** Why a span was refused: a short reason (for self-metrics) and a message naming the span. */
export interface SpanProblem {
  readonly reason: 'invalid_id' | 'invalid_time' | 'invalid_attributes' | 'malformed';
  readonly message: string;
}

/** UTF-8 length of a string without encoding it when its characters alone bound it. */
function utf8Length(s: string, limit: number): number {
  // Each UTF-16 unit is at most 3 UTF-8 bytes: short strings cannot pass the limit.
  return s.length * 3 <= limit ? Math.min(s.length * 3, limit) : Buffer.byteLength(s, 'utf8');
}

/** What is wrong with a span, or undefined when it may be stored. `nowMs` is the server clock. */
export function checkSpan(span: Span, limits: SpanLimits, nowMs: number): SpanProblem | undefined {
  const what = () =>
    `span ${JSON.stringify(span.name)} (trace ${span.traceId || '?'}, span ${span.spanId || '?'})`;
  if (!isValidTraceId(span.traceId)) {
    return {
      reason: 'invalid_id',
      message: `${what()}: trace id must be 16 bytes and not all zero (${idProblem(span.traceId, 32)})`,
    };
  }
  if (!isValidSpanId(span.spanId)) {
    return {
      reason: 'invalid_id',
      message: `${what()}: span id must be 8 bytes and not all zero (${idProblem(span.spanId, 16)})`,
    };
  }
  if (span.parentSpanId !== '' && !isValidSpanId(span.parentSpanId)) {
    return {
      reason: 'invalid_id',
      message: `${what()}: parent span id must be empty or 8 bytes and not all zero`,
    };
  }
  if (span.startTimeUnixNano <= 0n) {
    return { reason: 'invalid_time', message: `${what()}: start time is missing` };
  }
  if (span.endTimeUnixNano < span.startTimeUnixNano) {
    return { reason: 'invalid_time', message: `${what()}: end time is before start time` };
  }
  const latestNs = BigInt(Math.floor(nowMs + limits.maxFutureSkewMs)) * 1_000_000n;
  if (span.startTimeUnixNano > latestNs) {
    return {
      reason: 'invalid_time',
      message: `${what()}: start time is more than ${limits.maxFutureSkewMs / 1000}s in the future`,
    };
  }
  for (const link of span.links) {
    if (!isValidTraceId(link.traceId) || !isValidSpanId(link.spanId)) {
      return { reason: 'invalid_id', message: `${what()}: a link has an invalid trace or span id` };
    }
  }
  let problem: string | undefined;
  if (span instanceof EncodedSpan) {
    try {
      problem = checkEncodedAttributes(span, limits);
    } catch (err) {
      if (!(err instanceof ProtoDecodeError)) throw err;
      return { reason: 'malformed', message: `${what()}: ${err.message}` };
    }
  } else {
    problem =
      checkAttributes(span.attributes, limits) ??
      firstProblem(span.events, (e) => checkAttributes(e.attributes, limits), 'event') ??
      firstProblem(span.links, (l) => checkAttributes(l.attributes, limits), 'link');
  }
  if (problem) return { reason: 'invalid_attributes', message: `${what()}: ${problem}` };
  return undefined;
}

function idProblem(hex: string, length: number): string {
  if (hex.length !== length) return `got ${hex.length / 2} bytes`;
  return 'it is all zero';
}

/** Checks resource or scope attributes (shared by many spans, so checked once per batch). */
export function checkAttributes(attributes: Attributes, limits: SpanLimits): string | undefined {
  if (attributes.length > limits.maxAttributes) return `more than ${limits.maxAttributes} attributes`;
  for (const a of attributes) {
    if (a.key === '') return 'attribute with an empty key';
    if (utf8Length(a.key, limits.maxKeyBytes) > limits.maxKeyBytes) {
      return `attribute key "${a.key.slice(0, 40)}…" is longer than ${limits.maxKeyBytes} bytes`;
    }
    const problem = checkValue(a.value, limits, 0);
    if (problem) return `attribute ${JSON.stringify(a.key)}: ${problem}`;
  }
  return undefined;
}

function checkValue(v: AttributeValue, limits: SpanLimits, depth: number): string | undefined {
  if (depth > MAX_VALUE_DEPTH) return `value is nested more than ${MAX_VALUE_DEPTH} levels deep`;
  if (typeof v === 'string') {
    const bytes = utf8Length(v, limits.maxValueBytes);
    if (bytes > limits.maxValueBytes) return `value is ${bytes} bytes, longer than ${limits.maxValueBytes}`;
  } else if (v instanceof Uint8Array) {
    if (v.length > limits.maxValueBytes)
      return `value is ${v.length} bytes, longer than ${limits.maxValueBytes}`;
  } else if (Array.isArray(v)) {
    for (const item of v as readonly AttributeValue[]) {
      const problem = checkValue(item, limits, depth + 1);
      if (problem) return problem;
    }
  } else if (v !== null && typeof v === 'object') {
    for (const kv of (v as { kvlist: Attributes }).kvlist) {
      const problem = checkValue(kv.value, limits, depth + 1);
      if (problem) return problem;
    }
  }
  return undefined;
}

function firstProblem<T>(
  items: readonly T[],
  check: (item: T) => string | undefined,
  what: string,
): string | undefined {
  for (const item of items) {
    const problem = check(item);
    if (problem) return `${what} ${problem}`;
  }
  return undefined;
}

/** Spans split into those that may be stored and the problems of the rest. */
export interface CheckedSpans {
  readonly valid: Span[];
  readonly problems: SpanProblem[];
}

/**
 * Checks a batch: each span (checkSpan) and each distinct resource and scope once. A span whose
 * resource or scope breaks the limits is rejected with it.
 */
export function checkSpans(spans: readonly Span[], limits: SpanLimits, nowMs: number): CheckedSpans {
  const valid: Span[] = [];
  const problems: SpanProblem[] = [];
  const shared = new Map<object, string | undefined>();
  const sharedProblem = (owner: object, attributes: Attributes, what: string) => {
    if (!shared.has(owner)) {
      const p = checkAttributes(attributes, limits);
      shared.set(owner, p ? `${what} ${p}` : undefined);
    }
    return shared.get(owner);
  };
  for (const span of spans) {
    const own = checkSpan(span, limits, nowMs);
    if (own) {
      problems.push(own);
      continue;
    }
    const inherited =
      sharedProblem(span.resource, span.resource.attributes, 'resource') ??
      sharedProblem(span.scope, span.scope.attributes, 'scope');
    if (inherited) {
      problems.push({
        reason: 'invalid_attributes',
        message: `span ${JSON.stringify(span.name)}: ${inherited}`,
      });
      continue;
    }
    valid.push(span);
  }
  return { valid, problems };
}

/** A short summary of rejections for a response: counts per reason and the first examples. */
export function describeProblems(problems: readonly SpanProblem[], examples = 3): string {
  if (problems.length === 0) return '';
  const counts = new Map<string, number>();
  for (const p of problems) counts.set(p.reason, (counts.get(p.reason) ?? 0) + 1);
  const summary = [...counts].map(([r, n]) => `${n} ${r}`).join(', ');
  const shown = problems.slice(0, examples).map((p) => p.message);
  const more = problems.length > examples ? `; and ${problems.length - examples} more` : '';
  return `${problems.length} span${problems.length === 1 ? '' : 's'} rejected (${summary}): ${shown.join('; ')}${more}`;
}
