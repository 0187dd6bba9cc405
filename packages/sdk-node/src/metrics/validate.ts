/**
 * Metric and label name rules of the Prometheus data model (the classic character set every
 * scraper and parser accepts), checked once when a metric is declared.
 */
import { VigilMetricError } from '../errors.ts';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Suggests a valid name for an invalid one: invalid characters become `_`. */
function suggestion(name: string, first: RegExp): string {
  let s = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  if (!first.test(s[0] ?? '')) s = `_${s}`;
  return s;
}

/** Throws VigilMetricError unless `name` is a valid metric name. */
export function validateMetricName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw new VigilMetricError(`metric name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (!METRIC_NAME.test(name)) {
    throw new VigilMetricError(
      `metric name ${JSON.stringify(name)} is invalid: use letters, digits, '_' and ':', not starting with a digit (for example ${JSON.stringify(suggestion(name, /[a-zA-Z_:]/))})`,
    );
  }
}

/**
 * Throws VigilMetricError unless every label name is valid for `metric`: the character set,
 * no `__` prefix (reserved for Prometheus), no duplicates, and none of `reserved` (`le` on
 * histograms, `quantile` on summaries).
 */
export function validateLabelNames(
  metric: string,
  labelNames: readonly unknown[],
  reserved: readonly string[] = [],
): asserts labelNames is readonly string[] {
  const seen = new Set<string>();
  for (const name of labelNames) {
    if (typeof name !== 'string' || !LABEL_NAME.test(name)) {
      const hint =
        typeof name === 'string' && name !== ''
          ? ` (for example ${JSON.stringify(suggestion(name, /[a-zA-Z_]/).replace(/:/g, '_'))})`
          : '';
      throw new VigilMetricError(
        `metric ${metric}: label name ${JSON.stringify(name)} is invalid: use letters, digits and '_', not starting with a digit${hint}`,
      );
    }
    if (name.startsWith('__')) {
      throw new VigilMetricError(
        `metric ${metric}: label name ${JSON.stringify(name)} starts with '__', which Prometheus reserves for internal use`,
      );
    }
    if (reserved.includes(name)) {
      throw new VigilMetricError(
        `metric ${metric}: label name ${JSON.stringify(name)} is reserved for this metric type; choose another name`,
      );
    }
    if (seen.has(name)) {
      throw new VigilMetricError(`metric ${metric}: label name ${JSON.stringify(name)} is listed twice`);
    }
    seen.add(name);
  }
}

/** Throws unless `buckets` are finite, strictly increasing upper bounds (at least one). */
export function validateBuckets(metric: string, buckets: readonly number[]): void {
  if (buckets.length === 0) {
    throw new VigilMetricError(`histogram ${metric}: buckets must list at least one upper bound`);
  }
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    if (typeof b !== 'number' || Number.isNaN(b)) {
      throw new VigilMetricError(`histogram ${metric}: bucket ${JSON.stringify(b)} is not a number`);
    }
    if (i > 0 && !(b > buckets[i - 1])) {
      throw new VigilMetricError(
        `histogram ${metric}: buckets must be strictly increasing, but ${buckets[i - 1]} is followed by ${b}`,
      );
    }
  }
}

/** Throws unless every quantile is in [0, 1]. */
export function validateQuantiles(metric: string, quantiles: readonly number[]): void {
  for (const q of quantiles) {
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) {
      throw new VigilMetricError(`summary ${metric}: quantile ${JSON.stringify(q)} must be between 0 and 1`);
    }
  }
}
