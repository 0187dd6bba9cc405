/**
 * Aggregation across worker_threads. Each thread has its own heap and so its own registry; a
 * BroadcastChannel (process-wide, no wiring by the app) carries snapshots to the main thread,
 * which exposes the sum. Workers announce themselves when their SDK starts and answer when the
 * main thread asks; the main thread asks "who is there" when it starts listening, so the order
 * in which threads start does not matter. A worker that stops answering (it exited) is dropped
 * after one timeout.
 */
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';
import { reportError } from '../errors.ts';
import { singleton } from '../shared.ts';
import type { SourceSnapshot } from './aggregate.ts';
import type { FamilySnapshot } from './snapshot.ts';

const CHANNEL = 'vigil:metrics:v1';

type Message =
  | { type: 'who' }
  | { type: 'join'; thread: number }
  | { type: 'leave'; thread: number }
  | { type: 'collect'; id: number }
  | { type: 'snapshot'; id: number; thread: number; families: FamilySnapshot[] };

/** Makes this worker thread answer the main thread's collection requests with `snapshot()`. */
export function answerThreadCollection(snapshot: () => Promise<FamilySnapshot[]>): void {
  if (isMainThread) return;
  singleton('threads.responder', () => {
    const channel = new BroadcastChannel(CHANNEL);
    channel.unref();
    const post = (m: Message) => channel.postMessage(m);
    channel.onmessage = (event) => {
      const m = (event as { data: Message }).data;
      if (m?.type === 'who') post({ type: 'join', thread: threadId });
      else if (m?.type === 'collect') {
        snapshot().then(
          (families) => post({ type: 'snapshot', id: m.id, thread: threadId, families }),
          (err) => reportError(err, 'collecting metrics for the main thread'),
        );
      }
    };
    post({ type: 'join', thread: threadId });
    process.on('exit', () => {
      try {
        post({ type: 'leave', thread: threadId });
        channel.close();
      } catch {
        // Best effort: the main thread drops silent members after a timeout anyway.
      }
    });
    return channel;
  });
}

/** The main thread's side: knows the worker threads and collects their snapshots. */
export class ThreadCollector {
  private readonly channel = new BroadcastChannel(CHANNEL);
  private readonly members = new Set<number>();
  private nextId = 1;
  private readonly pending = new Map<number, (m: { thread: number; families: FamilySnapshot[] }) => void>();
  /** Settles shortly after creation, once running threads have had time to answer "who". */
  private readonly settled: Promise<void>;

  constructor() {
    this.settled = new Promise((resolve) => setTimeout(resolve, 50));
    this.channel.unref();
    this.channel.onmessage = (event) => {
      const m = (event as { data: Message }).data;
      if (m?.type === 'join') this.members.add(m.thread);
      else if (m?.type === 'leave') this.members.delete(m.thread);
      else if (m?.type === 'snapshot') {
        this.members.add(m.thread);
        this.pending.get(m.id)?.(m);
      }
    };
    this.channel.postMessage({ type: 'who' } satisfies Message);
  }

  /** Thread ids that have announced themselves. */
  threads(): number[] {
    return [...this.members];
  }

  /** Asks every known worker thread for its metrics; waits at most `timeoutMs` for answers. */
  async collect(timeoutMs: number): Promise<SourceSnapshot[]> {
    await this.settled;
    if (this.members.size === 0) return [];
    const id = this.nextId++;
    const expected = new Set(this.members);
    const got: SourceSnapshot[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // Whoever did not answer has most likely exited.
        for (const t of expected) this.members.delete(t);
        resolve();
      }, timeoutMs);
      this.pending.set(id, (m) => {
        if (!expected.delete(m.thread)) return;
        got.push({ id: `thread-${m.thread}`, families: m.families });
        if (expected.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      this.channel.postMessage({ type: 'collect', id } satisfies Message);
    });
    this.pending.delete(id);
    return got;
  }
}

/** The process's thread collector (main thread only), created on first use. */
export function threadCollector(): ThreadCollector | undefined {
  return isMainThread ? singleton('threads.collector', () => new ThreadCollector()) : undefined;
}
