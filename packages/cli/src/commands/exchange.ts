/**
 * exchange.ts: `federate exchange`: exchange the platform token at one or more targets and export
 * the credentials the platform's way.
 */
import { resolve } from 'node:path';
import {
  ConfigError,
  type Deps,
  federate,
  type Identity,
  parseRunConfig,
  type RunConfig,
  SecretRegistry,
} from '@federate/core';
import type { PlatformInstance } from '@federate/platforms';
import { loadTargets, targetNamesIn } from '@federate/targets/lazy';
import { loadExchanges } from '../exchanges-file.js';
import { EXIT_DOCTOR, EXIT_OK } from '../exit-codes.js';
import { CLI_PLATFORM_INPUTS, createPlatform } from '../platform.js';
import type { ParsedArgs } from '../args.js';
import { httpFor, makeDeps, type Io } from '../runtime.js';

/** targetInputs drops the CLI's own inputs so targets see only theirs. */
export function targetInputs(inputs: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...inputs };
  for (const k of CLI_PLATFORM_INPUTS) delete out[k];
  delete out['json'];
  delete out['help'];
  return out;
}

/**
 * selfCommand is how later processes run this CLI again (`refresh: credential-process` writes it into
 * an AWS profile): this Node and this script, plus the platform inputs that shaped the token.
 */
export function selfCommand(io: Io, args: ParsedArgs): string {
  if (io.env['FEDERATE_SELF_COMMAND']) return io.env['FEDERATE_SELF_COMMAND'];
  const argv = [process.execPath, resolve(process.argv[1] ?? '')];
  for (const k of ['token-var', 'token-file', 'circleci-token-version'] as const) {
    const v = args.inputs[k];
    if (v) argv.push(`--${k}`, k === 'token-file' ? resolve(v) : v);
  }
  return JSON.stringify(argv);
}

/** PreparedRun is everything `exchange` and `run` share before the core runs. */
export interface PreparedRun {
  readonly deps: Deps;
  readonly platform: PlatformInstance;
  readonly config: RunConfig;
}

/** prepareRun builds the platform and parses every input, reporting all problems at once. */
export async function prepareRun(args: ParsedArgs, io: Io, secrets: SecretRegistry): Promise<PreparedRun> {
  const base = makeDeps(io, secrets, 'cli', args.inputs['platform'] ?? 'auto');
  const platform = createPlatform(io, base, secrets, args.inputs);
  const inputs = targetInputs(args.inputs);
  const exchanges = await loadExchanges(inputs['exchanges']);
  // Only the targets the run names are loaded (dist/targets/<name>.js), as in the action.
  const targets = await loadTargets(targetNamesIn(inputs['target'], exchanges));
  const config = parseRunConfig(inputs, {
    targets,
    env: io.env,
    exchanges,
    ...(platform.defaultAudience ? { platformAudience: platform.defaultAudience } : {}),
    ...(platform.fixedAudience ? { fixedAudience: platform.fixedAudience } : {}),
    strictInputs: new Set(Object.keys(args.flags)),
  });
  // Targets that write a refreshing profile (aws refresh: credential-process) need to name this CLI.
  const deps = { ...base, env: { ...base.env, FEDERATE_SELF_COMMAND: selfCommand(io, args) } };
  return { deps, platform, config };
}

/**
 * printDoctor shows the doctor report for each token a dry run fetched (never the token itself) and
 * tells whether every check passed: a dry run is the doctor, so a failed check fails it too.
 */
export async function printDoctor(
  identities: ReadonlyMap<string, Identity>,
  deps: Deps,
  io: Io,
): Promise<boolean> {
  let ok = true;
  const trust = await import('@federate/trust');
  const http = httpFor(deps);
  for (const [audience, identity] of identities) {
    const report = await trust.doctorReport(identity.token, {
      now: deps.now,
      fetch: trust.httpFetchLike(http),
      expectedAudience: audience,
    });
    io.stderr(`${deps.secrets.redact(trust.renderText(report, { color: false }))}\n`);
    if (trust.checksFailed(report)) ok = false;
  }
  return ok;
}

/** runExchange is `federate exchange`. */
export async function runExchange(args: ParsedArgs, io: Io, secrets = new SecretRegistry()): Promise<number> {
  const { deps, platform, config } = await prepareRun(args, io, secrets);
  // Elsewhere a platform's own channel carries the exports; here they are a document of credentials,
  // and a CI job's stdout is its log. Printing them takes a deliberate `--output-file -`.
  if (platform.name === 'file' && !config.dryRun && !args.inputs['output-file'])
    throw new ConfigError([
      {
        code: 'ERR_CONFIG_REQUIRED',
        input: 'output-file',
        message: 'is required with --platform file: the exports are credentials',
        hint: 'write them to a 0600 file (--output-file federate.env) and source it; or, to capture them yourself, --output-file - prints them (eval "$(federate exchange … --output-file -)"), never in a logged job',
      },
    ]);
  const outcome = await federate({ platform, config, deps });
  if (config.dryRun && !(await printDoctor(outcome.identities, deps, io))) return EXIT_DOCTOR;
  return EXIT_OK;
}
