import { checkCommand, testCommand } from './rules.ts';
import { serveCommand } from './serve.ts';
import { sloCommand } from './slo.ts';

const USAGE = `usage: vigil <command> [flags]

commands:
  serve         run the Vigil server (ingest, storage, query APIs, rules, alerting)
  check rules   check Prometheus rule files, like promtool check rules
  test rules    run Prometheus rule unit tests, like promtool test rules
  slo           check Sloth SLO specs, or print the rules Vigil generates for them

Run 'vigil <command> --help' for the flags of a command.
`;

/** Entry point of the `vigil` command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serveCommand(rest);
    case 'check':
      return checkCommand(rest);
    case 'test':
      return testCommand(rest);
    case 'slo':
      return sloCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`vigil: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
