/**
 * runtime.ts: the CLI's edge. The one place that turns process state (env, clock, streams, child
 * processes) into the injected dependencies the core and the platforms take.
 */
import {
  httpClientFor,
  type Deps,
  type Env,
  type Logger,
  type SecretRegistry,
  userAgent,
} from '@federate/core';
import { execNoShell, sleep, transportFor, writeStderr, writeStdout } from '@federate/platforms';

/** Io is the process as the CLI sees it; tests pass their own. */
export interface Io {
  readonly env: Env;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** processIo is the real process: synchronous writes, in order, without building stream objects. */
export function processIo(): Io {
  return { env: process.env, stdout: writeStdout, stderr: writeStderr };
}

/** isDebug follows each platform's own debug switch, so users need learn no new one. */
export function isDebug(env: Env): boolean {
  return [
    env['FEDERATE_DEBUG'],
    env['RUNNER_DEBUG'] === '1' ? 'true' : undefined,
    env['ACTIONS_STEP_DEBUG'],
    env['CI_DEBUG_TRACE'],
  ].some((v) => v === 'true' || v === '1');
}

/** makeLogger writes redacted lines to stderr; colours only when allowed (NO_COLOR, non-TTY). */
export function makeLogger(io: Io, secrets: SecretRegistry): Logger {
  const debug = isDebug(io.env);
  const color =
    !io.env['NO_COLOR'] &&
    io.env['FORCE_COLOR'] !== '0' &&
    (process.getBuiltinModule('node:tty') as typeof import('node:tty')).isatty(2);
  const paint = (code: string, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return {
    debug: (m) => {
      if (debug) io.stderr(`${paint('2', `debug: ${secrets.redact(m)}`)}\n`);
    },
    info: (m) => io.stderr(`${secrets.redact(m)}\n`),
    warn: (m) => io.stderr(`${paint('33', `warning: ${secrets.redact(m)}`)}\n`),
  };
}

/** makeDeps builds the core's dependencies from the process. */
export function makeDeps(io: Io, secrets: SecretRegistry, plugin: string, platform: string): Deps {
  return {
    // node:http on the hot path (fetch's own undici costs ~20 ms at start); npm undici only for proxies.
    transport: transportFor(io.env),
    env: io.env,
    now: Date.now,
    sleep,
    random: Math.random,
    log: makeLogger(io, secrets),
    secrets,
    userAgent: userAgent(plugin, platform, process.version),
    exec: execNoShell,
  };
}

/** httpFor builds the HTTP helper platforms use for their token endpoints. */
export function httpFor(deps: Deps, timeoutMs = 30_000) {
  return httpClientFor(deps, { deadlineMs: timeoutMs });
}
