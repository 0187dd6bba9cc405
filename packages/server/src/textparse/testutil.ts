/** Test helper: runs a parser to the end and returns what it found, one plain object per entry. */
import type { ExpositionParser } from './parser.ts';

export type ParsedEntry =
  | {
      kind: 'series';
      series: string;
      name: string;
      labels: Record<string, string>;
      value: number;
      t?: number;
    }
  | { kind: 'help'; metric: string; help: string }
  | { kind: 'type'; metric: string; type: string }
  | { kind: 'unit'; metric: string; unit: string }
  | { kind: 'comment'; comment: string };

export function parseAll(p: ExpositionParser): ParsedEntry[] {
  const out: ParsedEntry[] = [];
  for (let k = p.next(); k !== undefined; k = p.next()) {
    switch (k) {
      case 'series': {
        const labels: Record<string, string> = {};
        for (const l of p.labelPairs()) labels[l.name] = l.value;
        const e: ParsedEntry = {
          kind: 'series',
          series: p.series,
          name: p.metricName(),
          labels,
          value: p.value,
        };
        if (p.timestamp !== undefined) e.t = p.timestamp;
        out.push(e);
        break;
      }
      case 'help':
        out.push({ kind: 'help', metric: p.metric, help: p.help });
        break;
      case 'type':
        out.push({ kind: 'type', metric: p.metric, type: p.type });
        break;
      case 'unit':
        out.push({ kind: 'unit', metric: p.metric, unit: p.unit });
        break;
      case 'comment':
        out.push({ kind: 'comment', comment: p.comment });
        break;
    }
  }
  return out;
}
