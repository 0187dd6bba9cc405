/**
 * Template data as Go templates see it (Alertmanager's template package): `Data` with `Alerts`
 * (methods Firing, Resolved), label sets as `KV` maps (methods SortedPairs, Names, Values,
 * Remove), times as time.Time. Field and method names are Alertmanager's, so user templates
 * written for Alertmanager run unchanged.
 */
import { GO_TYPE, GoMap, GoTime } from '../../gotemplate/index.ts';
import type { LabelSet } from '../labelset.ts';
import type { TemplateAlert, TemplateData } from './data.ts';

/** A name/value pair (template.Pair). */
interface Pair {
  readonly Name: string;
  readonly Value: string;
}

/** template.Pairs: a list of pairs with Names and Values. */
function pairs(list: Pair[]): Pair[] {
  return Object.assign(list, {
    [GO_TYPE]: 'template.Pairs',
    Names(this: Pair[]) {
      return this.map((p) => p.Name);
    },
    Values(this: Pair[]) {
      return this.map((p) => p.Value);
    },
  });
}

/** template.KV: map[string]string with methods. */
export class KV extends GoMap<string> {
  constructor(entries: Iterable<readonly [string, string]>) {
    super(entries, '', 'template.KV');
  }
  /** Pairs sorted by name, `alertname` first. */
  SortedPairs(): Pair[] {
    const names = [...this.keys()].filter((k) => k !== 'alertname').sort();
    if (this.has('alertname')) names.unshift('alertname');
    return pairs(names.map((Name) => ({ Name, Value: this.get(Name)! })));
  }
  Names(): string[] {
    return this.SortedPairs().map((p) => p.Name);
  }
  Values(): string[] {
    return this.SortedPairs().map((p) => p.Value);
  }
  Remove(keys: readonly string[] | null): KV {
    const drop = new Set(keys ?? []);
    return new KV([...this].filter(([k]) => !drop.has(k)));
  }
}

function kv(ls: LabelSet, esc: (s: string) => string): KV {
  return new KV(Object.entries(ls).map(([k, v]) => [k, esc(v)] as const));
}

interface GoAlert {
  readonly Status: string;
  readonly Labels: KV;
  readonly Annotations: KV;
  readonly StartsAt: GoTime;
  readonly EndsAt: GoTime;
  readonly GeneratorURL: string;
  readonly Fingerprint: string;
}

/** template.Alerts: a list with Firing and Resolved. */
function alertList(list: GoAlert[]): GoAlert[] {
  return Object.assign(list, {
    [GO_TYPE]: 'template.Alerts',
    Firing(this: GoAlert[]) {
      return alertList(this.filter((a) => a.Status === 'firing'));
    },
    Resolved(this: GoAlert[]) {
      return alertList(this.filter((a) => a.Status === 'resolved'));
    },
  });
}

/** Go's zero time for alerts without an end; GoTime.fromUnixMillis(0) would be 1970. */
const ZERO_TIME = new GoTime(-62135596800n * 1_000_000_000n);

function goTime(ms: number): GoTime {
  return ms === 0 ? ZERO_TIME : GoTime.fromUnixMillis(ms);
}

function goAlert(a: TemplateAlert, esc: (s: string) => string): GoAlert {
  return {
    [GO_TYPE]: 'template.Alert',
    Status: a.status,
    Labels: kv(a.labels, esc),
    Annotations: kv(a.annotations, esc),
    StartsAt: goTime(a.startsAt),
    EndsAt: goTime(a.endsAt),
    GeneratorURL: esc(a.generatorURL),
    Fingerprint: a.fingerprint,
  } as GoAlert;
}

/**
 * The Go-shaped data. `esc` (an escaper) is applied to every string that came from alerts (labels,
 * annotations, URLs): HTML templates pass an HTML escaper, so alert text cannot inject markup.
 */
export function goTemplateData(d: TemplateData, esc: (s: string) => string = (s) => s): unknown {
  return {
    [GO_TYPE]: 'template.Data',
    Receiver: esc(d.receiver),
    Status: d.status,
    Alerts: alertList(d.alerts.map((a) => goAlert(a, esc))),
    GroupLabels: kv(d.groupLabels, esc),
    CommonLabels: kv(d.commonLabels, esc),
    CommonAnnotations: kv(d.commonAnnotations, esc),
    ExternalURL: d.externalURL,
  };
}
