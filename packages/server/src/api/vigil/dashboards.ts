import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http-error.ts';
import { slugify } from './dashboards-model.ts';
import {
  DashboardError,
  type DashboardFormat,
  DashboardStore,
  type StoredDashboard,
} from './dashboards-store.ts';

export interface DashboardsOptions {
  /**
   * The folder of dashboard files (`<id>.json`, `<id>.yaml`, `<id>.yml`). Created on the first
   * save; a missing folder lists only the built-in dashboards.
   */
  readonly dir: string;
  /** Refuse saves and deletes (dashboards provisioned from files only). */
  readonly readOnly?: boolean;
}

const BASE = '/api/vigil/v1/dashboards';

/**
 * The dashboards API: dashboards are files in a folder, editable in the UI and saved back here.
 *
 * - `GET  /api/vigil/v1/dashboards` → `{ dashboards: [{ id, title, tags, panels, source, file?, error? }] }`
 * - `GET  /api/vigil/v1/dashboards/:id` → `{ id, dashboard, source, format, file?, version }`
 * - `PUT  /api/vigil/v1/dashboards/:id` with `{ dashboard, version? }` → the stored dashboard;
 *   409 when `version` no longer matches (the file changed since it was loaded)
 * - `POST /api/vigil/v1/dashboards` with `{ dashboard, id?, format? }` → 201 and the new dashboard
 * - `DELETE /api/vigil/v1/dashboards/:id` → 204
 *
 * Invalid dashboards answer 400 with every problem and its key path.
 */
export function registerDashboards(app: FastifyInstance, options: DashboardsOptions): void {
  const store = new DashboardStore(options.dir);

  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof DashboardError) throw new HttpError(err.status, err.message);
      throw err;
    }
  };
  const writable = () => {
    if (options.readOnly)
      throw new HttpError(403, 'dashboards are read-only on this server (provisioned from files)');
  };

  app.get(BASE, async () =>
    guard(async () => ({ dashboards: await store.list(), readOnly: !!options.readOnly })),
  );

  app.get<{ Params: { id: string } }>(`${BASE}/:id`, async (request) =>
    guard(async () => view(await store.get(request.params.id), options.readOnly)),
  );

  app.put<{ Params: { id: string } }>(`${BASE}/:id`, async (request) =>
    guard(async () => {
      writable();
      const body = bodyObject(request.body);
      const version = body.version;
      if (version !== undefined && typeof version !== 'string')
        throw new HttpError(400, '"version" must be a string');
      return view(await store.save(request.params.id, body.dashboard, { expectedVersion: version }), false);
    }),
  );

  app.post(BASE, async (request, reply) =>
    guard(async () => {
      writable();
      const body = bodyObject(request.body);
      const title = (body.dashboard as { title?: unknown } | undefined)?.title;
      const id = body.id ?? (typeof title === 'string' ? slugify(title) : undefined);
      if (typeof id !== 'string') throw new HttpError(400, 'give the dashboard a title (or an "id")');
      const format = body.format ?? 'yaml';
      if (format !== 'yaml' && format !== 'json')
        throw new HttpError(400, '"format" must be "yaml" or "json"');
      const saved = await store.save(id, body.dashboard, { create: true, format: format as DashboardFormat });
      reply.status(201);
      return view(saved, false);
    }),
  );

  app.delete<{ Params: { id: string } }>(`${BASE}/:id`, async (request, reply) =>
    guard(async () => {
      writable();
      await store.delete(request.params.id);
      reply.status(204);
      return '';
    }),
  );
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'send a JSON object: { "dashboard": { "title": ..., "panels": [...] } }');
  }
  const b = body as Record<string, unknown>;
  if (!b.dashboard || typeof b.dashboard !== 'object') {
    throw new HttpError(400, 'the request body needs a "dashboard" object');
  }
  return b;
}

function view(d: StoredDashboard, readOnly: boolean | undefined) {
  return {
    id: d.id,
    dashboard: d.dashboard,
    source: d.source,
    format: d.format,
    file: d.file,
    version: d.version,
    readOnly: !!readOnly,
  };
}
