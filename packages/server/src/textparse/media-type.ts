/**
 * Content negotiation for scrapes, as Prometheus 3 does it: the scraper sends an Accept header
 * listing the formats it wants with descending q-values, and parses the response according to
 * the Content-Type the target answered with (or a configured fallback).
 */

/** Prometheus's `scrape_protocols` names of the text formats Vigil parses. */
export const SCRAPE_PROTOCOLS = [
  'OpenMetricsText1.0.0',
  'OpenMetricsText0.0.1',
  'PrometheusText1.0.0',
  'PrometheusText0.0.4',
] as const;
/** One of SCRAPE_PROTOCOLS. */
export type ScrapeProtocol = (typeof SCRAPE_PROTOCOLS)[number];

/** Prometheus 3's default preference order. */
export const DEFAULT_SCRAPE_PROTOCOLS: readonly ScrapeProtocol[] = SCRAPE_PROTOCOLS;

/** Metric-name escaping a target is asked to apply (`escaping=` in the Accept header). */
export type EscapingScheme = 'allow-utf-8' | 'underscores' | 'dots' | 'values';

const PROTOCOL_HEADERS: Readonly<Record<ScrapeProtocol, string>> = {
  'OpenMetricsText1.0.0': 'application/openmetrics-text;version=1.0.0',
  'OpenMetricsText0.0.1': 'application/openmetrics-text;version=0.0.1',
  'PrometheusText1.0.0': 'text/plain;version=1.0.0',
  'PrometheusText0.0.4': 'text/plain;version=0.0.4',
};

/** Which parser a response needs. */
export type ExpositionFormat = 'openmetrics' | 'prometheus-text';

/** The parser format for a protocol (used for fallback_scrape_protocol). */
export function formatOfProtocol(protocol: ScrapeProtocol): ExpositionFormat {
  return protocol.startsWith('OpenMetrics') ? 'openmetrics' : 'prometheus-text';
}

/**
 * The Accept header for the given preference order, e.g. for the defaults:
 * `application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,…,*\/*;q=0.2`.
 * Weights start at 0.(number of known protocols + 1) and drop by 0.1, as in Prometheus.
 */
export function acceptHeader(protocols: readonly ScrapeProtocol[], escaping: EscapingScheme): string {
  // Prometheus also counts its protobuf format, which Vigil does not request.
  let weight = SCRAPE_PROTOCOLS.length + 2;
  const parts: string[] = [];
  for (const p of protocols) {
    let value = PROTOCOL_HEADERS[p];
    if (p === 'PrometheusText1.0.0' || p === 'OpenMetricsText1.0.0') value += `;escaping=${escaping}`;
    parts.push(`${value};q=0.${weight}`);
    weight--;
  }
  parts.push(`*/*;q=0.${weight}`);
  return parts.join(',');
}

/** A Content-Type that cannot be parsed as an exposition, with the reason. */
export class ContentTypeError extends Error {}

/**
 * Picks the parser for a response's Content-Type. Without a usable Content-Type the fallback is
 * used when configured; otherwise this throws, as Prometheus 3 fails such scrapes.
 *
 * Returns the format and, when the fallback was used, a warning to log.
 */
export function formatForContentType(
  contentType: string | undefined,
  fallback: ScrapeProtocol | undefined,
): { format: ExpositionFormat; warning?: string } {
  const hint =
    'set fallback_scrape_protocol in the scrape config (e.g. PrometheusText0.0.4) to parse such responses anyway';
  if (contentType === undefined || contentType.trim() === '') {
    if (!fallback) throw new ContentTypeError(`the target sent no Content-Type; ${hint}`);
    return { format: formatOfProtocol(fallback), warning: `no Content-Type, using ${fallback}` };
  }
  const mediaType = parseMediaType(contentType);
  if (mediaType === 'application/openmetrics-text') return { format: 'openmetrics' };
  if (mediaType === 'text/plain') return { format: 'prometheus-text' };
  const problem =
    mediaType === undefined
      ? `cannot parse Content-Type ${JSON.stringify(contentType)}`
      : `unsupported Content-Type ${JSON.stringify(contentType)}`;
  if (!fallback) {
    throw new ContentTypeError(
      `${problem}; Vigil reads text/plain (Prometheus text) and application/openmetrics-text. Or ${hint}`,
    );
  }
  return { format: formatOfProtocol(fallback), warning: `${problem}, using ${fallback}` };
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})$`);
const PARAM = new RegExp(`^(${TOKEN})=(?:${TOKEN}|"(?:[^"\\\\]|\\\\.)*")$`);

/**
 * The lower-cased `type/subtype` of a Content-Type header, or undefined when the header is not a
 * valid media type with valid parameters (Go's mime.ParseMediaType rules, roughly).
 */
export function parseMediaType(header: string): string | undefined {
  const parts = header.split(';');
  const type = parts[0].trim().toLowerCase();
  if (!MEDIA_TYPE.test(type)) return undefined;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i].trim();
    if (p === '' && i === parts.length - 1) break; // a trailing semicolon is tolerated
    if (!PARAM.test(p)) return undefined;
  }
  return type;
}
