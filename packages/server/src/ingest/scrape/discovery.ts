import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Logger } from 'pino';
import { parseDocument } from 'yaml';
import { type TargetGroupConfig, targetGroupSchema } from '../../config/scrape.ts';
import type { FileSdSettings } from './config.ts';
import { ADDRESS_LABEL, type TargetGroup } from './targets.ts';

/** The label file_sd sets on every target group: the file it came from. */
export const FILE_SD_PATH_LABEL = '__meta_filepath';

/** Target groups of `static_configs`, sourced `static/<index>`. */
export function staticTargetGroups(groups: readonly TargetGroupConfig[]): TargetGroup[] {
  return groups.map((g, i) => toTargetGroup(`static/${i}`, g, {}));
}

function toTargetGroup(source: string, g: TargetGroupConfig, extra: Record<string, string>): TargetGroup {
  return {
    source,
    targets: g.targets.map((address) => ({ [ADDRESS_LABEL]: address })),
    labels: { ...g.labels, ...extra },
  };
}

/** Something that discovers target groups and reports the full current set on every change. */
export interface Discoverer {
  start(): Promise<void>;
  stop(): void;
}

/**
 * Prometheus's file_sd: reads JSON or YAML lists of `{targets, labels}` from files matching the
 * patterns, adds `__meta_filepath`, and re-reads on change (watching the directories) and every
 * refresh_interval. A file that cannot be read or parsed keeps its previous targets and is
 * logged, so a half-written file never drops targets.
 */
export class FileDiscoverer implements Discoverer {
  private readonly byFile = new Map<string, TargetGroup[]>();
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly settings: FileSdSettings,
    private readonly onChange: (groups: TargetGroup[]) => void,
    private readonly logger: Logger,
    private readonly onReadError: () => void,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    for (const dir of new Set(this.settings.files.map((p) => dirname(p)))) {
      try {
        const w = watch(dir, () => this.scheduleRefresh());
        w.on('error', (err) =>
          this.logger.warn({ err: err.message, dir }, 'file_sd: watching the directory failed'),
        );
        this.watchers.push(w);
      } catch (err) {
        // The directory may not exist yet; the periodic refresh still picks files up later.
        this.logger.warn(
          { err: (err as Error).message, dir },
          'file_sd: cannot watch directory, relying on refresh_interval',
        );
      }
    }
    this.timer = setInterval(() => this.scheduleRefresh(), this.settings.refreshInterval);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
  }

  /** Coalesces bursts of file events (editors write in several steps). */
  private scheduleRefresh(): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.refresh(), 50);
  }

  /** Re-reads every matching file; runs one at a time, repeating once if asked again meanwhile. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        await this.readAll();
      } while (this.again && !this.stopped);
      this.refreshing = undefined;
    })();
    return this.refreshing;
  }

  private async readAll(): Promise<void> {
    const files = new Set<string>();
    for (const pattern of this.settings.files) for (const f of await expandGlob(pattern)) files.add(f);
    let changed = false;
    for (const file of files) {
      try {
        const groups = await readTargetFile(file);
        const before = JSON.stringify(this.byFile.get(file));
        this.byFile.set(file, groups);
        if (JSON.stringify(groups) !== before) changed = true;
      } catch (err) {
        this.onReadError();
        this.logger.error(
          { file, err: (err as Error).message },
          'file_sd: cannot read target file; keeping its previous targets',
        );
      }
    }
    for (const file of [...this.byFile.keys()]) {
      if (!files.has(file)) {
        this.byFile.delete(file);
        changed = true;
      }
    }
    if (changed && !this.stopped) this.onChange([...this.byFile.values()].flat());
  }
}

/** Reads one file_sd file; throws with a message naming the file and the problem. */
export async function readTargetFile(file: string): Promise<TargetGroup[]> {
  const text = await readFile(file, 'utf8');
  let raw: unknown;
  const ext = extname(file).toLowerCase();
  if (ext === '.json') {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`${file}: invalid JSON: ${(err as Error).message}`);
    }
  } else {
    const doc = parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length > 0)
      throw new Error(`${file}: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`);
    raw = doc.toJS() ?? [];
  }
  if (!Array.isArray(raw))
    throw new Error(`${file}: expected a list of target groups ({targets: [...], labels: {...}})`);
  return raw.map((item, i) => {
    if (item === null || item === undefined) throw new Error(`${file}: entry ${i} is empty`);
    // Like Prometheus: JSON ignores unknown fields, YAML is strict.
    const input =
      ext === '.json' && typeof item === 'object' ? { targets: item.targets, labels: item.labels } : item;
    const parsed = targetGroupSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `${file}: entry ${i}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`,
      );
    }
    return toTargetGroup(`file:${file}:${i}`, parsed.data, { [FILE_SD_PATH_LABEL]: file });
  });
}

/**
 * Files matching a pattern whose wildcards (`*`, `?`, `[...]`) are in the last path element only,
 * as file_sd requires; sorted. A missing directory matches nothing.
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  const dir = dirname(pattern);
  const base = basename(pattern);
  if (!/[*?[]/.test(base)) {
    try {
      return (await stat(pattern)).isFile() ? [pattern] : [];
    } catch {
      return [];
    }
  }
  const re = globToRegExp(base);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => join(dir, n));
}

function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith('^')) cls = `!${cls.slice(1)}`;
        out += cls.startsWith('!')
          ? `[^${cls.slice(1).replace(/\\/g, '\\\\')}]`
          : `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += glob[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
