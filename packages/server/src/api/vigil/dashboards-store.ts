/**
 * Dashboards as files: `<dir>/<id>.json`, `.yaml` or `.yml`, plus the built-in ones. Reads every
 * time (the folder is small and people edit the files by hand); writes atomically (temp file +
 * rename) in the file's own format. Each read carries a version (a hash of the file's bytes) so a
 * save can refuse to overwrite a file that changed since it was loaded.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, parseConfig } from '../../config/load.ts';
import { BUILTIN_DASHBOARDS } from './dashboards-builtin.ts';
import { DASHBOARD_ID, type Dashboard, dashboardSchema } from './dashboards-model.ts';

export type DashboardFormat = 'json' | 'yaml';

/** One dashboard as stored. */
export interface StoredDashboard {
  readonly id: string;
  readonly dashboard: Dashboard;
  readonly source: 'file' | 'builtin';
  readonly format: DashboardFormat;
  /** The file, relative to the folder (files only). */
  readonly file?: string;
  /** Changes whenever the stored bytes change. */
  readonly version: string;
}

/** A listing entry; files that do not validate are listed with their error. */
export interface DashboardSummary {
  readonly id: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly description?: string;
  readonly panels: number;
  readonly source: 'file' | 'builtin';
  readonly file?: string;
  readonly error?: string;
}

/** A store operation that failed for a reason the caller should show; `status` is its HTTP status. */
export class DashboardError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const EXTENSIONS: Record<string, DashboardFormat> = { '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml' };

function versionOf(bytes: string): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export class DashboardStore {
  constructor(private readonly dir: string) {}

  /** Files in the folder that look like dashboards: id → file name. Missing folder = none. */
  private async files(): Promise<Map<string, string>> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw err;
    }
    const out = new Map<string, string>();
    for (const name of names.sort()) {
      const ext = extname(name).toLowerCase();
      const id = name.slice(0, -ext.length);
      if (!EXTENSIONS[ext] || !DASHBOARD_ID.test(id)) continue;
      // Two files for one id: the first in name order wins (.json before .yaml); say so in its error.
      if (!out.has(id)) out.set(id, name);
    }
    return out;
  }

  /** Every dashboard: files first, then built-ins not replaced by a file. */
  async list(): Promise<DashboardSummary[]> {
    const files = await this.files();
    const out: DashboardSummary[] = [];
    for (const [id, file] of files) {
      try {
        const d = await this.readFile(id, file);
        out.push(summary(d));
      } catch (err) {
        out.push({ id, title: id, tags: [], panels: 0, source: 'file', file, error: (err as Error).message });
      }
    }
    for (const id of Object.keys(BUILTIN_DASHBOARDS)) {
      if (!files.has(id)) out.push(summary(this.builtin(id)!));
    }
    return out.sort((a, b) => a.title.localeCompare(b.title));
  }

  /** One dashboard; DashboardError 404 when there is none, 422 when its file is invalid. */
  async get(id: string): Promise<StoredDashboard> {
    checkId(id);
    const file = (await this.files()).get(id);
    if (file) return this.readFile(id, file);
    const builtin = this.builtin(id);
    if (builtin) return builtin;
    throw new DashboardError(404, `there is no dashboard "${id}"`);
  }

  /**
   * Validates and writes a dashboard. An existing file keeps its format; a new one (or a saved
   * built-in) is written as `format` (YAML by default). With `expectedVersion`, refuses (409) when
   * the stored dashboard has changed since that version was read.
   */
  async save(
    id: string,
    input: unknown,
    options: { expectedVersion?: string; format?: DashboardFormat; create?: boolean } = {},
  ): Promise<StoredDashboard> {
    checkId(id);
    const dashboard = validate(input, `dashboard "${id}"`);
    const files = await this.files();
    const existingFile = files.get(id);
    if (options.create && (existingFile || BUILTIN_DASHBOARDS[id])) {
      throw new DashboardError(409, `a dashboard with id "${id}" already exists`);
    }
    if (options.expectedVersion !== undefined) {
      const current = existingFile
        ? await this.readFile(id, existingFile).catch(() => undefined)
        : this.builtin(id);
      if (current && current.version !== options.expectedVersion) {
        throw new DashboardError(
          409,
          `dashboard "${id}" was changed (in its file or by someone else) after you loaded it; reload it and apply your changes again`,
        );
      }
    }
    const format = existingFile
      ? EXTENSIONS[extname(existingFile).toLowerCase()]
      : (options.format ?? 'yaml');
    const file = existingFile ?? `${id}.${format === 'json' ? 'json' : 'yaml'}`;
    const text =
      format === 'json' ? `${JSON.stringify(dashboard, null, 2)}\n` : stringify(dashboard, { lineWidth: 0 });
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${file}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, join(this.dir, file));
    return { id, dashboard, source: 'file', format, file, version: versionOf(text) };
  }

  /** Deletes a dashboard's file. Built-ins cannot be deleted (a file replacing one can). */
  async delete(id: string): Promise<void> {
    checkId(id);
    const file = (await this.files()).get(id);
    if (!file) {
      if (BUILTIN_DASHBOARDS[id]) throw new DashboardError(400, `"${id}" is built in and cannot be deleted`);
      throw new DashboardError(404, `there is no dashboard "${id}"`);
    }
    await rm(join(this.dir, file));
  }

  private async readFile(id: string, file: string): Promise<StoredDashboard> {
    const path = join(this.dir, file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new DashboardError(500, `cannot read ${path}: ${(err as Error).message}`);
    }
    let dashboard: Dashboard;
    try {
      // JSON is YAML, so one parser reports file:line: key: problem for both formats.
      dashboard = parseConfig(text, path, dashboardSchema);
    } catch (err) {
      if (err instanceof ConfigError) throw new DashboardError(422, err.problems.join('\n'));
      throw err;
    }
    return {
      id,
      dashboard,
      source: 'file',
      format: EXTENSIONS[extname(file).toLowerCase()],
      file,
      version: versionOf(text),
    };
  }

  private builtin(id: string): StoredDashboard | undefined {
    const input = BUILTIN_DASHBOARDS[id];
    if (!input) return undefined;
    const dashboard = dashboardSchema.parse(input);
    return {
      id,
      dashboard,
      source: 'builtin',
      format: 'yaml',
      version: versionOf(JSON.stringify(dashboard)),
    };
  }
}

function summary(d: StoredDashboard): DashboardSummary {
  return {
    id: d.id,
    title: d.dashboard.title,
    tags: d.dashboard.tags,
    description: d.dashboard.description,
    panels: d.dashboard.panels.length,
    source: d.source,
    file: d.file,
  };
}

function checkId(id: string): void {
  if (!DASHBOARD_ID.test(id)) {
    throw new DashboardError(
      400,
      `"${id}" is not a valid dashboard id: use letters, digits, '-' and '_' (it becomes the file name)`,
    );
  }
}

/** Validates a dashboard sent over the API; problems name their key path. */
export function validate(input: unknown, what: string): Dashboard {
  const result = dashboardSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    let key = '';
    for (const p of path) key += typeof p === 'number' ? `[${p}]` : key ? `.${p}` : p;
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.message;
    return `${key || '(top level)'}: ${message}`;
  });
  throw new DashboardError(400, `${what} is not valid:\n${problems.join('\n')}`);
}
