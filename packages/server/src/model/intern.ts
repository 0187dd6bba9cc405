import type { Label, Labels } from './labels.ts';

/**
 * Shares one Label object, and so one copy of its strings, among every series that has the same
 * name and value. Across 100k series most pairs repeat (`job="node"`, `mode="idle"`, the same
 * metric names on every host): sharing them roughly halved the heap the series index and the
 * ingest caches need. Bounded: past `maxEntries` distinct pairs it starts over, which only costs
 * sharing, never correctness (pairs are compared by value everywhere).
 */
export class LabelInterner {
  private byName = new Map<string, Map<string, Label>>();
  private entries = 0;

  constructor(private readonly maxEntries = 1_000_000) {}

  label(name: string, value: string): Label {
    let values = this.byName.get(name);
    if (!values) {
      if (this.entries >= this.maxEntries) this.reset();
      values = new Map();
      this.byName.set(name, values);
    }
    let label = values.get(value);
    if (!label) {
      if (this.entries >= this.maxEntries) {
        this.reset();
        return this.label(name, value);
      }
      label = Object.freeze({ name, value });
      values.set(value, label);
      this.entries++;
    }
    return label;
  }

  /** The same label set built from shared Label objects; returns `labels` itself when it already is. */
  labels(labels: Labels): Labels {
    let out: Label[] | undefined;
    for (let i = 0; i < labels.length; i++) {
      const shared = this.label(labels[i].name, labels[i].value);
      if (shared !== labels[i] && !out) out = labels.slice(0, i);
      out?.push(shared);
    }
    return out ?? labels;
  }

  private reset(): void {
    this.byName = new Map();
    this.entries = 0;
  }
}

/** The process-wide interner that decoders and storage share. */
export const sharedLabels = new LabelInterner();
