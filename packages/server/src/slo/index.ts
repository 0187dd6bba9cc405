/**
 * SLOs: Sloth `prometheus/v1` documents (inline `slos:` and `slo_files:` globs) turned into the
 * recording rules and multiwindow, multi-burn-rate alerts Sloth generates, run by the rules
 * engine as generated groups (so they show in /api/v1/rules and alert through alerting), plus
 * GET /api/vigil/v1/slos with each SLO's SLI, budget, burn rates, alert states and burn-down.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { VigilConfig } from '../config/schema.ts';
import type { Stoppable } from '../ingest/deps.ts';
import type { Engine, Queryable } from '../promql/index.ts';
import type { RuleManager } from '../rules/manager.ts';
import { VIGIL_VERSION } from '../self/version.ts';
import { type Compiled, compileSources, type SloEntry } from './compile.ts';
import { expandSpecFiles, loadSpecFiles, type SpecSource } from './spec-files.ts';
import { burndownRange, sloStatus } from './status.ts';

/** The generated rules' sloth_mode; sloth_version is Vigil's version. */
export const SLOTH_MODE = 'vigil';
const SOURCE = 'slo';

/** SLO documents that could not be loaded; the message lists every problem. */
export class SloLoadError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`error loading SLOs:\n${problems.join('\n')}`);
  }
}

export interface SloDeps {
  readonly config: VigilConfig;
  /** Directory `slo_files` globs resolve against. */
  readonly baseDir: string;
  /** Named as the file of inline `slos:` (in errors and /api/v1/rules); default `config`. */
  readonly configFile?: string;
  readonly engine: Engine;
  readonly queryable: Queryable;
  /** The rules engine that runs the generated groups. */
  readonly rules: { readonly manager: Pick<RuleManager, 'setGeneratedGroups' | 'ruleGroups'> };
  readonly logger: Logger;
  readonly now: () => number;
}

export interface SloModule extends Stoppable {
  registerApi(app: FastifyInstance): void;
  /** Applies new SLO declarations; rejects with SloLoadError (keeping the old ones) when invalid. */
  reload(config: VigilConfig): Promise<void>;
  /** The SLOs in force. */
  slos(): readonly SloEntry[];
}

/** Loads the SLOs and hands their rules to the rules engine; rejects with SloLoadError when invalid. */
export async function startSlos(deps: SloDeps): Promise<SloModule> {
  const logger = deps.logger.child({ component: 'slo' });
  let current: Compiled = { groups: [], slos: [], problems: [] };

  const load = async (config: VigilConfig): Promise<void> => {
    const inline: SpecSource = { file: deps.configFile ?? 'config', specs: config.slos };
    const files = expandSpecFiles(config.slo_files, deps.baseDir, (m) => logger.warn(m));
    const { sources, problems } = loadSpecFiles(files);
    const compiled = compileSources([inline, ...sources], {
      version: VIGIL_VERSION,
      mode: SLOTH_MODE,
    });
    const all = [...problems, ...compiled.problems];
    if (all.length > 0) throw new SloLoadError(all);
    // An unchanged set keeps running untouched (the rules engine keeps equal groups anyway).
    await deps.rules.manager.setGeneratedGroups(SOURCE, compiled.groups);
    current = compiled;
  };

  await load(deps.config);
  if (current.slos.length > 0)
    logger.info({ slos: current.slos.length, groups: current.groups.length }, 'SLO rules loaded');

  return {
    registerApi(app) {
      app.get('/api/vigil/v1/slos', async (req, reply) => {
        const q = req.query as Record<string, string | undefined>;
        const opts = parseTimes(q, deps.now(), reply);
        if (!opts) return reply;
        try {
          // A few SLOs at a time: each is an instant and a range query.
          const slos = current.slos;
          const data = [];
          for (let i = 0; i < slos.length; i += 8)
            data.push(...(await Promise.all(slos.slice(i, i + 8).map((slo) => statusOf(slo, opts)))));
          return { status: 'success', data: { slos: data } };
        } catch (err) {
          return queryFailed(reply, err);
        }
      });
      app.get('/api/vigil/v1/slos/:id', async (req, reply) => {
        const { id } = req.params as { id: string };
        const slo = current.slos.find((s) => s.id === id);
        if (!slo)
          return reply.code(404).send({
            status: 'error',
            errorType: 'not_found',
            error: `no SLO with id "${id}" (ids are <service>-<slo name>; GET /api/vigil/v1/slos lists them)`,
          });
        const opts = parseTimes(req.query as Record<string, string | undefined>, deps.now(), reply);
        if (!opts) return reply;
        try {
          return { status: 'success', data: await statusOf(slo, opts) };
        } catch (err) {
          return queryFailed(reply, err);
        }
      });
    },
    async reload(config) {
      try {
        await load(config);
      } catch (err) {
        if (err instanceof SloLoadError) logger.error({ problems: err.problems }, 'loading SLOs failed');
        throw err;
      }
      logger.info({ slos: current.slos.length }, 'SLOs reloaded');
    },
    slos: () => current.slos,
    async stop() {
      // The rules engine stops the generated groups with its own.
    },
  };

  function statusOf(slo: SloEntry, opts: TimeOptions) {
    const range = burndownRange(slo, opts.time, opts);
    return sloStatus(slo, opts.time, range, deps.engine, deps.queryable, deps.rules.manager);
  }
}

/** A query behind the status failed (timeout, too many samples): 422 with the engine's message. */
function queryFailed(reply: FastifyReply, err: unknown): FastifyReply {
  return reply.code(422).send({
    status: 'error',
    errorType: 'execution',
    error: `computing SLO status failed: ${(err as Error).message}`,
  });
}

interface TimeOptions {
  time: number;
  start?: number;
  end?: number;
  step?: number;
}

/** Reads `time`, `start`, `end` (RFC 3339 or unix seconds) and `step` (seconds); replies 400 when invalid. */
function parseTimes(
  q: Record<string, string | undefined>,
  now: number,
  reply: FastifyReply,
): TimeOptions | undefined {
  const out: TimeOptions = { time: now };
  for (const key of ['time', 'start', 'end'] as const) {
    const v = q[key];
    if (v === undefined || v === '') continue;
    const ms = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
    if (!Number.isFinite(ms)) {
      reply.code(400).send({
        status: 'error',
        errorType: 'bad_data',
        error: `invalid ${key} "${v}": give unix seconds or an RFC 3339 time`,
      });
      return undefined;
    }
    out[key] = ms;
  }
  if (q.step !== undefined && q.step !== '') {
    const s = Number(q.step);
    if (!(s > 0)) {
      reply.code(400).send({
        status: 'error',
        errorType: 'bad_data',
        error: `invalid step "${q.step}": give seconds above 0`,
      });
      return undefined;
    }
    out.step = s * 1000;
  }
  // Without a start the burn-down covers the SLO's period (at most 30d).
  const end = out.end ?? out.time;
  const start = out.start ?? end - 30 * 86_400_000;
  if (end < start) {
    reply.code(400).send({ status: 'error', errorType: 'bad_data', error: 'end must not be before start' });
    return undefined;
  }
  if (out.step !== undefined && (end - start) / out.step > 11_000) {
    reply.code(400).send({
      status: 'error',
      errorType: 'bad_data',
      error: 'the burn-down would have more than 11,000 points; give a larger step',
    });
    return undefined;
  }
  return out;
}
