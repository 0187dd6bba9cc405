/**
 * Synthetic probes: blackbox-exporter-compatible modules (the example configuration's modules by
 * default, plus `probes.modules`), scheduled probe targets stored through the metrics sink
 * (protocol 'probes'), GET /probe like the exporter's, and GET /api/vigil/v1/probes with the
 * last result of every scheduled probe.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { defaultProbeModules, type ProbeModule } from '../config/probes.ts';
import type { VigilConfig } from '../config/schema.ts';
import type { Stoppable } from '../ingest/deps.ts';
import type { MetricsSink } from '../ingest/metrics-sink.ts';
import { formatDuration } from '../model/duration.ts';
import type { SelfMetrics } from '../self/metrics.ts';
import { registerProbeEndpoint } from './handler.ts';
import { ProbeLoop, type ProbeStatus, type ScheduledProbe } from './scheduler.ts';

/** What main.ts gives synthetic probes. */
export interface ProbesDeps {
  readonly config: VigilConfig;
  /** Directory relative paths (CA files, ...) resolve against. */
  readonly baseDir: string;
  /** Probe results are appended here (protocol 'probes'). */
  readonly sink: MetricsSink;
  readonly logger: Logger;
  readonly self: SelfMetrics;
  readonly now: () => number;
}

/** Running probes: scheduled probe targets and the blackbox-exporter-compatible /probe endpoint. */
export interface ProbesModule extends Stoppable {
  registerApi(app: FastifyInstance): void;
  /** Applies new modules and targets; probes whose settings did not change keep running. */
  reload(config: VigilConfig): Promise<void>;
  /** The modules /probe knows, by name. */
  modules(): ReadonlyMap<string, ProbeModule>;
  /** The last result of every scheduled probe. */
  statuses(): ProbeStatus[];
}

/** The modules of a config: the exporter's example modules, overridden and extended by probes.modules. */
export function resolveModules(config: VigilConfig): Map<string, ProbeModule> {
  const modules = new Map(Object.entries(defaultProbeModules()));
  for (const [name, m] of Object.entries(config.probes?.modules ?? {})) modules.set(name, m);
  return modules;
}

/** Every scheduled (job, target) of a config. */
export function scheduledProbes(
  config: VigilConfig,
  modules: ReadonlyMap<string, ProbeModule>,
): ScheduledProbe[] {
  const out: ScheduledProbe[] = [];
  for (const group of config.probes?.targets ?? []) {
    const module = modules.get(group.module);
    if (!module) continue; // the config schema already rejected unknown modules
    const intervalMs = group.interval ?? config.global.scrape_interval;
    const timeoutMs = Math.min(group.timeout ?? config.global.scrape_timeout, intervalMs);
    for (const target of group.targets) {
      out.push({
        job: group.job,
        target,
        moduleName: group.module,
        module,
        intervalMs,
        timeoutMs,
        labels: group.labels,
      });
    }
  }
  return out;
}

/** Starts the configured probes. */
export async function startProbes(deps: ProbesDeps): Promise<ProbesModule> {
  const logger = deps.logger.child({ component: 'probes' });
  const probesTotal = deps.self.counter('vigil_probes_total', 'Scheduled probes run, by job and result.', [
    'job',
    'result',
  ]);
  const requestsTotal = deps.self.counter(
    'vigil_probe_requests_total',
    'Probes run for /probe requests, by module and result.',
    ['module', 'result'],
  );
  let modules = resolveModules(deps.config);
  let loops = new Map<string, ProbeLoop>();
  const schedulerDeps = {
    sink: deps.sink,
    logger,
    baseDir: deps.baseDir,
    now: deps.now,
    observe: (job: string, ok: boolean) => probesTotal.labels(job, ok ? 'success' : 'failure').inc(),
  };

  const apply = async (config: VigilConfig) => {
    modules = resolveModules(config);
    const next = new Map<string, ProbeLoop>();
    for (const p of scheduledProbes(config, modules)) {
      const loop = new ProbeLoop(p, schedulerDeps);
      next.set(loop.key, loops.get(loop.key) ?? loop);
    }
    for (const [key, loop] of loops) if (!next.has(key)) await loop.stop(true);
    for (const [key, loop] of next) if (!loops.has(key)) loop.start();
    loops = next;
  };
  await apply(deps.config);
  if (loops.size > 0) logger.info({ probes: loops.size }, 'scheduled probes started');

  return {
    registerApi(app) {
      registerProbeEndpoint(app, {
        modules: () => modules,
        baseDir: deps.baseDir,
        observe: (module, ok) => requestsTotal.labels(module, ok ? 'success' : 'failure').inc(),
      });
      app.get('/api/vigil/v1/probes', async () => ({
        status: 'success',
        data: {
          modules: [...modules.keys()].sort(),
          probes: [...loops.values()].map((l) => {
            const s = l.snapshot();
            return {
              ...s,
              // null until the first probe has run (undefined would drop the key from the JSON)
              success: s.success ?? null,
              interval: formatDuration(s.intervalMs),
              lastProbe: s.lastProbe === undefined ? null : new Date(s.lastProbe).toISOString(),
            };
          }),
        },
      }));
    },
    async reload(config) {
      await apply(config);
      logger.info({ probes: loops.size }, 'probes reloaded');
    },
    modules: () => modules,
    statuses: () => [...loops.values()].map((l) => l.snapshot()),
    async stop() {
      for (const loop of loops.values()) await loop.stop(false);
    },
  };
}
