/**
 * Exposition-format parsing: Prometheus text 0.0.4/1.0.0 and OpenMetrics 1.0, plus the content
 * negotiation that decides which one a response is. Used by the scraper; usable by anything
 * that reads expositions (push gateways, file imports).
 */
import type { ExpositionFormat } from './media-type.ts';
import { OpenMetricsParser } from './openmetrics.ts';
import type { ExpositionParser, ParserOptions } from './parser.ts';
import { PromTextParser } from './promtext.ts';

export { parseErrorAt, TextParseError } from './errors.ts';
export type { EscapingScheme, ExpositionFormat, ScrapeProtocol } from './media-type.ts';
export {
  acceptHeader,
  ContentTypeError,
  DEFAULT_SCRAPE_PROTOCOLS,
  formatForContentType,
  formatOfProtocol,
  parseMediaType,
  SCRAPE_PROTOCOLS,
} from './media-type.ts';
export { OpenMetricsParser } from './openmetrics.ts';
export type {
  EntryKind,
  ExposedMetricType,
  ExpositionParser,
  ParsedExemplar,
  ParserOptions,
} from './parser.ts';
export { PromTextParser } from './promtext.ts';
export { formatGoFloat, formatOpenMetricsFloat, parseFloatValue } from './values.ts';

/** A parser for `text` in the given format. */
export function newParser(
  format: ExpositionFormat,
  text: string,
  options: ParserOptions = {},
): ExpositionParser {
  return format === 'openmetrics' ? new OpenMetricsParser(text, options) : new PromTextParser(text, options);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Decodes a response body. Invalid UTF-8 does not fail the whole body (it may sit in a comment,
 * which Prometheus ignores); it is replaced and flagged, and the parser then rejects replacement
 * characters where Prometheus requires valid UTF-8. Pass the flag on as `ParserOptions`.
 */
export function decodeBody(body: Uint8Array): { text: string; invalidUtf8: boolean } {
  try {
    return { text: strictUtf8.decode(body), invalidUtf8: false };
  } catch {
    return { text: lenientUtf8.decode(body), invalidUtf8: true };
  }
}
