/**
 * A label set, Prometheus's data model: name/value pairs sorted by name, names unique.
 * `__name__` holds the metric name. Label sets are immutable once built; every function
 * here returns a new array instead of changing its argument.
 */
export interface Label {
  readonly name: string;
  readonly value: string;
}

export type Labels = readonly Label[];

export const METRIC_NAME = '__name__';

/** Builds a sorted label set from a plain object; empty values are dropped as Prometheus does. */
export function labelsFromRecord(record: Readonly<Record<string, string>>): Labels {
  const out: Label[] = [];
  for (const name of Object.keys(record)) {
    const value = record[name];
    if (value !== undefined && value !== '') out.push({ name, value });
  }
  return out.sort(compareLabelNames);
}

/** Sorts pairs into a label set, dropping empty values. Duplicate names are the caller's error to report. */
export function labelsFromPairs(pairs: Iterable<Label>): Labels {
  const out: Label[] = [];
  for (const l of pairs) if (l.value !== '') out.push({ name: l.name, value: l.value });
  return out.sort(compareLabelNames);
}

export function labelsToRecord(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l.name] = l.value;
  return out;
}

function compareLabelNames(a: Label, b: Label): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function getLabel(labels: Labels, name: string): string {
  for (const l of labels) if (l.name === name) return l.value;
  return '';
}

export function metricName(labels: Labels): string {
  return getLabel(labels, METRIC_NAME);
}

/** Returns the first duplicated label name, or undefined; labels must be sorted. */
export function duplicateLabelName(labels: Labels): string | undefined {
  for (let i = 1; i < labels.length; i++) if (labels[i].name === labels[i - 1].name) return labels[i].name;
  return undefined;
}

/**
 * A string that identifies the label set, usable as a Map key. Names and values are joined with
 * lone surrogates, which cannot occur in well-formed text (ingest rejects label sets that are not
 * well-formed), the way Prometheus's label hashing uses the invalid UTF-8 byte 0xff.
 */
export function labelsKey(labels: Labels): string {
  let key = '';
  for (const l of labels) key += l.name + '\ud800' + l.value + '\udbff';
  return key;
}

export function labelsEqual(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].name !== b[i].name || a[i].value !== b[i].value) return false;
  return true;
}

/** Orders label sets the way Prometheus's labels.Compare does: pairwise by name, then value, then length. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i].name !== b[i].name) return a[i].name < b[i].name ? -1 : 1;
    if (a[i].value !== b[i].value) return a[i].value < b[i].value ? -1 : 1;
  }
  return a.length - b.length;
}

/** Returns a copy with `name` set to `value` (removed when value is empty), keeping the order. */
export function withLabel(labels: Labels, name: string, value: string): Labels {
  const out: Label[] = [];
  let placed = false;
  for (const l of labels) {
    if (l.name === name) continue;
    if (!placed && l.name > name) {
      if (value !== '') out.push({ name, value });
      placed = true;
    }
    out.push(l);
  }
  if (!placed && value !== '') out.push({ name, value });
  return out;
}

export function withoutLabels(labels: Labels, names: ReadonlySet<string>): Labels {
  return labels.filter((l) => !names.has(l.name));
}

/** Renders `name{a="b", c="d"}` the way Prometheus prints series. */
export function formatLabels(labels: Labels): string {
  const name = metricName(labels);
  const rest = labels.filter((l) => l.name !== METRIC_NAME);
  if (name !== '' && rest.length === 0) return name;
  const inner = rest.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ');
  return `${name}{${inner}}`;
}

// Legacy (pre-UTF-8) character sets. Prometheus 3 accepts any UTF-8 name, but these remain the
// names that need no quoting, and what exporters are expected to produce.
const LEGACY_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function isLegacyMetricName(name: string): boolean {
  return LEGACY_METRIC_NAME.test(name);
}

export function isLegacyLabelName(name: string): boolean {
  return LEGACY_LABEL_NAME.test(name);
}

/**
 * Prometheus 3 validation (UTF-8 names): a name is valid when it is non-empty valid UTF-8.
 * Decoders must reject invalid UTF-8 bytes themselves (TextDecoder with `fatal: true`); here a
 * JS string is checked for lone surrogates, which cannot be encoded as UTF-8.
 */
export function isValidUtf8Name(name: string): boolean {
  return name.length > 0 && isWellFormed(name);
}

function isWellFormed(s: string): boolean {
  // String.prototype.isWellFormed is Node 20+; keep a fallback for lone surrogates.
  const fn = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return fn ? fn.call(s) : !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
}

/**
 * A 32-bit FNV-1a hash of a label set, for hash maps that confirm hits with labelsEqual. Cheaper
 * in memory than labelsKey strings when millions of series must be looked up by labels.
 */
export function labelsHash(labels: Labels): number {
  let h = 0x811c9dc5;
  for (const { name, value } of labels) {
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xffff, 0x01000193);
    for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xfffe, 0x01000193);
  }
  return h >>> 0;
}
