/**
 * Tail-sampling policies, as the OpenTelemetry Collector's tail_sampling processor evaluates them
 * (processor/tailsamplingprocessor/internal/sampling): each looks at all spans buffered for a
 * trace and returns a decision; `combineDecisions` turns the policies' decisions into the final
 * one exactly as the processor's makeDecision does.
 */

import { RE2JS } from 're2js';
import type { LeafPolicyConfig, TailSamplingPolicyConfig } from '../../config/traces.ts';
import type { Attributes, AttributeValue, Span } from '../../model/span.ts';

export type Decision = 'sampled' | 'not_sampled' | 'inverted_sampled' | 'inverted_not_sampled';

/** The spans buffered for one trace. */
export interface TraceData {
  readonly traceId: string;
  readonly spans: readonly Span[];
}

export interface Policy {
  readonly name: string;
  evaluate(trace: TraceData): Decision;
}

/** Seconds on a clock, injectable so rate limits can be tested. */
export type SecondsClock = () => number;

/** Builds a top-level policy from its configuration. */
export function buildPolicy(config: TailSamplingPolicyConfig, clock: SecondsClock): Policy {
  if (config.type === 'composite') return compositePolicy(config, clock);
  return buildLeaf(config as LeafPolicyConfig, clock);
}

function buildLeaf(config: LeafPolicyConfig, clock: SecondsClock): Policy {
  const name = config.name;
  switch (config.type) {
    case 'always_sample':
      return { name, evaluate: () => 'sampled' };
    case 'latency': {
      const { threshold_ms, upper_threshold_ms } = config.latency!;
      return {
        name,
        evaluate: (t) => {
          // The trace's duration: earliest start to latest end, as the Collector computes it.
          let min: bigint | undefined;
          let max: bigint | undefined;
          for (const s of t.spans) {
            if (min === undefined || s.startTimeUnixNano < min) min = s.startTimeUnixNano;
            if (max === undefined || s.endTimeUnixNano > max) max = s.endTimeUnixNano;
          }
          if (min === undefined || max === undefined) return 'not_sampled';
          const ms = Number((max - min) / 1_000_000n);
          const hit =
            upper_threshold_ms === 0 ? ms >= threshold_ms : threshold_ms < ms && ms <= upper_threshold_ms;
          return hit ? 'sampled' : 'not_sampled';
        },
      };
    }
    case 'status_code': {
      const codes = new Set(config.status_code!.status_codes.map((c) => ({ UNSET: 0, OK: 1, ERROR: 2 })[c]));
      return {
        name,
        evaluate: (t) => (t.spans.some((s) => codes.has(s.status.code)) ? 'sampled' : 'not_sampled'),
      };
    }
    case 'probabilistic': {
      const { hash_salt, sampling_percentage } = config.probabilistic!;
      const threshold = probabilisticThreshold(sampling_percentage / 100);
      const salt = hash_salt === '' ? 'default-hash-seed' : hash_salt;
      return {
        name,
        evaluate: (t) => (hashTraceId(salt, t.traceId) <= threshold ? 'sampled' : 'not_sampled'),
      };
    }
    case 'string_attribute': {
      const c = config.string_attribute!;
      const values = new Set(c.values);
      // Go's regexp.MatchString: RE2 syntax, not anchored.
      const patterns = c.enabled_regex_matching ? c.values.map((v) => RE2JS.compile(v)) : [];
      const matches = (v: string) =>
        c.enabled_regex_matching ? patterns.some((p) => p.matcher(v).find()) : values.has(v);
      return attributePolicy(name, c.key, c.invert_match, (v) => typeof v === 'string' && matches(v));
    }
    case 'numeric_attribute': {
      const c = config.numeric_attribute!;
      const min = c.min_value ?? Number.NEGATIVE_INFINITY;
      const max = c.max_value ?? Number.POSITIVE_INFINITY;
      return attributePolicy(name, c.key, c.invert_match, (v) => {
        const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? Math.trunc(v) : undefined;
        return n !== undefined && n >= min && n <= max;
      });
    }
    case 'rate_limiting': {
      const limit = config.rate_limiting!.spans_per_second;
      let second = Number.NaN;
      let spansThisSecond = 0;
      return {
        name,
        evaluate: (t) => {
          const now = Math.floor(clock());
          if (now !== second) {
            second = now;
            spansThisSecond = 0;
          }
          if (spansThisSecond + t.spans.length <= limit) {
            spansThisSecond += t.spans.length;
            return 'sampled';
          }
          return 'not_sampled';
        },
      };
    }
    case 'and': {
      const subs = config.and!.and_sub_policy.map((p) => buildLeaf(p as LeafPolicyConfig, clock));
      return {
        name,
        evaluate: (t) => {
          for (const p of subs) {
            const d = p.evaluate(t);
            if (d === 'not_sampled' || d === 'inverted_not_sampled') return 'not_sampled';
          }
          return 'sampled';
        },
      };
    }
    default:
      throw new Error(`unknown tail sampling policy type ${config.type}`);
  }
}

/**
 * A policy on a resource or span attribute. Without invert_match: sampled when any resource or
 * span has the attribute matching. With it: inverted_not_sampled as soon as one matches, else
 * inverted_sampled (the Collector's invertHasResourceOrSpanWithCondition).
 */
function attributePolicy(
  name: string,
  key: string,
  invert: boolean,
  matches: (v: AttributeValue) => boolean,
): Policy {
  const has = (attrs: Attributes) => attrs.some((a) => a.key === key && matches(a.value));
  return {
    name,
    evaluate: (t) => {
      const seen = new Set<object>();
      for (const s of t.spans) {
        let hit = has(s.attributes);
        if (!hit && !seen.has(s.resource)) {
          seen.add(s.resource);
          hit = has(s.resource.attributes);
        }
        if (hit) return invert ? 'inverted_not_sampled' : 'sampled';
      }
      return invert ? 'inverted_sampled' : 'not_sampled';
    },
  };
}

/**
 * The composite policy: sub-policies in their configured order, each allowed its share of
 * max_total_spans_per_second (rate_allocation percent; a sub-policy without an allocation gets
 * none, as in the Collector). The first sub-policy that samples decides, if its share this second
 * has room for the trace's spans.
 */
function compositePolicy(config: TailSamplingPolicyConfig, clock: SecondsClock): Policy {
  const c = config.composite!;
  const allocation = new Map<string, number>();
  const defaultShare = c.max_total_spans_per_second / c.composite_sub_policy.length;
  for (const a of c.rate_allocation) {
    allocation.set(a.policy, a.percent > 0 ? (a.percent / 100) * c.max_total_spans_per_second : defaultShare);
  }
  const subs = c.composite_sub_policy.map((p) => ({
    policy: buildLeaf(p, clock),
    allocated: Math.trunc(allocation.get(p.name) ?? 0),
    sampledThisSecond: 0,
  }));
  let second = Number.NaN;
  return {
    name: config.name,
    evaluate: (t) => {
      const now = Math.floor(clock());
      if (now !== second) {
        second = now;
        for (const s of subs) s.sampledThisSecond = 0;
      }
      for (const sub of subs) {
        const d = sub.policy.evaluate(t);
        if (d === 'sampled' || d === 'inverted_sampled') {
          const ifSampled = sub.sampledThisSecond + t.spans.length;
          if (ifSampled <= sub.allocated && ifSampled <= c.max_total_spans_per_second) {
            sub.sampledThisSecond = ifSampled;
            return 'sampled';
          }
          return 'not_sampled';
        }
      }
      return 'not_sampled';
    },
  };
}

/**
 * The final decision from every policy's (the Collector's makeDecision): any inverted_not_sampled
 * drops the trace; else any sampled keeps it; else inverted_sampled keeps it unless some policy
 * said not_sampled; else it is dropped.
 */
export function combineDecisions(decisions: readonly Decision[]): 'sampled' | 'not_sampled' {
  if (decisions.includes('inverted_not_sampled')) return 'not_sampled';
  if (decisions.includes('sampled')) return 'sampled';
  if (decisions.includes('inverted_sampled') && !decisions.includes('not_sampled')) return 'sampled';
  return 'not_sampled';
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** FNV-1a 64 of the salt's bytes then the trace id's 16 bytes (the Collector's hashTraceID). */
export function hashTraceId(salt: string, traceIdHex: string): bigint {
  let h = FNV_OFFSET;
  const feed = (b: number) => {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK64;
  };
  for (const b of Buffer.from(salt, 'utf8')) feed(b);
  for (let i = 0; i < traceIdHex.length; i += 2) feed(Number.parseInt(traceIdHex.slice(i, i + 2), 16));
  return h;
}

/** MaxUint64 × ratio, as the Collector's calculateThreshold computes it with big floats. */
export function probabilisticThreshold(ratio: number): bigint {
  if (ratio >= 1) return MASK64;
  if (ratio <= 0) return 0n;
  // 2^64 − 1 times the ratio, exactly: scale the ratio to a 2^-64 fixed point first.
  const scaled = BigInt(Math.round(ratio * 2 ** 53)) * MASK64;
  return scaled >> 53n;
}
