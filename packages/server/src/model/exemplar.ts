import type { Labels } from './labels.ts';

/**
 * An exemplar: one observation of a series with labels of its own, usually the trace that
 * produced it (`trace_id`, `span_id`). Timestamps are Unix milliseconds.
 */
export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  readonly timestamp: number;
}

/** Exemplars of one series (identified by its labels), in time order. */
export interface SeriesExemplars {
  readonly labels: Labels;
  readonly exemplars: readonly Exemplar[];
}

/** Prometheus's limit on an exemplar's label set: names and values together, in UTF-8 characters. */
export const MAX_EXEMPLAR_LABEL_LENGTH = 128;

/** The total length Prometheus checks against MAX_EXEMPLAR_LABEL_LENGTH (in code points). */
export function exemplarLabelLength(labels: Labels): number {
  let n = 0;
  for (const l of labels) n += [...l.name].length + [...l.value].length;
  return n;
}
