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
  | { type: 'barrier'; id: number }
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
  /** Collections in progress, told about threads that join while they wait. */
  private readonly joinWatchers = new Set<(thread: number) => void>();
  private readonly pending = new Map<number, (m: { thread: number; families: FamilySnapshot[] }) => void>();
  /** Collections waiting for their barrier message to come through the channel. */
  private readonly barriers = new Map<number, () => void>();
  /** Settles shortly after creation, once running threads have had time to answer "who". */
  private readonly settled: Promise<void>;

  constructor() {
    this.settled = new Promise((resolve) => setTimeout(resolve, 50));
    this.channel.unref();
    this.channel.onmessage = (event) => {
      const m = (event as { data: Message }).data;
      if (m?.type === 'join') {
        this.members.add(m.thread);
        for (const watch of this.joinWatchers) watch(m.thread);
      } else if (m?.type === 'leave') this.members.delete(m.thread);
      else if (m?.type === 'snapshot') {
        this.members.add(m.thread);
        this.pending.get(m.id)?.(m);
      } else if (m?.type === 'barrier') this.barriers.get(m.id)?.();
    };
    this.channel.postMessage({ type: 'who' } satisfies Message);
  }

  /** Thread ids that have announced themselves. */
  threads(): number[] {
    return [...this.members];
  }

  /**
   * Asks every worker thread for its metrics; waits at most `timeoutMs` for answers.
   *
   * A thread's "join" travels on this channel while the app's own signals (a parentPort message
   * saying "ready") travel on another, so a join may still be queued when collect() is called.
   * Joins that arrive while collecting are therefore awaited too, and the round is not declared
   * complete before a barrier has come through: a message posted now from a second, short-lived
   * channel, which reaches this channel's queue after every message already in it (one queue,
   * first in first out), so every join sent before this call has been seen by then. A timer
   * would not do: on a loaded machine it can expire before queued messages are delivered.
   */
  async collect(timeoutMs: number): Promise<SourceSnapshot[]> {
    await this.settled;
    const id = this.nextId++;
    const expected = new Set(this.members);
    const answered = new Set<number>();
    const got: SourceSnapshot[] = [];
    await new Promise<void>((resolve) => {
      let barrierSeen = false;
      const finish = () => {
        clearTimeout(timer);
        this.joinWatchers.delete(onJoin);
        this.barriers.delete(id);
        resolve();
      };
      const maybeDone = () => {
        if (barrierSeen && expected.size === 0) finish();
      };
      const timer = setTimeout(() => {
        // Whoever did not answer has most likely exited.
        for (const t of expected) this.members.delete(t);
        finish();
      }, timeoutMs);
      const onJoin = (thread: number) => {
        if (!answered.has(thread)) expected.add(thread);
      };
      this.joinWatchers.add(onJoin);
      this.pending.set(id, (m) => {
        if (answered.has(m.thread)) return;
        answered.add(m.thread);
        expected.delete(m.thread);
        got.push({ id: `thread-${m.thread}`, families: m.families });
        maybeDone();
      });
      this.barriers.set(id, () => {
        barrierSeen = true;
        maybeDone();
      });
      this.channel.postMessage({ type: 'collect', id } satisfies Message);
      // Posting delivers into every other channel's queue at once; the sender is closed at once
      // so that it never receives (and deserializes) anything itself.
      const sender = new BroadcastChannel(CHANNEL);
      sender.postMessage({ type: 'barrier', id } satisfies Message);
      sender.close();
    });
    this.pending.delete(id);
    return got;
  }
}

/** The process's thread collector (main thread only), created on first use. */
export function threadCollector(): ThreadCollector | undefined {
  return isMainThread ? singleton('threads.collector', () => new ThreadCollector()) : undefined;
}
