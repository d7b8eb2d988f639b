/**
 * log.ts: the Action's logger: GitHub workflow commands for debug and warning lines, every line
 * redacted first, and any `::` at a line start neutralised so a server message cannot inject a
 * workflow command into the log.
 */
import type { Env, Logger, SecretRegistry } from '@federate/core';

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** githubLogger writes to stdout the way the runner reads it. */
export function githubLogger(
  env: Env,
  secrets: SecretRegistry,
  write: (t: string) => void = (t) => void process.stdout.write(t),
): Logger {
  const debug = env['RUNNER_DEBUG'] === '1' || env['ACTIONS_STEP_DEBUG'] === 'true';
  return {
    debug: (m) => {
      if (debug) write(`::debug::${escapeData(secrets.redact(m))}\n`);
    },
    info: (m) => write(`${secrets.redact(m).replace(/^::/gm, ': :')}\n`),
    warn: (m) => write(`::warning::${escapeData(secrets.redact(m))}\n`),
  };
}

/** inputNames lists the inputs the runner passed (it sets INPUT_<NAME> for every declared input). */
export function inputNames(env: Env): string[] {
  return Object.keys(env)
    .filter((k) => k.startsWith('INPUT_'))
    .map((k) => k.slice('INPUT_'.length).toLowerCase());
}
