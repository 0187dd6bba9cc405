/**
 * Health checks and the liveness, readiness and startup endpoints, answering in the IETF
 * health-check response format (draft-inadarei-api-health-check, `application/health+json`):
 * `pass` (healthy), `warn` (degraded: a non-critical check fails) or `fail` (unhealthy: a
 * critical check fails), with one entry per check. Checks run with a timeout, concurrent probes
 * share one run, and results are cached for a while so a busy prober cannot overload a database.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { reportError, VigilConfigError } from '../errors.ts';
import type { Registry } from '../metrics/registry.ts';

/** IETF health status. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

/** Which probe a check belongs to. */
export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/**
 * A check: resolving (to anything) means healthy; throwing or rejecting means unhealthy. It may
 * also resolve to `{ status: 'warn', output }` to report itself degraded.
 */
export type HealthCheck = () => unknown;

/** Options of one check. */
export interface HealthCheckOptions {
  /** An unhealthy critical check makes the probe fail; a non-critical one only degrades it. Default true. */
  critical?: boolean;
  /** Fail the check if it takes longer (default 2000 ms). */
  timeoutMs?: number;
  /** Reuse a result for this long (default: the Health's cacheMs). */
  cacheMs?: number;
  /** Probe it belongs to (default readiness). */
  kind?: ProbeKind;
}

/** One check's result, as the IETF format's `checks` entries. */
export interface CheckResult {
  componentId: string;
  status: HealthStatus;
  observedValue: number;
  observedUnit: 'ms';
  time: string;
  affectsServiceHealth: boolean;
  output?: string;
}

/** A probe's answer body. */
export interface HealthReport {
  status: HealthStatus;
  serviceId?: string;
  version?: string;
  description: string;
  output?: string;
  checks: Record<string, CheckResult[]>;
}

interface Registered {
  name: string;
  fn: HealthCheck;
  critical: boolean;
  timeoutMs: number;
  cacheMs: number;
  kind: ProbeKind;
  cached?: { result: CheckResult; at: number };
  running?: Promise<CheckResult>;
}

/** Options of the health registry. */
export interface HealthOptions {
  service?: string;
  version?: string;
  /** Default result cache per check (default 1000 ms). */
  cacheMs?: number;
  registry?: Registry;
}

const STATUS_VALUE: Record<HealthStatus, number> = { pass: 1, warn: 0.5, fail: 0 };

/** Checks, probes and the shutdown flag that turns readiness off. */
export class Health {
  private readonly checks = new Map<string, Registered>();
  private started = false;
  private draining = false;
  private readonly cacheMs: number;
  private readonly statusGauge;
  private readonly durationHistogram;

  constructor(private readonly options: HealthOptions = {}) {
    this.cacheMs = options.cacheMs ?? 1000;
    this.statusGauge = options.registry?.gauge({
      name: 'health_check_status',
      help: 'Result of the last run of each health check: 1 pass, 0.5 warn (degraded), 0 fail.',
      labelNames: ['check', 'kind'],
      aggregate: 'min',
    });
    this.durationHistogram = options.registry?.histogram({
      name: 'health_check_duration_seconds',
      help: 'Time health checks took.',
      labelNames: ['check'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5],
      unit: 'seconds',
    });
  }

  /** Adds a check; names are unique. */
  register(name: string, fn: HealthCheck, options: HealthCheckOptions = {}): void {
    if (typeof name !== 'string' || name === '')
      throw new VigilConfigError('health check name must be a non-empty string');
    if (typeof fn !== 'function')
      throw new VigilConfigError(`health check ${name}: the check must be a function`);
    if (this.checks.has(name))
      throw new VigilConfigError(`health check ${JSON.stringify(name)} is already registered`);
    const kind = options.kind ?? 'readiness';
    if (!['liveness', 'readiness', 'startup'].includes(kind)) {
      throw new VigilConfigError(
        `health check ${name}: kind must be liveness, readiness or startup, got ${JSON.stringify(kind)}`,
      );
    }
    this.checks.set(name, {
      name,
      fn,
      critical: options.critical ?? true,
      timeoutMs: options.timeoutMs ?? 2000,
      cacheMs: options.cacheMs ?? this.cacheMs,
      kind,
    });
  }

  /** Removes a check. */
  unregister(name: string): void {
    this.checks.delete(name);
  }

  /** Marks startup complete: the startup probe passes once its checks do. */
  markStarted(): void {
    this.started = true;
  }

  /** Turns readiness off (graceful shutdown: stop getting traffic, then drain). */
  startDraining(): void {
    this.draining = true;
  }

  /** Whether shutdown has begun. */
  isDraining(): boolean {
    return this.draining;
  }

  private run(check: Registered): Promise<CheckResult> {
    const now = Date.now();
    if (check.cached && now - check.cached.at < check.cacheMs) return Promise.resolve(check.cached.result);
    if (check.running) return check.running;
    const started = process.hrtime.bigint();
    const finish = (status: HealthStatus, output?: string): CheckResult => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const result: CheckResult = {
        componentId: check.name,
        status,
        observedValue: Math.round(seconds * 1e6) / 1e3,
        observedUnit: 'ms',
        time: new Date().toISOString(),
        affectsServiceHealth: check.critical,
      };
      if (output) result.output = output;
      check.cached = { result, at: Date.now() };
      check.running = undefined;
      this.statusGauge?.set({ check: check.name, kind: check.kind }, STATUS_VALUE[status]);
      this.durationHistogram?.observe({ check: check.name }, seconds);
      return result;
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${check.timeoutMs} ms`)), check.timeoutMs);
      timer.unref();
    });
    check.running = Promise.race([Promise.resolve().then(check.fn), timeout]).then(
      (value) => {
        clearTimeout(timer);
        const v = value as { status?: unknown; output?: unknown } | undefined;
        if (v && typeof v === 'object' && (v.status === 'warn' || v.status === 'fail')) {
          return finish(v.status, typeof v.output === 'string' ? v.output : undefined);
        }
        return finish('pass');
      },
      (err: unknown) => {
        clearTimeout(timer);
        return finish('fail', err instanceof Error ? err.message : String(err));
      },
    );
    return check.running;
  }

  /** Runs (or reuses) the checks of one probe and combines them. */
  async report(kind: ProbeKind): Promise<HealthReport> {
    const selected = [...this.checks.values()].filter((c) => c.kind === kind);
    const results = await Promise.all(selected.map((c) => this.run(c)));
    let status: HealthStatus = 'pass';
    const notes: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'pass') return;
      const critical = selected[i].critical;
      if (r.status === 'fail' && critical) status = 'fail';
      else if (status === 'pass') status = 'warn';
      notes.push(`${r.componentId}: ${r.output ?? r.status}`);
    });
    if (kind === 'readiness' && this.draining) {
      status = 'fail';
      notes.unshift('shutting down');
    }
    if (kind === 'startup' && !this.started) {
      status = 'fail';
      notes.unshift('starting');
    }
    const report: HealthReport = {
      status,
      description: `${kind} of ${this.options.service ?? 'service'}`,
      checks: {},
    };
    if (this.options.service) report.serviceId = this.options.service;
    if (this.options.version) report.version = this.options.version;
    if (notes.length > 0) report.output = notes.join('; ');
    for (const r of results) report.checks[`${r.componentId}:responseTime`] = [r];
    return report;
  }

  /**
   * A node:http/Express handler for one probe: 200 for pass and warn, 503 for fail, body in
   * `application/health+json`.
   */
  handler(kind: ProbeKind): (req: IncomingMessage, res: ServerResponse) => void {
    return (_req, res) => {
      this.report(kind).then(
        (report) => {
          res.statusCode = report.status === 'fail' ? 503 : 200;
          res.setHeader('content-type', 'application/health+json');
          res.setHeader('cache-control', 'no-store');
          res.end(JSON.stringify(report));
        },
        (err) => {
          reportError(err, `health ${kind} probe`);
          res.statusCode = 503;
          res.setHeader('content-type', 'application/health+json');
          res.end(JSON.stringify({ status: 'fail', output: 'health check failed to run' }));
        },
      );
    };
  }
}
