import { type Label, type Labels, labelsFromPairs } from '../model/labels.ts';

/**
 * A label set under construction, with Prometheus's labels.Builder semantics, which relabeling
 * depends on: setting an empty value deletes the label, `get` of a missing label is "", and
 * `range` visits the labels as they were when it started (unchanged base labels in order, then
 * changed or added ones in the order they were set).
 */
export class LabelsBuilder {
  private base: Labels = [];
  private readonly add: Label[] = [];
  private readonly del: string[] = [];

  constructor(base: Labels = []) {
    this.reset(base);
  }

  /** Starts over from `base`; labels with empty values in it count as deleted. */
  reset(base: Labels): this {
    this.base = base;
    this.add.length = 0;
    this.del.length = 0;
    for (const l of base) if (l.value === '') this.del.push(l.name);
    return this;
  }

  get(name: string): string {
    for (const a of this.add) if (a.name === name) return a.value;
    if (this.del.includes(name)) return '';
    for (const l of this.base) if (l.name === name) return l.value;
    return '';
  }

  has(name: string): boolean {
    return this.get(name) !== '';
  }

  set(name: string, value: string): this {
    if (value === '') return this.delete(name);
    for (let i = 0; i < this.add.length; i++) {
      if (this.add[i].name === name) {
        this.add[i] = { name, value };
        return this;
      }
    }
    this.add.push({ name, value });
    return this;
  }

  delete(name: string): this {
    for (let i = this.add.length - 1; i >= 0; i--) if (this.add[i].name === name) this.add.splice(i, 1);
    this.del.push(name);
    return this;
  }

  /** Calls `fn` for each label of a snapshot taken now; `fn` may change the builder. */
  range(fn: (l: Label) => void): void {
    const add = this.add.slice();
    const del = this.del.slice();
    for (const l of this.base) {
      if (!del.includes(l.name) && !add.some((a) => a.name === l.name)) fn(l);
    }
    for (const a of add) fn(a);
  }

  /** The current label set, sorted by name, without empty values. */
  labels(): Labels {
    if (this.add.length === 0 && this.del.length === 0) return this.base;
    const out: Label[] = [];
    for (const l of this.base) {
      if (!this.del.includes(l.name) && !this.add.some((a) => a.name === l.name)) out.push(l);
    }
    for (const a of this.add) out.push(a);
    return labelsFromPairs(out);
  }
}
