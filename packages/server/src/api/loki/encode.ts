/**
 * Loki's response JSON: streams results (plain, or with the categorize-labels encoding flag that
 * Grafana asks for), metric results in Prometheus's shapes (shared with the Prometheus API's
 * writer), and the `stats` block.
 */
import type { LogQLEngine, QueryStats, ResultEntry } from '../../logql/engine.ts';
import { type Labels, labelsKey } from '../../model/labels.ts';
import type { QueryValue } from '../../promql/index.ts';
import { labelsJson, queryDataJson } from '../prometheus/json.ts';

export type LogQLOutcome = Awaited<ReturnType<LogQLEngine['run']>>;

/** The stats block: the summary Grafana shows, with the store's numbers. */
export function statsJson(stats: QueryStats): string {
  const exec = stats.execSeconds;
  const summary = {
    bytesProcessedPerSecond: exec > 0 ? Math.round(stats.bytesScanned / exec) : 0,
    linesProcessedPerSecond: exec > 0 ? Math.round(stats.linesScanned / exec) : 0,
    totalBytesProcessed: stats.bytesScanned,
    totalLinesProcessed: stats.linesScanned,
    execTime: exec,
    queueTime: 0,
    subqueries: 0,
    totalEntriesReturned: stats.entriesReturned,
    splits: 0,
    shards: 0,
    totalPostFilterLines: stats.entriesReturned,
    totalStructuredMetadataBytesProcessed: 0,
  };
  return JSON.stringify({ summary, querier: { store: {} }, ingester: { store: {} }, cache: {} });
}

/** Entries grouped into streams: by all their labels, or by stream labels when categorized. */
export function streamsJson(entries: readonly ResultEntry[], categorized: boolean): string {
  const groups = new Map<string, { labels: Labels; values: string[] }>();
  for (const e of entries) {
    const labels = categorized ? e.categorized.stream : e.labels;
    const key = labelsKey(labels);
    let g = groups.get(key);
    if (!g) {
      g = { labels, values: [] };
      groups.set(key, g);
    }
    let value = `[${JSON.stringify(String(e.timestampNs))},${JSON.stringify(e.line)}`;
    if (categorized) {
      const { structuredMetadata, parsed } = e.categorized;
      if (structuredMetadata.length > 0 || parsed.length > 0) {
        const parts: string[] = [];
        if (structuredMetadata.length > 0)
          parts.push(`"structuredMetadata":${labelsJson(structuredMetadata)}`);
        if (parsed.length > 0) parts.push(`"parsed":${labelsJson(parsed)}`);
        value += `,{${parts.join(',')}}`;
      }
    }
    g.values.push(`${value}]`);
  }
  const parts: string[] = [];
  for (const g of groups.values())
    parts.push(`{"stream":${labelsJson(g.labels)},"values":[${g.values.join(',')}]}`);
  return `[${parts.join(',')}]`;
}

/** A whole query response body. */
export function queryResponseJson(outcome: LogQLOutcome, categorized: boolean): string {
  const stats = statsJson(outcome.stats);
  if (outcome.type === 'streams') {
    const flags = categorized ? `,"encodingFlags":["categorize-labels"]` : '';
    return `{"status":"success","data":{"resultType":"streams","result":${streamsJson(outcome.entries, categorized)},"stats":${stats}${flags}}}`;
  }
  const data = queryDataJson(outcome.value as QueryValue);
  // Insert stats into the data object: {"resultType":...,"result":...,"stats":{...}}.
  return `{"status":"success","data":${data.slice(0, -1)},"stats":${stats}}}`;
}
