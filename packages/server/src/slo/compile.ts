/**
 * Turns Sloth documents into what runs: rule groups for the rules engine (generated as Sloth
 * generates them, then validated by the rules engine's own rule-file parser, so a bad label or
 * annotation template is reported exactly as in a rule file) and a catalog of the SLOs for the API.
 */
import { stringify } from 'yaml';
import type { GeneratedGroup as ManagerGroup } from '../rules/manager.ts';
import { parseRules } from '../rules/rulefmt.ts';
import { type GenerateOptions, generateSpec } from './generate.ts';
import type { SpecSource } from './spec-files.ts';
import { CATALOGS, sliWindows, type WindowCatalog } from './windows.ts';

/** One SLO as the API describes it. */
export interface SloEntry {
  readonly id: string;
  readonly service: string;
  readonly name: string;
  readonly description: string;
  /** Percent, e.g. 99.9. */
  readonly objective: number;
  readonly catalog: WindowCatalog;
  /** The SLI windows recorded, ascending, the period last (ms). */
  readonly windows: readonly number[];
  readonly sliKind: 'events' | 'raw' | 'latency';
  readonly labels: Readonly<Record<string, string>>;
  readonly alertName: string;
  readonly pageAlert: boolean;
  readonly ticketAlert: boolean;
  /** Where the SLO is declared. */
  readonly file: string;
}

export interface Compiled {
  readonly groups: ManagerGroup[];
  readonly slos: SloEntry[];
  readonly problems: string[];
}

export function compileSources(sources: readonly SpecSource[], opts: GenerateOptions): Compiled {
  const groups: ManagerGroup[] = [];
  const slos: SloEntry[] = [];
  const problems: string[] = [];
  const ids = new Map<string, string>();
  for (const source of sources) {
    for (const spec of source.specs) {
      for (const slo of spec.slos) {
        const id = `${spec.service}-${slo.name}`;
        const other = ids.get(id);
        if (other !== undefined) {
          problems.push(
            `${source.file}: SLO id "${id}" (service "${spec.service}", SLO "${slo.name}") is also declared in ${other}; ids must be unique`,
          );
          continue;
        }
        ids.set(id, source.file);
        const catalog = CATALOGS[spec.slo_period];
        slos.push({
          id,
          service: spec.service,
          name: slo.name,
          description: slo.description,
          objective: slo.objective,
          catalog,
          windows: sliWindows(catalog),
          sliKind: slo.sli.events ? 'events' : slo.sli.raw ? 'raw' : 'latency',
          labels: { ...spec.labels, ...slo.labels, ...opts.extraLabels },
          alertName: slo.alerting.name,
          pageAlert: !slo.alerting.page_alert.disable,
          ticketAlert: !slo.alerting.ticket_alert.disable,
          file: source.file,
        });
      }
      const generated = generateSpec(spec, opts);
      // The rules engine's parser validates names, labels, annotation templates and PromQL.
      const parsed = parseRules(stringify({ groups: generated }, { lineWidth: 0 }));
      for (const e of parsed.errors)
        problems.push(`${source.file}: service "${spec.service}": generated rules are invalid: ${e}`);
      if (parsed.errors.length > 0) continue;
      for (const g of parsed.groups) groups.push({ file: source.file, spec: g });
    }
  }
  return { groups, slos, problems };
}
