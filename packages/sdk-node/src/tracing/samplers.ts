/**
 * Samplers beyond the OpenTelemetry SDK's own: rules per route or span name (health checks 1 %,
 * checkout 100 %) and an adaptive sampler that keeps about N traces per second whatever the
 * load. Both decide by trace id (as TraceIdRatioBased does), so every service that uses the same
 * rate keeps the same traces, and both are meant as the root sampler of a ParentBasedSampler.
 */
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { VigilConfigError } from '../errors.ts';

/** A ratio in [0, 1] or throws naming `what`. */
function checkRatio(ratio: unknown, what: string): number {
  if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) {
    throw new VigilConfigError(
      `${what}: ratio must be a number between 0 and 1, got ${JSON.stringify(ratio)}`,
    );
  }
  return ratio;
}

/** Samples `ratio` of traces by trace id; children follow their parent. */
export function parentBasedRatio(ratio: number): Sampler {
  return new ParentBasedSampler({
    root: new TraceIdRatioBasedSampler(checkRatio(ratio, 'parentBasedRatio')),
  });
}

/** What a sampling rule matches; every given field must match. */
export interface SamplingRuleMatch {
  /** Span name: exact string or pattern. */
  name?: string | RegExp;
  /** Request path or route template (`url.path`, `http.route` or `http.target` attribute). */
  route?: string | RegExp;
  /** HTTP method (`http.request.method`). */
  method?: string;
  /** Span kind. */
  kind?: SpanKind;
  /** Attribute values that must be equal. */
  attributes?: Readonly<Record<string, string | number | boolean>>;
}

/** One rule: spans that match are sampled at `ratio`. */
export interface SamplingRule {
  match: SamplingRuleMatch;
  ratio: number;
}

function matches(pattern: string | RegExp, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  return typeof pattern === 'string' ? pattern === value : pattern.test(value);
}

/**
 * The first rule that matches a span decides its ratio; spans no rule matches use `fallback`
 * (default: sample everything). Use as the root of a ParentBasedSampler (ruleBasedSampler does).
 */
export class RuleBasedSampler implements Sampler {
  private readonly rules: { match: SamplingRuleMatch; sampler: Sampler; ratio: number }[];

  constructor(
    rules: readonly SamplingRule[],
    private readonly fallback: Sampler = new AlwaysOnSampler(),
  ) {
    if (!Array.isArray(rules)) throw new VigilConfigError('RuleBasedSampler: rules must be an array');
    this.rules = rules.map((r, i) => {
      if (!r || typeof r.match !== 'object') {
        throw new VigilConfigError(
          `RuleBasedSampler: rule ${i} needs a match object, e.g. { match: { route: '/healthz' }, ratio: 0.01 }`,
        );
      }
      const ratio = checkRatio(r.ratio, `RuleBasedSampler rule ${i}`);
      return { match: r.match, ratio, sampler: new TraceIdRatioBasedSampler(ratio) };
    });
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    for (const rule of this.rules) {
      if (this.ruleMatches(rule.match, spanName, spanKind, attributes)) {
        return rule.sampler.shouldSample(context, traceId, spanName, spanKind, attributes, links);
      }
    }
    return this.fallback.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  private ruleMatches(m: SamplingRuleMatch, name: string, kind: SpanKind, attributes: Attributes): boolean {
    if (m.name !== undefined && !matches(m.name, name)) return false;
    if (m.kind !== undefined && m.kind !== kind) return false;
    if (m.method !== undefined && attributes['http.request.method'] !== m.method) return false;
    if (m.route !== undefined) {
      const route = m.route;
      const candidates = [attributes['http.route'], attributes['url.path'], attributes['http.target']];
      if (!candidates.some((c) => matches(route, c))) return false;
    }
    if (m.attributes !== undefined) {
      for (const [k, v] of Object.entries(m.attributes)) if (attributes[k] !== v) return false;
    }
    return true;
  }

  toString(): string {
    return `RuleBased{${this.rules.map((r) => `${JSON.stringify(r.match, (_k, v) => (v instanceof RegExp ? String(v) : v))}:${r.ratio}`).join(',')};fallback=${this.fallback.toString()}}`;
  }
}

/** Rule-based sampling of root spans; children follow their parent. */
export function ruleBasedSampler(rules: readonly SamplingRule[], fallback?: Sampler): Sampler {
  return new ParentBasedSampler({ root: new RuleBasedSampler(rules, fallback) });
}

/** Options of the adaptive sampler. */
export interface AdaptiveSamplerOptions {
  /** Traces to keep per second, about (default 10). */
  tracesPerSecond?: number;
  /** Length of the measuring window in ms (default 1000). */
  windowMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * Keeps about `tracesPerSecond` traces whatever the traffic: at low load everything is sampled;
 * as load rises the ratio falls to target/rate, where the rate follows a rise at once and a
 * fall as a moving average. A hard cap per window stops a sudden burst from overshooting
 * before the average catches up. The ratio used is recorded as the `sampling.probability`
 * attribute, so span counts can be scaled back up.
 */
export class AdaptiveSampler implements Sampler {
  private readonly target: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private windowStart: number;
  private seen = 0;
  private kept = 0;
  /** Moving average of root spans per window. */
  private rate = 0;
  private ratio = 1;

  constructor(options: AdaptiveSamplerOptions = {}) {
    const target = options.tracesPerSecond ?? 10;
    if (!(typeof target === 'number' && target > 0)) {
      throw new VigilConfigError(
        `AdaptiveSampler: tracesPerSecond must be a positive number, got ${JSON.stringify(target)}`,
      );
    }
    this.windowMs = options.windowMs ?? 1000;
    this.target = (target * this.windowMs) / 1000;
    this.now = options.now ?? Date.now;
    this.windowStart = this.now();
  }

  /** The ratio currently applied (for tests and diagnostics). */
  currentRatio(): number {
    return this.ratio;
  }

  shouldSample(_context: Context, traceId: string): SamplingResult {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) this.roll(now);
    this.seen++;
    if (this.kept >= this.target * 1.5 && this.ratio < 1) return { decision: SamplingDecision.NOT_RECORD };
    const threshold = this.ratio >= 1 ? 0x100000000 : Math.floor(this.ratio * 0xffffffff);
    if (traceIdBucket(traceId) >= threshold) return { decision: SamplingDecision.NOT_RECORD };
    this.kept++;
    return {
      decision: SamplingDecision.RECORD_AND_SAMPLED,
      attributes: { 'sampling.probability': this.ratio },
    };
  }

  private roll(now: number): void {
    const windows = Math.floor((now - this.windowStart) / this.windowMs);
    // Empty windows in between count as zero traffic.
    const observed = this.seen / windows;
    // Rising load is believed at once (a burst must not overshoot); falling load is averaged,
    // halving the distance each window, so a brief lull does not open the gates.
    this.rate = observed >= this.rate ? observed : this.rate * 0.5 + observed * 0.5;
    this.ratio = this.rate <= this.target ? 1 : this.target / this.rate;
    this.windowStart += windows * this.windowMs;
    this.seen = 0;
    this.kept = 0;
  }

  toString(): string {
    return `Adaptive{${(this.target * 1000) / this.windowMs}/s}`;
  }
}

/** 32 bits derived from a trace id, uniform for random ids (the same fold TraceIdRatioBased uses). */
function traceIdBucket(traceId: string): number {
  let acc = 0;
  for (let i = 0; i < 32; i += 8) acc = (acc ^ Number.parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
  return acc;
}

/** Adaptive sampling of root spans; children follow their parent. */
export function adaptiveSampler(options: AdaptiveSamplerOptions = {}): Sampler {
  return new ParentBasedSampler({ root: new AdaptiveSampler(options) });
}

/**
 * The sampler OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name: the spec's six, plus
 * `parentbased_vigil_adaptive` (arg: traces per second). Default parentbased_always_on.
 */
export function samplerFromEnv(name: string | undefined, arg: string | undefined): Sampler {
  const ratio = () => {
    if (arg === undefined) return 1;
    const r = Number(arg);
    if (!(r >= 0 && r <= 1)) {
      throw new VigilConfigError(
        `OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(arg)} must be a ratio between 0 and 1 for ${name}`,
      );
    }
    return r;
  };
  switch (name ?? 'parentbased_always_on') {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    case 'parentbased_vigil_adaptive': {
      const perSecond = arg === undefined ? 10 : Number(arg);
      return adaptiveSampler({ tracesPerSecond: perSecond });
    }
    default:
      throw new VigilConfigError(
        `OTEL_TRACES_SAMPLER=${JSON.stringify(name)} is not a known sampler; use always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio or parentbased_vigil_adaptive`,
      );
  }
}
