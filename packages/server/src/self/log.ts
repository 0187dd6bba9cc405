import { type Logger, pino } from 'pino';

/**
 * Structured JSON logs on stderr (stdout stays free for command output). Each line has `level`,
 * `time`, `msg` and the component that wrote it.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
