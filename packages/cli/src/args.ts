/**
 * args.ts: argv and FEDERATE_* variables into raw kebab-case inputs. Wrappers (orb, component, Cloud
 * Build step) pass values through the environment, never by splicing them into shell text; users type
 * flags. Both land in the same map, flags winning, and only typed flags are checked for typos.
 */
import { closestName } from '@federate/core';

/** BOOLEAN_FLAGS may be given without a value (`--dry-run`) or negated (`--no-cleanup`). */
export const BOOLEAN_FLAGS = new Set([
  'dry-run',
  'export-env',
  'outputs',
  'cleanup',
  'json',
  'help',
  'version',
  'check-identity',
  'create-credentials-file',
  'id-token-include-email',
  'export-token',
  'revoke',
  'color',
  'verify',
  'protected-only',
  'allow-pull-requests',
  'allow-executables',
  'refresh-token-file',
  'export-refresh-token',
  'show-claims',
]);

/** RESERVED_ENV are FEDERATE_* variables that configure wrappers, not inputs. */
const RESERVED_ENV = new Set([
  'FEDERATE_CLI',
  'FEDERATE_ID_TOKEN',
  'FEDERATE_VERSION',
  'FEDERATE_DEBUG',
  'FEDERATE_WORKSPACE',
  'FEDERATE_SELF_COMMAND',
]);

/**
 * optionName shows an argument meant as an option without its value (`--client-secret=…` must not
 * be echoed whole), and only when it is shaped like an option name: anything else may be a value
 * in the wrong place, a token even, and is described instead.
 */
function optionName(arg: string): string {
  const eq = arg.indexOf('=');
  const name = eq === -1 ? arg : arg.slice(0, eq);
  return /^--?[A-Za-z][A-Za-z0-9_-]{0,39}$/.test(name)
    ? JSON.stringify(name)
    : '(not shown: it is not shaped like an option name)';
}

/** ParsedArgs is one command line. */
export interface ParsedArgs {
  readonly command: string | undefined;
  /** flags are what the user typed, kebab-case. */
  readonly flags: Record<string, string>;
  /** inputs are env-provided values overlaid with flags. */
  readonly inputs: Record<string, string>;
  readonly positionals: string[];
  /** rest is everything after `--` (the command `federate run` starts). */
  readonly rest: string[];
}

/**
 * UsageError is a command line we cannot read; the CLI exits 2 and names the offending part.
 * `command` is set when the command was already read, so the CLI can point at its own help.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** envInputs maps FEDERATE_ROLE_ARN=… to role-arn=… (empty values are absent, as in action inputs). */
export function envInputs(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('FEDERATE_') || RESERVED_ENV.has(k) || v === undefined || v === '') continue;
    out[k.slice('FEDERATE_'.length).toLowerCase().replace(/_/g, '-')] = v;
  }
  return out;
}

/** parseArgs reads `federate <command> [--flag value | --flag=value | --bool] [-- program args…]`. */
export function parseArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  known?: (command: string | undefined) => ReadonlySet<string> | undefined,
): ParsedArgs {
  const flags: Record<string, string> = {};
  const positionals: string[] = [];
  let rest: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (arg === '-h') {
      flags['help'] = 'true';
      continue;
    }
    if (arg === '-v' || arg === '-V') {
      flags['version'] = 'true';
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      let name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)).replace(/_/g, '-');
      if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new UsageError(`unknown option ${optionName(arg)}`, command);
      // Commands that know their options name a typo at once, before any value is read.
      const base = name.startsWith('no-') && BOOLEAN_FLAGS.has(name.slice(3)) ? name.slice(3) : name;
      const accepted = known?.(command);
      if (accepted && !accepted.has(base)) {
        const guess = closestName(base, accepted);
        // Named only within optionName's length bound: a long lowercase word may be a pasted value.
        const shown = base.length <= 40 ? `--${base}` : optionName(arg);
        throw new UsageError(
          `unknown option ${shown} for federate ${command}${guess ? ` (did you mean --${guess}?)` : ''}`,
          command,
        );
      }
      let value: string;
      if (eq !== -1) value = arg.slice(eq + 1);
      else if (name.startsWith('no-') && BOOLEAN_FLAGS.has(name.slice(3))) {
        name = name.slice(3);
        value = 'false';
      } else if (BOOLEAN_FLAGS.has(name)) {
        const next = argv[i + 1];
        if (next === 'true' || next === 'false') {
          value = next;
          i++;
        } else value = 'true';
      } else {
        const next = argv[i + 1];
        if (next === undefined || next === '--')
          throw new UsageError(`option --${name} needs a value`, command);
        // `--role-arn $ROLE --region x` with $ROLE empty: the value would be the next option.
        const nextName = next.startsWith('--') ? next.slice(2).split('=')[0]?.replace(/_/g, '-') : undefined;
        if (nextName !== undefined && accepted?.has(nextName))
          throw new UsageError(
            `option --${name} needs a value, but the next argument is the option --${nextName}: is the variable meant to give --${name} its value empty?`,
            command,
          );
        value = next;
        i++;
      }
      if (name in flags) throw new UsageError(`option --${name} is given twice`, command);
      flags[name] = value;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1)
      throw new UsageError(`unknown option ${optionName(arg)}`, command);
    if (command === undefined) command = arg;
    else positionals.push(arg);
  }
  return { command, flags, inputs: { ...envInputs(env), ...flags }, positionals, rest };
}
