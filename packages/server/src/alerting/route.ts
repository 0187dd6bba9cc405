/**
 * The routing tree (Alertmanager's dispatch/route.go). Each node inherits its parent's options
 * (receiver, group_by, timers) unless it sets its own; mute/active time intervals are the node's
 * own. An alert goes depth-first, left to right: the deepest matching nodes take it, and a
 * matching child stops the search among its siblings unless it has `continue: true`.
 */
import type { RouteConfig } from '../config/alerting.ts';
import type { LabelSet } from './labelset.ts';
import { type AmMatcher, compareAmMatchers, formatAmMatchers, matchersMatch } from './matchers.ts';

/** A route's resolved options. Durations in ms. */
export interface RouteOpts {
  readonly receiver: string;
  readonly groupBy: ReadonlySet<string>;
  readonly groupByAll: boolean;
  readonly groupWait: number;
  readonly groupInterval: number;
  readonly repeatInterval: number;
  readonly muteTimeIntervals: readonly string[];
  readonly activeTimeIntervals: readonly string[];
}

/** Alertmanager's defaults for the root route. */
export const DEFAULT_ROUTE_OPTS: RouteOpts = {
  receiver: '',
  groupBy: new Set(),
  groupByAll: false,
  groupWait: 30_000,
  groupInterval: 5 * 60_000,
  repeatInterval: 4 * 3600_000,
  muteTimeIntervals: [],
  activeTimeIntervals: [],
};

export class Route {
  readonly routes: readonly Route[];
  readonly matchers: readonly AmMatcher[];
  readonly opts: RouteOpts;
  readonly continue: boolean;
  /** Position among siblings, for the route path shown by `amtool config routes`. */
  readonly index: number;
  private cachedKey: string | undefined;

  constructor(
    config: RouteConfig,
    readonly parent: Route | undefined,
    index = 0,
  ) {
    const base = parent ? parent.opts : DEFAULT_ROUTE_OPTS;
    let groupBy = base.groupBy;
    let groupByAll = base.groupByAll;
    if (config.group_by !== undefined) {
      groupBy = new Set(config.group_by);
      groupByAll = false;
    } else if (config.group_by_all) {
      groupByAll = true;
    }
    this.opts = {
      receiver: config.receiver ?? base.receiver,
      groupBy,
      groupByAll,
      groupWait: config.group_wait ?? base.groupWait,
      groupInterval: config.group_interval ?? base.groupInterval,
      repeatInterval: config.repeat_interval ?? base.repeatInterval,
      muteTimeIntervals: config.mute_time_intervals,
      activeTimeIntervals: config.active_time_intervals,
    };
    this.matchers = [...config.matchers].sort(compareAmMatchers);
    this.continue = config.continue;
    this.index = index;
    this.routes = config.routes.map((c, i) => new Route(c, this, i));
  }

  /** The routes that take an alert with these labels; empty when this node does not match. */
  match(ls: LabelSet): Route[] {
    if (!matchersMatch(this.matchers, ls)) return [];
    const all: Route[] = [];
    for (const child of this.routes) {
      const matches = child.match(ls);
      all.push(...matches);
      if (matches.length > 0 && !child.continue) break;
    }
    if (all.length === 0) all.push(this);
    return all;
  }

  /** Alertmanager's route key: the matchers of every node from the root, joined by `/`. */
  key(): string {
    this.cachedKey ??= (this.parent ? `${this.parent.key()}/` : '') + formatAmMatchers(this.matchers);
    return this.cachedKey;
  }

  /** Visits this node and its descendants depth-first. */
  walk(visit: (r: Route) => void): void {
    visit(this);
    for (const r of this.routes) r.walk(visit);
  }

  /** The labels of an alert this route groups by. */
  groupLabels(ls: LabelSet): LabelSet {
    const out: Record<string, string> = {};
    for (const name of Object.keys(ls)) {
      if (this.opts.groupByAll || this.opts.groupBy.has(name)) out[name] = ls[name];
    }
    return out;
  }
}
