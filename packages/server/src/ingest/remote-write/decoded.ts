/**
 * What a remote-write decoder produces, and the label rules both decoders share (the hand-written
 * hot-path one in decode.ts and the reference one over generated code in decode-generated.ts), so
 * the two can be compared byte for byte by the fuzz tests.
 */

import type { SeriesExemplars } from '../../model/exemplar.ts';
import type { Label, Labels } from '../../model/labels.ts';
import type { SeriesSamples } from '../../model/sample.ts';
import type { MetricMetadata, MetricType } from '../../storage/interface.ts';

/** A series the decoder refused before storage saw it (its label bytes were unusable). */
export interface InvalidSeries {
  /** Samples the series carried; they count as rejected. */
  readonly samples: number;
  /** Which series and what was wrong, for the 400 body. */
  readonly message: string;
}

/** One decoded `prometheus.WriteRequest`. */
export interface DecodedWriteRequest {
  /** Series with at least one float sample, labels sorted by name, empty values dropped. */
  readonly series: SeriesSamples[];
  /** Series with at least one sample whose labels were invalid UTF-8 or repeated a name. */
  readonly invalid: InvalidSeries[];
  readonly metadata: MetricMetadata[];
  /** Exemplars per series (series whose labels were valid), exemplar labels sorted. */
  readonly exemplars: SeriesExemplars[];
  /** Native histogram samples in the request; Vigil does not store them. */
  readonly histograms: number;
}

/**
 * Builds the sorted label set of one series from its wire pairs, the way Prometheus's receiver
 * does: pairs are sorted (some senders do not sort), a repeated name rejects the series (even when
 * one of the values is empty, as Prometheus checks before anything is dropped), and empty values are
 * then dropped, since an empty value means "no such label" in Prometheus's data model.
 *
 * Returns the labels, or a message saying what was wrong. `pairs` is sorted in place.
 */
export function buildLabels(pairs: Label[]): Labels | string {
  // Most senders (Prometheus among them) already send labels sorted; checking is cheaper than sorting.
  for (let i = 1; i < pairs.length; i++) {
    if (pairs[i - 1].name > pairs[i].name) {
      pairs.sort(compareNames);
      break;
    }
  }
  let empties = 0;
  for (let i = 0; i < pairs.length; i++) {
    if (i > 0 && pairs[i].name === pairs[i - 1].name) {
      return `${describePairs(pairs)}: duplicate label name "${pairs[i].name}"`;
    }
    if (pairs[i].value === '') empties++;
  }
  return empties === 0 ? pairs : pairs.filter((p) => p.value !== '');
}

function compareNames(a: Label, b: Label): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** `name{a="b", ...}` for a pair list that may not be a valid label set. */
export function describePairs(pairs: readonly Label[]): string {
  const name = pairs.find((p) => p.name === '__name__')?.value ?? '';
  const rest = pairs.filter((p) => p.name !== '__name__');
  return `${name}{${rest.map((p) => `${p.name}=${JSON.stringify(p.value)}`).join(', ')}}`;
}

const METRIC_TYPES: readonly MetricType[] = [
  'unknown',
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
];

/** Maps `prometheus.MetricMetadata.MetricType` to storage's type; values from newer senders become unknown. */
export function metricTypeFromWire(value: number): MetricType {
  return METRIC_TYPES[value] ?? 'unknown';
}
