import type { Label, Labels } from '../../model/labels.ts';

/** Loki's error label and its details label. */
export const ERROR_LABEL = '__error__';
export const ERROR_DETAILS_LABEL = '__error_details__';

/** The error values stages set, as Loki names them. */
export const ERR_JSON = 'JSONParserErr';
export const ERR_LOGFMT = 'LogfmtParserErr';
export const ERR_LABEL_FILTER = 'LabelFilterErr';
export const ERR_SAMPLE_EXTRACTION = 'SampleExtractionErr';
export const ERR_TEMPLATE = 'TemplateFormatErr';

/** Labels of a result line split as Loki's categorize-labels encoding shows them. */
export interface CategorizedLabels {
  readonly stream: Labels;
  readonly structuredMetadata: Labels;
  readonly parsed: Labels;
}

/**
 * The labels of one log line while a pipeline runs over it (Loki's LabelsBuilder): the stream
 * labels and structured metadata it came with, plus what parsers and formats add, minus what
 * they drop, plus an error when a stage failed. Reset for each line; not shared across lines.
 */
export class LabelsBuilder {
  private stream: Labels = [];
  private metadata: Labels = [];
  private readonly parsed = new Map<string, string>();
  private readonly deleted = new Set<string>();
  private err = '';
  private errDetails = '';

  reset(stream: Labels, metadata: Labels): void {
    this.stream = stream;
    this.metadata = metadata;
    if (this.parsed.size > 0) this.parsed.clear();
    if (this.deleted.size > 0) this.deleted.clear();
    this.err = '';
    this.errDetails = '';
  }

  /** The value of a label, parsed labels first, then metadata, then stream labels. */
  get(name: string): string | undefined {
    if (name === ERROR_LABEL) return this.err === '' ? undefined : this.err;
    if (name === ERROR_DETAILS_LABEL) return this.errDetails === '' ? undefined : this.errDetails;
    const p = this.parsed.get(name);
    if (p !== undefined) return p;
    if (this.deleted.has(name)) return undefined;
    for (const l of this.metadata) if (l.name === name) return l.value;
    for (const l of this.stream) if (l.name === name) return l.value;
    return undefined;
  }

  /** Whether the stream labels have `name` (parsers then name their label `name_extracted`). */
  baseHas(name: string): boolean {
    if (this.deleted.has(name)) return false;
    for (const l of this.stream) if (l.name === name) return true;
    return false;
  }

  metadataHas(name: string): boolean {
    if (this.deleted.has(name)) return false;
    for (const l of this.metadata) if (l.name === name) return true;
    return false;
  }

  /** Sets a label (as a parsed label); an existing label of that name is replaced. */
  set(name: string, value: string): void {
    if (name === ERROR_LABEL) {
      this.err = value;
      return;
    }
    if (name === ERROR_DETAILS_LABEL) {
      this.errDetails = value;
      return;
    }
    this.parsed.set(name, value);
  }

  del(name: string): void {
    if (name === ERROR_LABEL) {
      this.err = '';
      return;
    }
    if (name === ERROR_DETAILS_LABEL) {
      this.errDetails = '';
      return;
    }
    this.parsed.delete(name);
    this.deleted.add(name);
  }

  hasErr(): boolean {
    return this.err !== '';
  }

  setErr(type: string, details: string): void {
    this.err = type;
    this.errDetails = details;
  }

  /** Every current label name (for keep, label_format and templates). */
  names(): string[] {
    const out = new Set<string>();
    for (const l of this.stream) if (!this.deleted.has(l.name)) out.add(l.name);
    for (const l of this.metadata) if (!this.deleted.has(l.name)) out.add(l.name);
    for (const k of this.parsed.keys()) out.add(k);
    if (this.err) out.add(ERROR_LABEL);
    if (this.errDetails) out.add(ERROR_DETAILS_LABEL);
    return [...out];
  }

  /** All labels as a plain record (template data). */
  record(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const l of this.stream) if (!this.deleted.has(l.name)) out[l.name] = l.value;
    for (const l of this.metadata) if (!this.deleted.has(l.name)) out[l.name] = l.value;
    for (const [k, v] of this.parsed) out[k] = v;
    if (this.err) out[ERROR_LABEL] = this.err;
    if (this.errDetails) out[ERROR_DETAILS_LABEL] = this.errDetails;
    return out;
  }

  /** True when nothing changed the stream labels and there is no metadata: the result is the stream. */
  private untouched(): boolean {
    return this.metadata.length === 0 && this.parsed.size === 0 && this.deleted.size === 0 && this.err === '';
  }

  /** The line's labels, sorted: stream, metadata and parsed labels together, with any error. */
  labels(): Labels {
    if (this.untouched()) return this.stream;
    const merged = new Map<string, string>();
    for (const l of this.stream) if (!this.deleted.has(l.name)) merged.set(l.name, l.value);
    for (const l of this.metadata) if (!this.deleted.has(l.name)) merged.set(l.name, l.value);
    for (const [k, v] of this.parsed) merged.set(k, v);
    if (this.err) merged.set(ERROR_LABEL, this.err);
    if (this.errDetails) merged.set(ERROR_DETAILS_LABEL, this.errDetails);
    return sortedLabels(merged);
  }

  /** The labels split by where they came from, for the categorize-labels response encoding. */
  categorized(): CategorizedLabels {
    const stream: Label[] = [];
    for (const l of this.stream) if (!this.deleted.has(l.name) && !this.parsed.has(l.name)) stream.push(l);
    const metadata: Label[] = [];
    for (const l of this.metadata)
      if (!this.deleted.has(l.name) && !this.parsed.has(l.name)) metadata.push(l);
    const parsed = new Map(this.parsed);
    if (this.err) parsed.set(ERROR_LABEL, this.err);
    if (this.errDetails) parsed.set(ERROR_DETAILS_LABEL, this.errDetails);
    return {
      stream: stream.length === this.stream.length ? this.stream : stream,
      structuredMetadata: metadata,
      parsed: sortedLabels(parsed),
    };
  }

  /** The labels reduced to a grouping (`by`) or without some (`without`), for range aggregations. */
  grouped(names: readonly string[], without: boolean): Labels {
    if (!without) {
      const out: Label[] = [];
      for (const n of [...names].sort()) {
        const v = this.get(n);
        if (v !== undefined && v !== '') out.push({ name: n, value: v });
      }
      return out;
    }
    const drop = new Set(names);
    return this.labels().filter((l) => !drop.has(l.name));
  }
}

function sortedLabels(m: Map<string, string>): Labels {
  const out: Label[] = [];
  for (const [name, value] of m) if (value !== '') out.push({ name, value });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
