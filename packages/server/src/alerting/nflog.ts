/**
 * The notification log (Alertmanager's nflog): for each aggregation group and receiver
 * integration, which alerts were firing and which resolved at the last successful notification,
 * and when. The dedup stage reads it to decide whether a flush needs to notify at all, so it is
 * what keeps repeat_interval honest and what prevents duplicates after a restart.
 *
 * Every entry is appended to `<dataDir>/nflog.jsonl` before the pipeline moves on, so a restart
 * (even `kill -9`: the data is in the OS by then) never repeats a notification already sent.
 * Appends are fsynced in batches, within a second, rather than one by one: a notification is
 * already out when it is logged, so a machine crash in that second can at worst repeat it, and
 * one fsync per notification made bursts of new groups disk-bound. Entries expire after
 * min(retention, 2 × repeat_interval) as in Alertmanager.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { Journal } from './persist.ts';

/** Which integration of which receiver (Alertmanager's nflogpb.Receiver). */
export interface NflogReceiver {
  readonly groupName: string;
  readonly integration: string;
  readonly idx: number;
}

export interface NflogEntry {
  readonly receiver: NflogReceiver;
  readonly groupKey: string;
  /** Unix ms of the notification. */
  readonly timestamp: number;
  /** Hashes (fingerprints) of the alerts firing / resolved in it. */
  readonly firingAlerts: readonly string[];
  readonly resolvedAlerts: readonly string[];
  readonly expiresAt: number;
}

function stateKey(groupKey: string, r: NflogReceiver): string {
  return `${groupKey}:${r.groupName}/${r.integration}/${r.idx}`;
}

export class NotificationLog {
  private readonly entries = new Map<string, NflogEntry>();
  private readonly journal: Journal<NflogEntry> | undefined;

  constructor(
    private readonly options: {
      readonly clock: Clock;
      readonly logger: Logger;
      readonly dataDir: string | undefined;
      /** Longest an entry is kept (Alertmanager's --data.retention, 120h). */
      readonly retention: number;
    },
  ) {
    if (options.dataDir) {
      this.journal = new Journal<NflogEntry>(join(options.dataDir, 'nflog.jsonl'), { fsync: false });
      for (const e of this.journal.read((line) =>
        options.logger.warn(
          { file: this.journal!.path, line },
          'skipping an unreadable line in the notification log',
        ),
      )) {
        if (e?.receiver && typeof e.groupKey === 'string') this.merge(e);
      }
    }
  }

  /** Records a successful notification. Throws when it cannot be made durable. */
  log(
    receiver: NflogReceiver,
    groupKey: string,
    firingAlerts: readonly string[],
    resolvedAlerts: readonly string[],
    expiry: number,
  ): void {
    const now = this.options.clock.now();
    const key = stateKey(groupKey, receiver);
    const prev = this.entries.get(key);
    if (prev && prev.timestamp > now) return;
    const retention = this.options.retention;
    const expiresAt = now + (expiry > 0 && retention > expiry ? expiry : retention);
    const entry: NflogEntry = { receiver, groupKey, timestamp: now, firingAlerts, resolvedAlerts, expiresAt };
    this.journal?.append([entry]);
    this.entries.set(key, entry);
    this.scheduleSync();
  }

  private syncTimer: NodeJS.Timeout | undefined;

  private scheduleSync(): void {
    if (!this.journal || this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      try {
        this.journal?.sync();
      } catch (err) {
        this.options.logger.error({ err: (err as Error).message }, 'cannot fsync the notification log');
      }
    }, 1000);
    this.syncTimer.unref();
  }

  /** The entry for a group and receiver integration, if any. */
  query(groupKey: string, receiver: NflogReceiver): NflogEntry | undefined {
    return this.entries.get(stateKey(groupKey, receiver));
  }

  /** Drops expired entries and compacts the file; returns how many were dropped. */
  gc(): number {
    const now = this.options.clock.now();
    let n = 0;
    for (const [k, e] of this.entries) {
      if (e.expiresAt <= now) {
        this.entries.delete(k);
        n++;
      }
    }
    if (this.journal && (n > 0 || this.journal.length > 2 * this.entries.size + 100)) {
      try {
        this.journal.rewrite([...this.entries.values()]);
      } catch (err) {
        this.options.logger.error({ err: (err as Error).message }, 'cannot compact the notification log');
      }
    }
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    try {
      this.journal?.sync();
    } catch {
      // Closing anyway; the data is in the OS.
    }
    this.journal?.close();
  }

  private merge(e: NflogEntry): void {
    const key = stateKey(e.groupKey, e.receiver);
    const prev = this.entries.get(key);
    if (!prev || prev.timestamp <= e.timestamp) this.entries.set(key, e);
  }
}
