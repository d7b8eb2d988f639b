/**
 * exchange.ts: `federate exchange`: exchange the platform token at one or more targets and export
 * the credentials the platform's way.
 */
import { federate, parseRunConfig, SecretRegistry } from '@federate/core';
import { TARGETS } from '@federate/targets';
import { loadExchanges } from '../exchanges-file.js';
import { EXIT_OK } from '../exit-codes.js';
import { CLI_PLATFORM_INPUTS, createPlatform } from '../platform.js';
import type { ParsedArgs } from '../args.js';
import { makeDeps, type Io } from '../runtime.js';

/** targetInputs drops the CLI's own inputs so targets see only theirs. */
export function targetInputs(inputs: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...inputs };
  for (const k of CLI_PLATFORM_INPUTS) delete out[k];
  delete out['json'];
  delete out['help'];
  return out;
}

/** runExchange is `federate exchange`. */
export async function runExchange(args: ParsedArgs, io: Io, secrets = new SecretRegistry()): Promise<number> {
  const deps = makeDeps(io, secrets, 'cli', args.inputs['platform'] ?? 'auto');
  const platform = createPlatform(io, deps, secrets, args.inputs);
  const inputs = targetInputs(args.inputs);
  const config = parseRunConfig(inputs, {
    targets: TARGETS,
    env: io.env,
    exchanges: await loadExchanges(inputs['exchanges']),
    ...(platform.defaultAudience ? { platformAudience: platform.defaultAudience } : {}),
    strictInputs: new Set(Object.keys(args.flags)),
  });
  await federate({ platform, config, deps: { ...deps, log: deps.log } });
  return EXIT_OK;
}
