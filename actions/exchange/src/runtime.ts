/**
 * runtime.ts: the Action's edge, shared by main and post: the process turned into the injected
 * dependencies the core and the GitHub platform take, and the logger (workflow commands for debug
 * and warning lines, every line redacted first, `::` at a line start neutralised so a server
 * message cannot inject a workflow command into the log).
 */
import { type Deps, type Env, httpClientFor, type Logger, SecretRegistry, userAgent } from '@federate/core';
import {
  escapeCommandData,
  execNoShell,
  github,
  type PlatformInstance,
  sleep,
  transportFor,
  writeStdout,
} from '@federate/platforms';

/** githubLogger writes to stdout the way the runner reads it. */
export function githubLogger(
  env: Env,
  secrets: SecretRegistry,
  write: (t: string) => void = writeStdout,
): Logger {
  const debug = env['RUNNER_DEBUG'] === '1' || env['ACTIONS_STEP_DEBUG'] === 'true';
  return {
    debug: (m) => {
      if (debug) write(`::debug::${escapeCommandData(secrets.redact(m))}\n`);
    },
    info: (m) => write(`${secrets.redact(m).replace(/^::/gm, ': :')}\n`),
    warn: (m) => write(`::warning::${escapeCommandData(secrets.redact(m))}\n`),
  };
}

/** inputNames lists the inputs the runner passed (it sets INPUT_<NAME> for every declared input). */
export function inputNames(env: Env): string[] {
  return Object.keys(env)
    .filter((k) => k.startsWith('INPUT_'))
    .map((k) => k.slice('INPUT_'.length).toLowerCase());
}

/** ActionRuntime is what a step needs: dependencies, and the GitHub platform built on them. */
export interface ActionRuntime {
  readonly deps: Deps;
  readonly platform: PlatformInstance;
  readonly http: ReturnType<typeof httpClientFor>;
}

/** actionRuntime builds the step's dependencies from the process the runner started. */
export function actionRuntime(step: 'main' | 'post'): ActionRuntime {
  const env = process.env;
  const secrets = new SecretRegistry();
  const log = githubLogger(env, secrets);
  const deps: Deps = {
    // node:http on the hot path (fetch's own undici costs ~20 ms at start); npm undici only for proxies.
    transport: transportFor(env),
    env,
    now: Date.now,
    sleep,
    random: Math.random,
    log,
    secrets,
    userAgent: userAgent(step === 'main' ? 'action' : 'action-post', 'github', process.version),
    // Targets that drive a vendor CLI (okta-pa's `sft`) run it without a shell.
    exec: execNoShell,
  };
  const http = httpClientFor(deps, { deadlineMs: 60_000 });
  const platform = github.create({
    env,
    http,
    secrets,
    log,
    now: deps.now,
    write: writeStdout,
    options: {},
  });
  return { deps, platform, http };
}
