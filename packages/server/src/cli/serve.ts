import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, defaultConfig, loadConfigFile } from '../config/load.ts';
import type { VigilConfig } from '../config/schema.ts';
import { parseListenAddress } from '../config/units.ts';
import { StartupError, startVigil } from '../main.ts';

const USAGE = `usage: vigil serve [flags]

  --listen ADDR              HTTP address for the UI and every API (default 127.0.0.1:7070)
  --data-dir DIR             where data lives (default ./data)
  --config FILE              YAML configuration file (optional; defaults are used without one)
  --otlp-http-listen ADDR    OTLP/HTTP listener (default 127.0.0.1:4318; "" turns it off)
  --otlp-grpc-listen ADDR    OTLP/gRPC listener (default 127.0.0.1:4317; "" turns it off)
  --log-level LEVEL          debug, info, warn or error (default info)

Flags override the config file.
`;

export async function serveCommand(argv: string[]): Promise<number> {
  let flags: ReturnType<typeof parse>;
  try {
    flags = parse(argv);
  } catch (err) {
    process.stderr.write(`vigil serve: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  let config: VigilConfig;
  try {
    config = flags.config ? loadConfigFile(flags.config) : defaultConfig();
    config = applyFlags(config, flags);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `vigil: invalid configuration:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`,
      );
      return 2;
    }
    throw err;
  }

  // Signals are handled from the start, so one that arrives while Vigil is starting still
  // shuts it down gracefully once it is up.
  let stopRequested: string | undefined;
  let onSignal: (signal: string) => void = (signal) => {
    stopRequested = signal;
  };
  const handler = (signal: NodeJS.Signals) => onSignal(signal);
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);

  let vigil: Awaited<ReturnType<typeof startVigil>>;
  try {
    vigil = await startVigil({
      config,
      configPath: flags.config,
      dataDir: resolve(flags['data-dir'] ?? 'data'),
    });
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(`vigil: ${err.message}\n`);
      return 1;
    }
    throw err;
  }

  // Graceful shutdown: stop taking writes, persist what was acknowledged, exit. A second signal
  // while shutting down exits at once (acknowledged writes are in the write-ahead log anyway).
  return new Promise<number>((done) => {
    let stopping = false;
    onSignal = (signal: string) => {
      if (stopping) {
        vigil.logger.warn({ signal }, 'second signal, exiting without waiting');
        process.exit(1);
      }
      stopping = true;
      vigil.logger.info({ signal }, 'shutting down');
      vigil.close().then(
        () => done(0),
        (err) => {
          vigil.logger.error({ err }, 'shutdown failed');
          done(1);
        },
      );
    };
    if (stopRequested) onSignal(stopRequested);
    process.on('SIGHUP', () => {
      vigil
        .reload()
        .catch((err) =>
          vigil.logger.error(
            { err: (err as Error).message },
            'reload failed; the running configuration stays',
          ),
        );
    });
  });
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      listen: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'otlp-http-listen': { type: 'string' },
      'otlp-grpc-listen': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.config && !existsSync(values.config))
    throw new Error(`config file ${values.config} does not exist`);
  return values;
}

function applyFlags(config: VigilConfig, flags: ReturnType<typeof parse>): VigilConfig {
  const server = { ...config.server };
  const checkAddress = (flag: string, value: string, allowEmpty: boolean) => {
    if (allowEmpty && value === '') return value;
    if (!parseListenAddress(value)) throw new ConfigError(`--${flag}: "${value}" is not host:port`);
    return value;
  };
  if (flags.listen !== undefined) server.listen = checkAddress('listen', flags.listen, false);
  if (flags['otlp-http-listen'] !== undefined)
    server.otlp_http_listen = checkAddress('otlp-http-listen', flags['otlp-http-listen'], true);
  if (flags['otlp-grpc-listen'] !== undefined)
    server.otlp_grpc_listen = checkAddress('otlp-grpc-listen', flags['otlp-grpc-listen'], true);
  if (flags['log-level'] !== undefined) {
    if (!['debug', 'info', 'warn', 'error'].includes(flags['log-level'])) {
      throw new ConfigError(`--log-level: "${flags['log-level']}" is not one of debug, info, warn, error`);
    }
    server.log_level = flags['log-level'] as VigilConfig['server']['log_level'];
  }
  return { ...config, server };
}
