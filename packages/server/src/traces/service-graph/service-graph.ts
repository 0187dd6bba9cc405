/**
 * The service graph, as Tempo's metrics-generator builds it (modules/generator/processor/
 * servicegraphs): a client (or producer) span and the server (or consumer) span whose parent it is
 * form an edge `client → server`; each completed edge counts
 *
 *   traces_service_graph_request_total{client, server, connection_type}
 *   traces_service_graph_request_failed_total{...}                 either side has status ERROR
 *   traces_service_graph_request_server_seconds_bucket/_sum/_count   the server span's duration
 *   traces_service_graph_request_client_seconds_bucket/_sum/_count   the client span's duration
 *
 * An edge waits up to `wait` for its other half. When it expires unpaired it may still count as a
 * virtual node (a root server span called by "user", or a client span whose peer is named by
 * peer.service / db.name ...); otherwise it is counted in
 * vigil_traces_service_graph_expired_edges_total by the side that was seen. Client spans of
 * database calls complete on their own (connection_type="database").
 */
import type { ServiceGraphConfig } from '../../config/traces.ts';
import type { SeriesExemplars } from '../../model/exemplar.ts';
import type { Label } from '../../model/labels.ts';
import type { SeriesSamples } from '../../model/sample.ts';
import { type Span, SpanKind, StatusCode, serviceName, spanKindName } from '../../model/span.ts';
import { spanAttribute } from '../span-attribute.ts';
import { CounterFamily, HistogramFamily } from '../span-metrics/series.ts';
import { attributeText, STALE_AFTER_MS, sanitizeLabelName } from '../span-metrics/span-metrics.ts';

type ConnectionType = '' | 'messaging_system' | 'database' | 'virtual_node';

interface Edge {
  readonly key: string;
  /** The server side is a root span (no parent): an unpaired one is a request from "user". */
  readonly root: boolean;
  clientService: string;
  serverService: string;
  clientSeconds: number;
  serverSeconds: number;
  failed: boolean;
  connectionType: ConnectionType;
  peerNode: string;
  /** The kind of the first span seen, for the expired-edges count. */
  spanKind: SpanKind;
  readonly dimensions: Map<string, string>;
  readonly expiresAtMs: number;
}

/** What the graph reports about edges it could not pair, for self-metrics. */
export interface ServiceGraphEvents {
  /** An edge expired without its other half; `kind` is the span kind that was seen. */
  expired(kind: string): void;
  /** A span was not added because max_items edges were already waiting. */
  dropped(): void;
}

export class ServiceGraph {
  /** Waiting edges in insertion order (so expiry walks from the front). */
  private readonly edges = new Map<string, Edge>();
  private readonly requests = new CounterFamily('traces_service_graph_request_total');
  private readonly failed = new CounterFamily('traces_service_graph_request_failed_total');
  private readonly serverSeconds: HistogramFamily;
  private readonly clientSeconds: HistogramFamily;
  private readonly dimensionLabels: string[];

  constructor(
    private readonly config: ServiceGraphConfig,
    private readonly events: ServiceGraphEvents = { expired: () => {}, dropped: () => {} },
  ) {
    this.serverSeconds = new HistogramFamily(
      'traces_service_graph_request_server_seconds',
      config.histogram_buckets,
    );
    this.clientSeconds = new HistogramFamily(
      'traces_service_graph_request_client_seconds',
      config.histogram_buckets,
    );
    this.dimensionLabels = config.dimensions.map(sanitizeLabelName);
  }

  /** Edges waiting for their other half. */
  get pending(): number {
    return this.edges.size;
  }

  observe(spans: readonly Span[], nowMs: number): void {
    for (const span of spans) {
      const isClient = span.kind === SpanKind.CLIENT || span.kind === SpanKind.PRODUCER;
      const isServer = span.kind === SpanKind.SERVER || span.kind === SpanKind.CONSUMER;
      if (!isClient && !isServer) continue;
      const service = serviceName(span.resource);
      const seconds = Math.max(0, Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e9);
      const failed = span.status.code === StatusCode.ERROR;
      const messaging = span.kind === SpanKind.PRODUCER || span.kind === SpanKind.CONSUMER;
      if (isClient) {
        const edge = this.upsert(`${span.traceId}:${span.spanId}`, false, span.kind, nowMs);
        if (!edge) continue;
        edge.clientService = service;
        edge.clientSeconds = seconds;
        edge.failed ||= failed;
        if (messaging) edge.connectionType = 'messaging_system';
        this.addDimensions(edge, span, 'client');
        edge.peerNode ||= this.peerNode(span);
        this.databaseRequest(edge, span, seconds);
        this.completeIfPaired(edge, nowMs);
      } else {
        // A server span pairs with the client span that is its parent.
        const edge = this.upsert(
          `${span.traceId}:${span.parentSpanId}`,
          span.parentSpanId === '',
          span.kind,
          nowMs,
        );
        if (!edge) continue;
        edge.serverService = service;
        edge.serverSeconds = seconds;
        edge.failed ||= failed;
        if (messaging) edge.connectionType = 'messaging_system';
        this.addDimensions(edge, span, 'server');
        edge.peerNode ||= this.peerNode(span);
        this.completeIfPaired(edge, nowMs);
      }
    }
  }

  private upsert(key: string, root: boolean, kind: SpanKind, nowMs: number): Edge | undefined {
    const existing = this.edges.get(key);
    if (existing) return existing;
    if (this.edges.size >= this.config.max_items) {
      this.events.dropped();
      return undefined;
    }
    const edge: Edge = {
      key,
      root,
      clientService: '',
      serverService: '',
      clientSeconds: 0,
      serverSeconds: 0,
      failed: false,
      connectionType: '',
      peerNode: '',
      spanKind: kind,
      dimensions: new Map(),
      expiresAtMs: nowMs + this.config.wait,
    };
    this.edges.set(key, edge);
    return edge;
  }

  private completeIfPaired(edge: Edge, nowMs: number): void {
    if (edge.clientService !== '' && edge.serverService !== '') {
      this.edges.delete(edge.key);
      this.record(edge, nowMs);
    }
  }

  private addDimensions(edge: Edge, span: Span, _side: 'client' | 'server'): void {
    for (const d of this.config.dimensions) {
      const v = attributeText(span, d);
      if (v !== '') edge.dimensions.set(d, v);
    }
  }

  private peerNode(span: Span): string {
    for (const key of this.config.peer_attributes) {
      const v = spanAttribute(span, key);
      if (typeof v === 'string' && v !== '') return v;
    }
    return '';
  }

  /** A client span that names a database completes its edge itself (Tempo's upsertDatabaseRequest). */
  private databaseRequest(edge: Edge, span: Span, seconds: number): void {
    let dbName = '';
    for (const key of this.config.database_name_attributes) {
      const v = attributeText(span, key);
      if (v !== '') {
        dbName = v;
        break;
      }
    }
    if (dbName === '') return;
    edge.connectionType = 'database';
    edge.serverSeconds = seconds;
    const peer = attributeText(span, 'peer.service');
    const address = attributeText(span, 'server.address');
    const host = attributeText(span, 'network.peer.address');
    const port = attributeText(span, 'network.peer.port');
    edge.serverService = peer || address || (host ? (port ? `${host}:${port}` : host) : dbName);
  }

  /** Expires edges whose wait is over (call every few seconds). */
  expire(nowMs: number): void {
    for (const edge of this.edges.values()) {
      if (edge.expiresAtMs > nowMs) break;
      this.edges.delete(edge.key);
      let counted = false;
      if (edge.clientService === '') {
        if (edge.root) {
          edge.clientService = edge.peerNode || 'user';
          edge.connectionType = 'virtual_node';
          this.record(edge, nowMs);
          counted = true;
        }
      } else if (edge.serverService === '' && edge.peerNode !== '') {
        edge.serverService = edge.peerNode;
        edge.connectionType = 'virtual_node';
        this.record(edge, nowMs);
        counted = true;
      }
      if (!counted) this.events.expired(spanKindName(edge.spanKind));
    }
  }

  private record(edge: Edge, nowMs: number): void {
    const labels: Label[] = [
      { name: 'client', value: edge.clientService },
      { name: 'server', value: edge.serverService },
      { name: 'connection_type', value: edge.connectionType },
    ];
    let key = `${edge.clientService}\xff${edge.serverService}\xff${edge.connectionType}`;
    this.config.dimensions.forEach((d, i) => {
      const v = edge.dimensions.get(d) ?? '';
      labels.push({ name: this.dimensionLabels[i], value: v });
      key += `\xff${v}`;
    });
    this.requests.inc(key, labels, 1, nowMs);
    if (edge.failed) this.failed.inc(key, labels, 1, nowMs);
    // The edge key is `<trace id>:<client span id>`: the exemplar names the client span's trace.
    const sep = edge.key.indexOf(':');
    const source = { traceId: edge.key.slice(0, sep), spanId: edge.key.slice(sep + 1) };
    this.serverSeconds.observe(key, labels, edge.serverSeconds, nowMs, source);
    this.clientSeconds.observe(key, labels, edge.clientSeconds, nowMs, source);
  }

  /** Samples at `nowMs`; latency buckets observed since the last collection add exemplars. */
  collect(nowMs: number, exemplars?: SeriesExemplars[]): SeriesSamples[] {
    const out: SeriesSamples[] = [];
    this.requests.collect(out, nowMs, STALE_AFTER_MS);
    this.failed.collect(out, nowMs, STALE_AFTER_MS);
    this.serverSeconds.collect(out, nowMs, STALE_AFTER_MS, exemplars);
    this.clientSeconds.collect(out, nowMs, STALE_AFTER_MS, exemplars);
    return out;
  }

  /** Current values of an edge, for tests. */
  inspect(
    client: string,
    server: string,
    connectionType: ConnectionType = '',
  ): { requests: number; failed: number; server: number[]; client: number[] } | undefined {
    const key = `${client}\xff${server}\xff${connectionType}`;
    const requests = this.requests.value(key);
    if (requests === undefined) return undefined;
    return {
      requests,
      failed: this.failed.value(key) ?? 0,
      server: this.serverSeconds.snapshot(key)?.buckets ?? [],
      client: this.clientSeconds.snapshot(key)?.buckets ?? [],
    };
  }
}
