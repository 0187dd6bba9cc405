/**
 * Zipkin v2 JSON spans (zipkin-api's zipkin2-api.yaml) → the OTLP span model, following the
 * OpenTelemetry Collector's zipkin receiver: 64-bit trace ids are left-padded to 128 bits; kind
 * CLIENT/SERVER/PRODUCER/CONSUMER map to OTLP kinds and no kind to INTERNAL; timestamps and
 * durations (microseconds) become nanoseconds; the local endpoint's serviceName becomes the
 * resource's service.name; the remote endpoint becomes peer.service / network.peer.* attributes;
 * tags become string attributes, except `otel.status_code`, `otel.status_description`, `error`
 * (status), and `otel.scope.name`/`otel.scope.version` (the scope); annotations become events.
 *
 * Shape problems of one span are reported for that span (ZipkinSpanError); a body that is not a
 * JSON array is a ZipkinDecodeError for the whole request.
 */
import type {
  Attribute,
  InstrumentationScope,
  Resource,
  Span,
  SpanEvent,
  SpanKind,
  StatusCode,
} from '../../model/span.ts';

/** The body is not a JSON array of spans. */
export class ZipkinDecodeError extends Error {
  override readonly name = 'ZipkinDecodeError';
}

const KINDS: Record<string, SpanKind> = { CLIENT: 3, SERVER: 2, PRODUCER: 4, CONSUMER: 5 };
const HEX = /^[0-9a-fA-F]+$/;
const RESERVED_TAGS = new Set([
  'otel.status_code',
  'otel.status_description',
  'otel.scope.name',
  'otel.scope.version',
  'otel.library.name',
  'otel.library.version',
]);

export interface DecodedZipkin {
  readonly spans: Span[];
  readonly problems: string[];
}

/** Decodes a request body; throws ZipkinDecodeError when it is not a JSON array. */
export function decodeZipkinJson(body: Buffer): DecodedZipkin {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ZipkinDecodeError(`request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) {
    throw new ZipkinDecodeError('request body must be a JSON array of Zipkin v2 spans');
  }
  const spans: Span[] = [];
  const problems: string[] = [];
  const resources = new Map<string, Resource>();
  const scopes = new Map<string, InstrumentationScope>();
  parsed.forEach((raw, i) => {
    try {
      spans.push(toSpan(raw, resources, scopes));
    } catch (err) {
      problems.push(`span ${i}: ${(err as Error).message}`);
    }
  });
  return { spans, problems };
}

function toSpan(
  raw: unknown,
  resources: Map<string, Resource>,
  scopes: Map<string, InstrumentationScope>,
): Span {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('not a JSON object');
  const z = raw as Record<string, unknown>;
  const traceId = hexId(z.traceId, 'traceId', [16, 32]).padStart(32, '0');
  const spanId = hexId(z.id, 'id', [16]);
  const parentSpanId =
    z.parentId === undefined || z.parentId === null || z.parentId === ''
      ? ''
      : hexId(z.parentId, 'parentId', [16]);
  const timestampUs = optionalNumber(z.timestamp, 'timestamp');
  const durationUs = optionalNumber(z.duration, 'duration') ?? 0;
  if (timestampUs === undefined) throw new Error('timestamp is missing');
  const startNs = BigInt(Math.round(timestampUs)) * 1000n;
  const endNs = startNs + BigInt(Math.round(durationUs)) * 1000n;
  const kindText = z.kind;
  if (kindText !== undefined && kindText !== null && (typeof kindText !== 'string' || !(kindText in KINDS))) {
    throw new Error(`kind must be CLIENT, SERVER, PRODUCER or CONSUMER, got ${JSON.stringify(kindText)}`);
  }
  const kind: SpanKind = typeof kindText === 'string' ? KINDS[kindText] : 1;

  const tags = objectOf(z.tags, 'tags');
  const attributes: Attribute[] = [];
  let statusCode: StatusCode = 0;
  let statusMessage = '';
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== 'string') throw new Error(`tag ${JSON.stringify(key)} must be a string`);
    if (key === 'otel.status_code') {
      statusCode = value === 'ERROR' ? 2 : value === 'OK' ? 1 : 0;
    } else if (key === 'otel.status_description') {
      statusMessage = value;
    } else if (key === 'error') {
      // Zipkin marks failures with an "error" tag whose value is the message.
      statusCode = 2;
      if (!statusMessage) statusMessage = value;
    }
    if (!RESERVED_TAGS.has(key)) attributes.push({ key, value });
  }
  const remote = objectOf(z.remoteEndpoint, 'remoteEndpoint');
  if (typeof remote.serviceName === 'string' && remote.serviceName !== '') {
    attributes.push({ key: 'peer.service', value: remote.serviceName });
  }
  const remoteIp = remote.ipv6 ?? remote.ipv4;
  if (typeof remoteIp === 'string' && remoteIp !== '')
    attributes.push({ key: 'network.peer.address', value: remoteIp });
  if (typeof remote.port === 'number')
    attributes.push({ key: 'network.peer.port', value: BigInt(Math.trunc(remote.port)) });
  if (z.shared === true) attributes.push({ key: 'zipkin.shared', value: true });

  const events: SpanEvent[] = [];
  if (z.annotations !== undefined && z.annotations !== null) {
    if (!Array.isArray(z.annotations)) throw new Error('annotations must be an array');
    for (const a of z.annotations) {
      const ann = objectOf(a, 'annotation');
      const ts = optionalNumber(ann.timestamp, 'annotation timestamp');
      if (ts === undefined || typeof ann.value !== 'string') {
        throw new Error('each annotation needs a timestamp and a string value');
      }
      events.push({
        timeUnixNano: BigInt(Math.round(ts)) * 1000n,
        name: ann.value,
        attributes: [],
        droppedAttributesCount: 0,
      });
    }
  }

  const local = objectOf(z.localEndpoint, 'localEndpoint');
  const service =
    typeof local.serviceName === 'string' && local.serviceName !== '' ? local.serviceName : 'unknown_service';
  let resource = resources.get(service);
  if (!resource) {
    resource = {
      attributes: [{ key: 'service.name', value: service }],
      droppedAttributesCount: 0,
      schemaUrl: '',
    };
    resources.set(service, resource);
  }
  const scopeName = tags['otel.scope.name'] ?? tags['otel.library.name'] ?? '';
  const scopeVersion = tags['otel.scope.version'] ?? tags['otel.library.version'] ?? '';
  const scopeKey = `${scopeName}\xff${scopeVersion}`;
  let scope = scopes.get(scopeKey);
  if (!scope) {
    scope = {
      name: String(scopeName),
      version: String(scopeVersion),
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: '',
    };
    scopes.set(scopeKey, scope);
  }
  const name = z.name === undefined || z.name === null ? '' : z.name;
  if (typeof name !== 'string') throw new Error('name must be a string');
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState: '',
    flags: z.debug === true ? 1 : 0,
    name,
    kind,
    startTimeUnixNano: startNs,
    endTimeUnixNano: endNs,
    attributes,
    droppedAttributesCount: 0,
    events,
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: statusCode, message: statusMessage },
    resource,
    scope,
  };
}

function hexId(v: unknown, field: string, lengths: number[]): string {
  if (typeof v !== 'string' || !HEX.test(v) || !lengths.includes(v.length)) {
    throw new Error(`${field} must be ${lengths.join(' or ')} hex characters, got ${JSON.stringify(v)}`);
  }
  return v.toLowerCase();
}

function optionalNumber(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new Error(`${field} must be a non-negative number of microseconds`);
  return v;
}

function objectOf(v: unknown, field: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${field} must be an object`);
  return v as Record<string, unknown>;
}
