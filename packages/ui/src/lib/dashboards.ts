/**
 * The dashboards API (`/api/vigil/v1/dashboards`) and the dashboard model, mirroring the server's
 * schema (packages/server/src/api/vigil/dashboards-model.ts).
 */
import { requestJson } from './api.ts';

export type PanelType =
  | 'timeseries'
  | 'stat'
  | 'gauge'
  | 'bargauge'
  | 'table'
  | 'heatmap'
  | 'logs'
  | 'traces'
  | 'text';

export const PANEL_TYPES: readonly { id: PanelType; label: string }[] = [
  { id: 'timeseries', label: 'Time series' },
  { id: 'stat', label: 'Stat' },
  { id: 'gauge', label: 'Gauge' },
  { id: 'bargauge', label: 'Bar gauge' },
  { id: 'table', label: 'Table' },
  { id: 'heatmap', label: 'Heatmap (histogram buckets)' },
  { id: 'logs', label: 'Logs' },
  { id: 'traces', label: 'Trace list' },
  { id: 'text', label: 'Text' },
];

export interface MetricQuery {
  expr: string;
  legend?: string;
}

export interface Threshold {
  value: number;
  color: string;
}

export interface Panel {
  title: string;
  type: PanelType;
  description?: string;
  width: number;
  height: number;
  queries: MetricQuery[];
  query?: string;
  limit?: number;
  unit?: string;
  decimals?: number;
  stacked?: boolean;
  min?: number;
  max?: number;
  thresholds?: Threshold[];
  reduce?: 'last' | 'mean' | 'max' | 'min' | 'sum';
  content?: string;
}

export interface Variable {
  name: string;
  label?: string;
  query: string;
  multi: boolean;
  includeAll: boolean;
  default?: string;
}

export interface Dashboard {
  title: string;
  description?: string;
  tags: string[];
  time: { from: string; to: string };
  refresh: string;
  variables: Variable[];
  panels: Panel[];
}

export interface StoredDashboard {
  id: string;
  dashboard: Dashboard;
  source: 'file' | 'builtin';
  format: 'json' | 'yaml';
  file?: string;
  version: string;
  readOnly: boolean;
}

export interface DashboardSummary {
  id: string;
  title: string;
  tags: string[];
  description?: string;
  panels: number;
  source: 'file' | 'builtin';
  file?: string;
  error?: string;
}

const BASE = '/api/vigil/v1/dashboards';

export function listDashboards(
  signal?: AbortSignal,
): Promise<{ dashboards: DashboardSummary[]; readOnly: boolean }> {
  return requestJson(BASE, { signal });
}

export function getDashboard(id: string, signal?: AbortSignal): Promise<StoredDashboard> {
  return requestJson(`${BASE}/${encodeURIComponent(id)}`, { signal });
}

export function saveDashboard(id: string, dashboard: Dashboard, version?: string): Promise<StoredDashboard> {
  return requestJson(`${BASE}/${encodeURIComponent(id)}`, { method: 'PUT', json: { dashboard, version } });
}

export function createDashboard(dashboard: Partial<Dashboard> & { title: string }): Promise<StoredDashboard> {
  return requestJson(BASE, { method: 'POST', json: { dashboard } });
}

export async function deleteDashboard(id: string): Promise<void> {
  await requestJson(`${BASE}/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** A new panel of a type, with sensible defaults. */
export function newPanel(type: PanelType = 'timeseries'): Panel {
  const base: Panel = { title: 'New panel', type, width: 12, height: 8, queries: [] };
  if (type === 'logs') return { ...base, query: '{job=~".+"}', limit: 100 };
  if (type === 'traces') return { ...base, query: '{}', limit: 20 };
  if (type === 'text') return { ...base, content: 'Notes for this dashboard.' };
  return { ...base, queries: [{ expr: 'up' }] };
}
