/**
 * known-inputs.ts: the option names `exchange` and `run` accept, so a typo is named as a usage error
 * before anything else happens (before platform detection, before any request).
 */
import { COMMON_INPUTS, InputReader } from '@federate/core';
import { TARGETS } from '@federate/targets';
import { CLI_PLATFORM_INPUTS } from './platform.js';

let cached: ReadonlySet<string> | undefined;

/** exchangeInputs is every input some target reads, plus the run's and the CLI's own. */
export function exchangeInputs(): ReadonlySet<string> {
  if (cached) return cached;
  const names = new Set<string>([...COMMON_INPUTS, ...CLI_PLATFORM_INPUTS, 'help', 'json', 'version']);
  for (const target of Object.values(TARGETS)) {
    const reader = new InputReader({});
    target.parse(reader, {});
    for (const n of reader.inputsRead()) names.add(n);
  }
  cached = names;
  return names;
}

/** knownInputsFor returns the accepted names for commands that check them up front. */
export function knownInputsFor(command: string | undefined): ReadonlySet<string> | undefined {
  return command === 'exchange' || command === 'run' ? exchangeInputs() : undefined;
}
