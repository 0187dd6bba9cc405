/**
 * Live tail: the sink publishes every batch of stored records here, and each subscriber gets the
 * lines its selector and pipeline accept, in time order within a batch, once each.
 */
import type { LogSelectorExpr } from '../logql/ast.ts';
import { derivedMetadata, type ResultEntry } from '../logql/engine.ts';
import { LabelsBuilder } from '../logql/pipeline/labels.ts';
import { type CompiledPipeline, compilePipeline, type LineState } from '../logql/pipeline/pipeline.ts';
import type { LogRecord } from '../model/log.ts';

interface Subscriber {
  readonly expr: LogSelectorExpr;
  readonly pipeline: CompiledPipeline;
  readonly send: (entries: ResultEntry[]) => void;
}

/** Fans stored records out to live-tail subscribers. */
export class TailHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly lbs = new LabelsBuilder();

  get size(): number {
    return this.subscribers.size;
  }

  /** Starts delivering lines matching `expr` to `send`; returns the function that stops it. */
  subscribe(expr: LogSelectorExpr, send: (entries: ResultEntry[]) => void): () => void {
    const sub: Subscriber = { expr, pipeline: compilePipeline(expr.pipeline, { pushdown: false }), send };
    this.subscribers.add(sub);
    return () => {
      this.subscribers.delete(sub);
    };
  }

  /** Called with records after they are durable. */
  publish(records: readonly LogRecord[]): void {
    if (this.subscribers.size === 0) return;
    const sorted = [...records].sort((a, b) =>
      a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : 0,
    );
    for (const sub of this.subscribers) {
      const out: ResultEntry[] = [];
      for (const r of sorted) {
        if (!sub.expr.matchers.every((m) => m.matches(labelValue(r, m.name)))) continue;
        this.lbs.reset(r.labels, derivedMetadata({ ...r, bodyBytes: 0 }));
        const state: LineState = { line: r.body, timestampNs: r.timestampNs, lbs: this.lbs };
        let keep = true;
        for (const stage of sub.pipeline.stages) {
          if (!stage(state)) {
            keep = false;
            break;
          }
        }
        if (!keep) continue;
        out.push({
          timestampNs: r.timestampNs,
          line: state.line,
          labels: this.lbs.labels(),
          categorized: this.lbs.categorized(),
        });
      }
      if (out.length > 0) {
        try {
          sub.send(out);
        } catch {
          this.subscribers.delete(sub);
        }
      }
    }
  }
}

function labelValue(r: LogRecord, name: string): string {
  for (const l of r.labels) if (l.name === name) return l.value;
  return '';
}
