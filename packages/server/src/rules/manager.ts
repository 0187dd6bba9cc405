/**
 * The rule manager (Prometheus's rules.Manager): runs the groups of the configured rule files
 * and applies new ones on reload without losing alert state: unchanged groups keep running,
 * changed groups take over the state of the group they replace, removed groups have their
 * series marked stale.
 */
import { STALE_NAN } from '../model/sample.ts';
import { Group, type GroupDeps } from './group.ts';
import { buildGroup, expandRuleFiles, type LoadedGroup, loadRuleFiles } from './loader.ts';
import type { GroupSpec, NameValidation } from './rulefmt.ts';

/** A reload that was refused; the old rules keep running. */
export class RulesLoadError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`error loading rules, previous rule set restored:\n${problems.join('\n')}`);
  }
}

export interface RuleFilesSetting {
  readonly patterns: readonly string[];
  readonly baseDir: string;
  /** Interval of groups that set none (global.evaluation_interval, ms). */
  readonly defaultInterval: number;
  readonly nameValidation?: NameValidation;
}

/** Rule groups that come from elsewhere than rule files (e.g. generated for SLOs), already validated. */
export interface GeneratedGroup {
  /** Shown as the group's file (in /api/v1/rules); with the name, the group's identity. */
  readonly file: string;
  readonly spec: GroupSpec;
}

export class RuleManager {
  private groups = new Map<string, Group>();
  /** Generated groups by source, run alongside the rule files' groups. */
  private readonly generated = new Map<string, readonly GeneratedGroup[]>();
  private lastSetting: RuleFilesSetting | undefined;
  /** Updates run one at a time (a reload and a generated-groups change may overlap). */
  private updating: Promise<unknown> = Promise.resolve();
  private restoredOnce = false;
  private stopped = false;
  private readonly staleTimers = new Set<unknown>();

  constructor(private deps: GroupDeps) {}

  /** Changes what groups see of the outside (external labels and URL) for groups built afterwards. */
  setDeps(deps: GroupDeps): void {
    this.deps = deps;
  }

  /** Running groups sorted by file, then name (the order of /api/v1/rules). */
  ruleGroups(): Group[] {
    return [...this.groups.values()].sort((a, b) =>
      a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }

  /**
   * Loads the rule files and brings the running groups in line. Rejects with RulesLoadError
   * (leaving everything as it was) when any file is invalid.
   */
  async update(setting: RuleFilesSetting): Promise<void> {
    const run = this.updating.then(() => this.applyUpdate(setting));
    this.updating = run.catch(() => undefined);
    return run;
  }

  /**
   * Replaces the generated groups of `source` and brings the running groups in line (rule files
   * are read again). Group names must be unique per file across sources.
   */
  async setGeneratedGroups(source: string, groups: readonly GeneratedGroup[]): Promise<void> {
    // Nothing before and nothing now (e.g. no SLOs declared): the running groups stay as they are.
    if (groups.length === 0 && (this.generated.get(source)?.length ?? 0) === 0) return;
    const previous = this.generated.get(source);
    this.generated.set(source, groups);
    if (!this.lastSetting) return;
    try {
      await this.update(this.lastSetting);
    } catch (err) {
      // Refused (a rule file became invalid): the running set, and what it was built from, stay.
      if (previous) this.generated.set(source, previous);
      else this.generated.delete(source);
      throw err;
    }
  }

  private async applyUpdate(setting: RuleFilesSetting): Promise<void> {
    if (this.stopped) return;
    const files = expandRuleFiles(setting.patterns, setting.baseDir, (m) => this.deps.logger.warn(m));
    // On the first load alerts start unrestored and are restored from ALERTS_FOR_STATE;
    // groups added by a reload start restored (Prometheus's default).
    const shouldRestore = !this.restoredOnce;
    const { groups, errors } = loadRuleFiles(files, {
      defaultInterval: setting.defaultInterval,
      restored: !shouldRestore,
      nameValidation: setting.nameValidation,
    });
    if (errors.length > 0) throw new RulesLoadError(errors);
    for (const source of this.generated.values())
      for (const g of source)
        groups.push(
          buildGroup(g.spec, g.file, { defaultInterval: setting.defaultInterval, restored: !shouldRestore }),
        );
    this.restoredOnce = true;
    this.lastSetting = setting;

    const next = new Map<string, Group>();
    for (const lg of groups) {
      const g = this.newGroup(lg, shouldRestore);
      const old = this.groups.get(g.key);
      this.groups.delete(g.key);
      if (old?.equals(g)) {
        next.set(g.key, old);
        continue;
      }
      if (old) {
        await old.stop();
        g.copyState(old);
      }
      next.set(g.key, g);
      g.start();
    }
    // Groups that went away: stop them, and mark their series stale a while later (unless a new
    // group writes them by then, they are gone).
    for (const old of this.groups.values()) {
      await old.stop();
      this.markStaleLater(old);
    }
    this.groups = next;
  }

  private newGroup(lg: LoadedGroup, shouldRestore: boolean): Group {
    return new Group(
      {
        name: lg.name,
        file: lg.file,
        interval: lg.interval,
        queryOffset: lg.queryOffset,
        limit: lg.limit,
        rules: lg.rules,
        shouldRestore,
      },
      this.deps,
    );
  }

  private markStaleLater(g: Group): void {
    const series = g.allPreviousSeries();
    if (series.length === 0) return;
    const timer = this.deps.clock.setTimeout(async () => {
      this.staleTimers.delete(timer);
      if (this.stopped) return;
      const t = this.deps.clock.now();
      try {
        await this.deps.append(
          series.map((labels) => ({
            labels,
            timestamps: Float64Array.of(t),
            values: Float64Array.of(STALE_NAN),
          })),
        );
      } catch (err) {
        this.deps.logger.warn(
          { group: g.name, err: (err as Error).message },
          'writing staleness markers failed',
        );
      }
    }, 2 * g.interval);
    this.staleTimers.add(timer);
  }

  /** Stops every group, waiting for running evaluations. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.staleTimers) this.deps.clock.clearTimeout(t);
    this.staleTimers.clear();
    await Promise.all([...this.groups.values()].map((g) => g.stop()));
  }
}
