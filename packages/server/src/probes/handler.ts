/**
 * GET /probe?target=&module=, answering like the blackbox exporter's /probe so that existing
 * Prometheus scrape configs (with the usual __param_target relabelling) work against Vigil:
 * same parameters, defaults, timeout negotiation, status codes and exposition.
 */
import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import type { ProbeModule } from '../config/probes.ts';
import { canProbe, runProbe } from './probe.ts';

/** Seconds subtracted from Prometheus's scrape timeout, as the exporter's --timeout-offset default. */
export const TIMEOUT_OFFSET_SECONDS = 0.5;

/** Where the handler finds modules (they change on reload). */
export interface ProbeHandlerDeps {
  modules(): ReadonlyMap<string, ProbeModule>;
  readonly baseDir: string;
  /** Called after every probe, for self-metrics. */
  observe?(module: string, success: boolean): void;
}

/**
 * The exporter's getTimeout: Prometheus's X-Prometheus-Scrape-Timeout-Seconds (120 s without it)
 * minus the offset, or the module's timeout when that is shorter. Returns an error message for a
 * header that is not a number.
 */
export function probeTimeout(
  header: string | undefined,
  module: ProbeModule,
  offset = TIMEOUT_OFFSET_SECONDS,
): number | { error: string } {
  let seconds = 0;
  if (header !== undefined && header !== '') {
    seconds = Number(header);
    if (!Number.isFinite(seconds))
      return { error: `strconv.ParseFloat: parsing ${JSON.stringify(header)}: invalid syntax` };
  }
  if (seconds === 0) seconds = 120;
  const max = seconds - offset;
  const moduleSeconds = module.timeout / 1000;
  if ((moduleSeconds < max && moduleSeconds > 0) || max < 0) return moduleSeconds;
  return max;
}

export function registerProbeEndpoint(app: FastifyInstance, deps: ProbeHandlerDeps): void {
  app.get('/probe', async (request, reply) => {
    const query = request.query as Record<string, string | string[] | undefined>;
    const param = (name: string): string => {
      const v = query[name];
      return (Array.isArray(v) ? v[0] : v) ?? '';
    };
    const text = (status: number, body: string) =>
      reply
        .code(status)
        .header('content-type', 'text/plain; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .send(`${body}\n`);

    const moduleName = param('module') || 'http_2xx';
    const configured = deps.modules().get(moduleName);
    if (!configured) return text(400, `Unknown module ${JSON.stringify(moduleName)}`);
    let module = configured;
    const header = request.headers['x-prometheus-scrape-timeout-seconds'];
    const timeout = probeTimeout(Array.isArray(header) ? header[0] : header, module);
    if (typeof timeout !== 'number')
      return text(500, `Failed to parse timeout from Prometheus header: ${timeout.error}`);
    let target = param('target');
    if (target === '') return text(400, 'Target parameter is missing');
    // The exporter unescapes the target once more (url.QueryUnescape), so doubly-encoded targets work.
    try {
      target = decodeURIComponent(target.replace(/\+/g, ' '));
    } catch {
      // Not valid escaping: used as it is, as the exporter does.
    }
    if (!canProbe(module)) return text(400, `Unknown prober ${JSON.stringify(module.prober)}`);

    const hostname = param('hostname');
    if (hostname !== '' && module.prober === 'http') {
      const existing = Object.entries(module.http.headers).find(([k]) => k.toLowerCase() === 'host');
      if (existing && existing[1] !== hostname)
        return text(
          400,
          `host header defined both in module configuration (${existing[1]}) and with URL-parameter 'hostname' (${hostname})`,
        );
      module = { ...module, http: { ...module.http, headers: { ...module.http.headers, Host: hostname } } };
    }
    if (hostname !== '' && module.prober === 'tcp' && module.tcp.tls_config.server_name === '') {
      module = {
        ...module,
        tcp: { ...module.tcp, tls_config: { ...module.tcp.tls_config, server_name: hostname } },
      };
    }

    const result = await runProbe({
      module,
      moduleName,
      target,
      timeoutSeconds: timeout,
      baseDir: deps.baseDir,
    });
    deps.observe?.(moduleName, result.success);
    if (param('debug') === 'true') {
      const body = [
        'Logs for the probe:',
        ...result.log.lines,
        '',
        '',
        '',
        'Metrics that would have been returned:',
        result.registry.render(),
        '',
        '',
        'Module configuration:',
        stringify(module),
      ].join('\n');
      return reply.code(200).header('content-type', 'text/plain').send(body);
    }
    return reply
      .code(200)
      .header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
      .send(result.registry.render());
  });
}
