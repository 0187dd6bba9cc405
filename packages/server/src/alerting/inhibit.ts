/**
 * Inhibition (Alertmanager's inhibit package): while a source alert fires, target alerts with the
 * same values for the `equal` labels are muted. An alert that matches both sides of a rule is
 * not inhibited by itself or by other such alerts, only by a source that is not also a target.
 */

import type { InhibitRuleConfig } from '../config/alerting.ts';
import type { AmAlert } from './alert.ts';
import { resolvedAt } from './alert.ts';
import type { AlertStore } from './alerts.ts';
import type { Clock } from './clock.ts';
import { fingerprint, type LabelSet } from './labelset.ts';
import type { Marker } from './marker.ts';
import { type AmMatcher, matchersMatch } from './matchers.ts';

interface InhibitRule {
  readonly source: readonly AmMatcher[];
  readonly target: readonly AmMatcher[];
  readonly equal: readonly string[];
  /** Alerts matching the source side, by fingerprint. */
  readonly sources: Map<string, AmAlert>;
}

export class Inhibitor {
  private readonly rules: InhibitRule[];
  private unsubscribe: (() => void) | undefined;
  private gcTimer: { cancel(): void } | undefined;

  constructor(
    configs: readonly InhibitRuleConfig[],
    private readonly marker: Marker,
    private readonly clock: Clock,
  ) {
    this.rules = configs.map((c) => ({
      source: c.source_matchers,
      target: c.target_matchers,
      equal: c.equal,
      sources: new Map(),
    }));
  }

  /** Follows the store; resolved sources are dropped from the caches every 15 minutes. */
  start(store: AlertStore): void {
    this.unsubscribe = store.subscribe((a) => {
      for (const r of this.rules) if (matchersMatch(r.source, a.labels)) r.sources.set(a.fingerprint, a);
    });
    const gc = () => {
      const now = this.clock.now();
      for (const r of this.rules)
        for (const [fp, a] of r.sources) if (resolvedAt(a, now)) r.sources.delete(fp);
      this.gcTimer = this.clock.setTimer(15 * 60_000, gc);
    };
    this.gcTimer = this.clock.setTimer(15 * 60_000, gc);
  }

  stop(): void {
    this.unsubscribe?.();
    this.gcTimer?.cancel();
  }

  /** Whether the label set is inhibited now; records the inhibiting alert in the marker. */
  mutes(ls: LabelSet, fp = fingerprint(ls)): boolean {
    const now = this.clock.now();
    for (const r of this.rules) {
      if (!matchersMatch(r.target, ls)) continue;
      const excludeTwoSided = matchersMatch(r.source, ls);
      const by = this.inhibitingSource(r, ls, excludeTwoSided, now);
      if (by) {
        this.marker.setInhibited(fp, [by.fingerprint]);
        return true;
      }
    }
    this.marker.setInhibited(fp, []);
    return false;
  }

  private inhibitingSource(
    r: InhibitRule,
    ls: LabelSet,
    excludeTwoSided: boolean,
    now: number,
  ): AmAlert | undefined {
    outer: for (const a of r.sources.values()) {
      if (resolvedAt(a, now)) continue;
      for (const name of r.equal) if ((a.labels[name] ?? '') !== (ls[name] ?? '')) continue outer;
      if (excludeTwoSided && matchersMatch(r.target, a.labels)) continue;
      return a;
    }
    return undefined;
  }
}
