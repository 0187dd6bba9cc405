/**
 * Runs one probe the way the exporter's handler does: a fresh registry with probe_success,
 * probe_duration_seconds and probe_timeout_seconds, the module's prober under a deadline, and the
 * log lines for debugging. Never throws: a prober's unexpected error is a failed probe.
 */
import type { ProbeModule } from '../config/probes.ts';
import { type ProbeContext, ProbeLog } from './context.ts';
import { probeDNS } from './dns.ts';
import { probeGRPC } from './grpc.ts';
import { probeHTTP } from './http.ts';
import { ProbeRegistry } from './registry.ts';
import { probeTCP } from './tcp.ts';

/** What a probe returns. */
export interface ProbeResult {
  readonly success: boolean;
  readonly durationSeconds: number;
  readonly registry: ProbeRegistry;
  readonly log: ProbeLog;
}

type Prober = (ctx: ProbeContext, target: string, module: ProbeModule) => Promise<boolean>;

const PROBERS: Readonly<Record<string, Prober>> = {
  http: probeHTTP,
  tcp: probeTCP,
  dns: probeDNS,
  grpc: probeGRPC,
};

/** Whether Vigil can run this module's prober. */
export function canProbe(module: ProbeModule): boolean {
  return module.prober in PROBERS;
}

export async function runProbe(options: {
  readonly module: ProbeModule;
  readonly moduleName: string;
  readonly target: string;
  readonly timeoutSeconds: number;
  readonly baseDir: string;
}): Promise<ProbeResult> {
  const { module, target, timeoutSeconds } = options;
  const registry = new ProbeRegistry();
  const log = new ProbeLog();
  const success = registry.gauge('probe_success', 'Displays whether or not the probe was a success');
  const duration = registry.gauge(
    'probe_duration_seconds',
    'Returns how long the probe took to complete in seconds',
  );
  const timeout = registry.gauge('probe_timeout_seconds', 'Returns how long the probe timeout is in seconds');
  success.set(0);
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error('context deadline exceeded')),
    timeoutSeconds * 1000,
  );
  const ctx: ProbeContext = {
    signal: controller.signal,
    deadline: Date.now() + timeoutSeconds * 1000,
    registry,
    log,
    baseDir: options.baseDir,
  };
  log.debug('Beginning probe', {
    module: options.moduleName,
    target,
    probe: module.prober,
    timeout_seconds: timeoutSeconds,
  });
  const started = performance.now();
  let ok = false;
  try {
    const prober = PROBERS[module.prober];
    if (!prober) log.error('Unknown prober', { prober: module.prober });
    else ok = await prober(ctx, target, module);
  } catch (err) {
    log.error('Probe failed with an unexpected error', { err: err as Error });
    ok = false;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  const seconds = (performance.now() - started) / 1000;
  duration.set(seconds);
  timeout.set(timeoutSeconds);
  if (ok) {
    success.set(1);
    log.debug('Probe succeeded', { duration_seconds: seconds });
  } else log.error('Probe failed', { duration_seconds: seconds });
  return { success: ok, durationSeconds: seconds, registry, log };
}
