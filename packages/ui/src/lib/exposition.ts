/**
 * A reader for the Prometheus text exposition format (what /metrics serves), enough to show
 * Vigil's self-metrics: families with help, type and samples. Lines it cannot read are skipped,
 * never thrown on.
 */

export interface ExpositionSample {
  /** The sample's own name (for histograms: `x_bucket`, `x_sum`, `x_count`). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly samples: ExpositionSample[];
}

const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created', '_info'];

/** Parses exposition text into families, in the order they appear. */
export function parseExposition(text: string): MetricFamily[] {
  const families = new Map<
    string,
    { name: string; help: string; type: string; samples: ExpositionSample[] }
  >();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { name, help: '', type: 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (!m) continue;
      const f = family(m[2]);
      if (m[1] === 'HELP') f.help = m[3].replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      else f.type = m[3] || 'untyped';
      continue;
    }
    const sample = parseSampleLine(line);
    if (!sample) continue;
    family(familyOf(sample.name, families)).samples.push(sample);
  }
  return [...families.values()];
}

/** The family a sample belongs to: its own name, or its name without a histogram/summary suffix. */
function familyOf(name: string, known: Map<string, unknown>): string {
  if (known.has(name)) return name;
  for (const s of SUFFIXES) {
    if (name.endsWith(s) && known.has(name.slice(0, -s.length))) return name.slice(0, -s.length);
  }
  return name;
}

function parseSampleLine(line: string): ExpositionSample | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\S+)?$/.exec(line);
  if (!m) return undefined;
  const labels = m[2] ? parseLabels(m[2].slice(1, -1)) : {};
  if (!labels) return undefined;
  const v = m[3];
  const value = v === '+Inf' ? Number.POSITIVE_INFINITY : v === '-Inf' ? Number.NEGATIVE_INFINITY : Number(v);
  if (Number.isNaN(value) && v !== 'NaN') return undefined;
  return { name: m[1], labels, value };
}

function parseLabels(body: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const m = re.exec(body);
    if (!m) return undefined;
    out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    pos = re.lastIndex;
  }
  return out;
}

/** Sum of a family's samples named `name` whose labels include `match`. */
export function sumSamples(
  families: readonly MetricFamily[],
  name: string,
  match: Readonly<Record<string, string>> = {},
): number | undefined {
  let total: number | undefined;
  for (const f of families) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(match).some(([k, v]) => s.labels[k] !== v)) continue;
      total = (total ?? 0) + s.value;
    }
  }
  return total;
}
