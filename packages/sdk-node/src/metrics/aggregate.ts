/**
 * Merging the metrics of several processes or threads into one set. Counters, histograms and
 * summaries add up (summaries by uniting their windows); gauges combine by their declared
 * aggregator. A family declared differently in two sources is reported and the first shape wins.
 */
import { reportError, VigilMetricError } from '../errors.ts';
import type { FamilySnapshot, SeriesSnapshot } from './snapshot.ts';

/** The metrics of one source (a worker process or thread) and its id, used by `perWorker`. */
export interface SourceSnapshot {
  readonly id: string;
  readonly families: readonly FamilySnapshot[];
}

function sameShape(a: FamilySnapshot, b: FamilySnapshot, extraLabel: boolean): boolean {
  const labels = extraLabel ? [...b.labelNames, 'worker'] : b.labelNames;
  return (
    a.type === b.type &&
    String(a.labelNames) === String(labels) &&
    String(a.buckets ?? '') === String(b.buckets ?? '') &&
    String(a.quantiles ?? '') === String(b.quantiles ?? '')
  );
}

function seriesKey(s: SeriesSnapshot): string {
  return s.overflow ? '\u0000overflow' : JSON.stringify(s.labels);
}

function reduceGauge(values: number[], aggregate: FamilySnapshot['aggregate']): number {
  switch (aggregate) {
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'first':
      return values[0];
    case 'average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    default:
      return values.reduce((a, b) => a + b, 0);
  }
}

/**
 * Merges the snapshots of several sources. The result's series may repeat a label set for
 * counters, histograms and summaries (absorbing them into a registry adds them up); gauge
 * series are already combined.
 */
export function mergeSnapshots(sources: readonly SourceSnapshot[]): FamilySnapshot[] {
  const families = new Map<string, FamilySnapshot>();
  const gaugeValues = new Map<string, Map<string, { series: SeriesSnapshot; values: number[] }>>();
  for (const source of sources) {
    for (const f of source.families) {
      if (f.aggregate === 'omit') continue;
      const perWorker = f.aggregate === 'perWorker';
      let merged = families.get(f.name);
      if (merged === undefined) {
        merged = {
          ...f,
          labelNames: perWorker ? [...f.labelNames, 'worker'] : [...f.labelNames],
          series: [],
        };
        families.set(f.name, merged);
      } else if (!sameShape(merged, f, perWorker)) {
        reportError(
          new VigilMetricError(
            `metric ${f.name} is declared differently in worker ${source.id} (${f.type} [${f.labelNames.join(', ')}]) than elsewhere (${merged.type} [${merged.labelNames.join(', ')}]); its values from that worker are left out`,
          ),
        );
        continue;
      }
      for (const s of f.series) {
        const series = perWorker && !s.overflow ? { ...s, labels: [...s.labels, source.id] } : s;
        if (f.type !== 'gauge' || perWorker) {
          merged.series.push(series);
          continue;
        }
        let byKey = gaugeValues.get(f.name);
        if (byKey === undefined) {
          byKey = new Map();
          gaugeValues.set(f.name, byKey);
        }
        const key = seriesKey(series);
        const entry = byKey.get(key);
        if (entry === undefined) byKey.set(key, { series, values: [series.value ?? 0] });
        else entry.values.push(series.value ?? 0);
      }
    }
  }
  for (const [name, byKey] of gaugeValues) {
    const f = families.get(name)!;
    for (const { series, values } of byKey.values()) {
      f.series.push({ ...series, value: reduceGauge(values, f.aggregate) });
    }
  }
  return [...families.values()];
}
