/**
 * main.ts: the `federate` binary. Parses the command line, runs one command, prints one layered,
 * secret-free error on failure, and exits with a documented code.
 */
import { closestName, formatError, SecretRegistry, VERSION } from '@federate/core';
import { parseArgs, UsageError } from './args.js';
import { runCleanup } from './commands/cleanup.js';
import { runExchange } from './commands/exchange.js';
import { runToken } from './commands/token.js';
import { EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit-codes.js';
import { knownInputsFor } from './known-inputs.js';
import type { Io } from './runtime.js';

type Command = (args: ReturnType<typeof parseArgs>, io: Io, secrets: SecretRegistry) => Promise<number>;

/**
 * COMMANDS lists every command; all but the hot path (exchange, token, cleanup) are loaded lazily,
 * so a command does not pay for compiling the others or for the builtins they need (`run` loads
 * child_process). The build makes each import() its own file (dist/commands/<name>.js), as it does
 * the help text.
 */
const COMMANDS: Record<string, Command> = {
  exchange: runExchange,
  run: async (a, io, s) => (await import('./commands/run.js')).runRun(a, io, s),
  token: runToken,
  cleanup: runCleanup,
  doctor: async (a, io, s) => (await import('./commands/doctor.js')).runDoctor(a, io, s),
  trust: async (a, io, s) => (await import('./commands/trust.js')).runTrust(a, io, s),
  'credential-process': async (a, io, s) =>
    (await import('./commands/credential-process.js')).runCredentialProcess(a, io, s),
  renew: async (a, io, s) => (await import('./commands/renew.js')).runRenew(a, io, s),
};

/** main runs the CLI and returns its exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const secrets = new SecretRegistry();
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv, io.env, knownInputsFor);
  } catch (error) {
    const command = error instanceof UsageError ? error.command : undefined;
    const help =
      command !== undefined && Object.hasOwn(COMMANDS, command)
        ? `Run 'federate ${command} --help' for its options.`
        : `Run 'federate --help' for usage.`;
    io.stderr(`federate: ${(error as Error).message}\n${help}\n`);
    return EXIT_USAGE;
  }
  if (args.flags['version'] === 'true' && !args.command) {
    io.stdout(`${VERSION}\n`);
    return EXIT_OK;
  }
  if (!args.command || args.command === 'help') {
    const topic = args.positionals[0];
    const { HELP } = await import('./help.js');
    io.stdout(`${HELP[topic ?? 'main'] ?? HELP['main']}\n`);
    return args.command || args.flags['help'] ? EXIT_OK : EXIT_USAGE;
  }
  const command = COMMANDS[args.command];
  if (!command) {
    // Not echoed: a value whose unquoted spaces split it into words can land here, a secret's tail
    // even. A typo gets its guess; anything else the list.
    const guess = closestName(args.command, Object.keys(COMMANDS));
    io.stderr(
      `federate: unknown command${guess ? ` (did you mean ${guess}?)` : `: the commands are ${Object.keys(COMMANDS).join(', ')}`}\nRun 'federate --help' for usage.\n`,
    );
    return EXIT_USAGE;
  }
  if (args.flags['help'] === 'true') {
    const { HELP } = await import('./help.js');
    io.stdout(`${HELP[args.command]}\n`);
    return EXIT_OK;
  }
  if (args.positionals.length > 0) {
    // A word that is neither an option nor its value: most often the second half of a value with an
    // unquoted space (`--session-name deploy prod`), so it is counted, never shown.
    const n = args.positionals.length;
    const what =
      args.command === 'run'
        ? `federate run takes the command to run after \`--\` (federate run [options] -- <command> …); got ${n} word${n === 1 ? '' : 's'} before it`
        : `federate ${args.command} takes only options; got ${n} other word${n === 1 ? '' : 's'} (not shown: quote a value that contains spaces)`;
    io.stderr(`federate: ${what}\nRun 'federate ${args.command} --help' for its options.\n`);
    return EXIT_USAGE;
  }
  try {
    return await command(args, io, secrets);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`federate: ${error.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr(`${formatError(error, secrets)}\n`);
    return exitCodeFor(error);
  }
}
