/**
 * SLOs on routes: declare one and every matching request counts as an event, good or not, in
 * `slo_events_total{slo}` and `slo_good_events_total{slo}`, the two counters the server's SLO
 * feature (Sloth-style `sli.events`) consumes. `spec()` returns the Sloth `prometheus/v1`
 * document for the declared SLOs, ready to paste into Vigil's `slos:` config.
 */
import { VigilConfigError } from '../errors.ts';
import type { FinishedRequest } from '../http/server.ts';
import type { Counter } from '../metrics/counter.ts';
import type { Registry } from '../metrics/registry.ts';

/** What every SLO declaration has. */
interface SloBase {
  /** SLO name (a label value and the Sloth SLO name), e.g. `checkout-availability`. */
  name: string;
  /** Route template to match (`/checkout`), or a test on the route. Omit for every route. */
  route?: string | RegExp;
  /** HTTP method to match (default any). */
  method?: string;
  /** Target share of good events, e.g. 0.999. */
  objective: number;
  description?: string;
}

/** Availability: a request is good unless it failed on the server's side (by default 5xx). */
export interface AvailabilitySlo extends SloBase {
  /** Decides good by status (default: status < 500 and a response was sent). */
  isGood?: (status: number) => boolean;
}

/** Latency: a request is good if it was answered without a server error within the threshold. */
export interface LatencySlo extends SloBase {
  thresholdSeconds: number;
}

interface Declared {
  name: string;
  route?: string | RegExp;
  method?: string;
  objective: number;
  description: string;
  good: (r: FinishedRequest) => boolean;
}

/** The declared SLOs and their counters. */
export class Slos {
  private readonly declared: Declared[] = [];
  private readonly events: Counter<'slo'>;
  private readonly good: Counter<'slo'>;

  constructor(
    registry: Registry,
    private readonly service: string,
  ) {
    this.events = registry.counter({
      name: 'slo_events_total',
      help: 'Events counted towards each SLO (e.g. requests to its route).',
      labelNames: ['slo'],
    });
    this.good = registry.counter({
      name: 'slo_good_events_total',
      help: 'Good events of each SLO (e.g. requests answered without a server error in time).',
      labelNames: ['slo'],
    });
  }

  private add(base: SloBase, good: (r: FinishedRequest) => boolean, defaultDescription: string): void {
    if (!base || typeof base.name !== 'string' || !/^[\w.-]+$/.test(base.name)) {
      throw new VigilConfigError(
        `SLO name must be letters, digits, '.', '_' or '-', got ${JSON.stringify(base?.name)}`,
      );
    }
    if (this.declared.some((d) => d.name === base.name)) {
      throw new VigilConfigError(`SLO ${base.name} is declared twice`);
    }
    if (!(typeof base.objective === 'number' && base.objective > 0 && base.objective < 1)) {
      throw new VigilConfigError(
        `SLO ${base.name}: objective must be a ratio between 0 and 1 (e.g. 0.999), got ${JSON.stringify(base.objective)}`,
      );
    }
    this.declared.push({
      name: base.name,
      route: base.route,
      method: base.method?.toUpperCase(),
      objective: base.objective,
      description: base.description ?? defaultDescription,
      good,
    });
    // Both series exist from the start, so rates are 0 rather than absent.
    this.events.inc({ slo: base.name }, 0);
    this.good.inc({ slo: base.name }, 0);
  }

  /** Declares an availability SLO. */
  availability(slo: AvailabilitySlo): void {
    const isGood = slo.isGood ?? ((status: number) => status > 0 && status < 500);
    this.add(
      slo,
      (r) => isGood(r.status),
      `Share of requests${slo.route ? ` to ${slo.route}` : ''} answered without a server error`,
    );
  }

  /** Declares a latency SLO. */
  latency(slo: LatencySlo): void {
    if (!(typeof slo?.thresholdSeconds === 'number' && slo.thresholdSeconds > 0)) {
      throw new VigilConfigError(`SLO ${slo?.name}: thresholdSeconds must be a positive number of seconds`);
    }
    this.add(
      slo,
      (r) => r.status > 0 && r.status < 500 && r.seconds <= slo.thresholdSeconds,
      `Share of requests${slo.route ? ` to ${slo.route}` : ''} answered within ${slo.thresholdSeconds} s`,
    );
  }

  /** Counts an event for SLO `name` by hand (for work that is not an HTTP request). */
  record(name: string, good: boolean): void {
    this.events.inc({ slo: name });
    if (good) this.good.inc({ slo: name });
  }

  /** Counts a finished request towards every SLO it matches (the HTTP middleware calls this). */
  observe(r: FinishedRequest): void {
    for (const d of this.declared) {
      if (d.method !== undefined && d.method !== r.method) continue;
      if (
        d.route !== undefined &&
        !(typeof d.route === 'string' ? d.route === r.route : d.route.test(r.route))
      )
        continue;
      this.events.inc({ slo: d.name });
      if (d.good(r)) this.good.inc({ slo: d.name });
    }
  }

  /** The declared SLOs as a Sloth `prometheus/v1` document (a plain object; YAML-serialize it). */
  spec(): SlothSpec {
    return {
      version: 'prometheus/v1',
      service: this.service,
      labels: {},
      slos: this.declared.map((d) => {
        const sel = `{slo="${d.name}"}`;
        const total = `sum(rate(slo_events_total${sel}[{{.window}}]))`;
        return {
          name: d.name,
          objective: Math.round(d.objective * 100 * 1e6) / 1e6,
          description: d.description,
          sli: {
            events: {
              error_query: `(${total} - sum(rate(slo_good_events_total${sel}[{{.window}}])))`,
              total_query: total,
            },
          },
          alerting: {
            name: d.name.replace(/(^|[-_.])(\w)/g, (_m, _sep, c: string) => c.toUpperCase()),
            page_alert: { labels: { severity: 'page' } },
            ticket_alert: { labels: { severity: 'ticket' } },
          },
        };
      }),
    };
  }
}

/** A Sloth `prometheus/v1` SLO document. */
export interface SlothSpec {
  version: 'prometheus/v1';
  service: string;
  labels: Record<string, string>;
  slos: {
    name: string;
    objective: number;
    description: string;
    sli: { events: { error_query: string; total_query: string } };
    alerting: {
      name: string;
      page_alert: { labels: Record<string, string> };
      ticket_alert: { labels: Record<string, string> };
    };
  }[];
}
