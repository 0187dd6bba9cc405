import type { AttributeValue, Span } from '../model/span.ts';
import { EncodedSpan } from '../storage/traces/otlp/span-codec.ts';

/**
 * A span's own attribute (not its resource's), the first with that key; undefined when absent.
 * Spans read from OTLP bytes (ingest and storage) answer from the bytes without decoding their
 * other attributes, which is most of the cost when a query or a metric needs one or two keys.
 */
export function spanAttribute(span: Span, key: string): AttributeValue | undefined {
  if (span instanceof EncodedSpan) return span.attribute(key);
  for (const a of span.attributes) if (a.key === key) return a.value;
  return undefined;
}
