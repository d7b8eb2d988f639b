/**
 * credential-process.ts: `federate credential-process`: the AWS `credential_process` that the
 * profile written by `refresh: credential-process` runs. It answers from a private cache until the
 * credentials are within `--margin` of expiry, then fetches a fresh platform token and runs the aws
 * target's exchange again. A lock file makes SDK clients that ask at the same moment share one
 * exchange instead of each starting their own.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html
 */
import { closeSync, lstatSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  ConfigError,
  type Credentials,
  ExchangeError,
  federate,
  parseDuration,
  parseRunConfig,
  type SecretRegistry,
  SecretRegistry as Registry,
  type Sink,
} from '@federate/core';
import { sleep, writeFileAtomic } from '@federate/platforms';
import type { CachedCredentials } from '@federate/targets';
import { loadTargets } from '@federate/targets/lazy';
import type { ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit-codes.js';
import { CLI_PLATFORM_INPUTS, createPlatform } from '../platform.js';
import { type Io, makeDeps } from '../runtime.js';

/** DEFAULT_MARGIN_MS is the JS SDK's own window: it asks again 5 minutes before expiry. */
export const DEFAULT_MARGIN_MS = 300_000;
/** STALE_LOCK_MS: a lock older than this belongs to a process that died mid-exchange. */
export const STALE_LOCK_MS = 90_000;
const POLL_MS = 100;

// Inputs that would make the re-exchange write files or refresh again instead of answering.
const NOT_FORWARDED = ['cache-file', 'margin', 'refresh', 'refresh-margin', 'profile', 'exchanges', 'id'];

function readCache(path: string): CachedCredentials | undefined {
  try {
    if (!lstatSync(path).isFile()) return undefined;
    const c = JSON.parse(readFileSync(path, 'utf8')) as Partial<CachedCredentials>;
    if (
      c.Version === 1 &&
      typeof c.AccessKeyId === 'string' &&
      typeof c.SecretAccessKey === 'string' &&
      typeof c.SessionToken === 'string' &&
      typeof c.Expiration === 'string' &&
      typeof c.RoleArn === 'string'
    )
      return c as CachedCredentials;
  } catch {
    // A missing or torn cache is simply a cache miss: the exchange below rewrites it.
  }
  return undefined;
}

function usable(c: CachedCredentials | undefined, role: string, marginMs: number): c is CachedCredentials {
  if (!c || c.RoleArn !== role) return false;
  const exp = Date.parse(c.Expiration);
  return Number.isFinite(exp) && exp - Date.now() > marginMs;
}

/** Lock is an O_EXCL lock file; `release` removes it only while it is still ours. */
interface Lock {
  release(): void;
}

function tryLock(path: string): Lock | undefined {
  const nonce = `${process.pid}.${Math.random().toString(36).slice(2)}`;
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    try {
      // A holder that died mid-exchange must not block every later refresh for the rest of the job.
      if (Date.now() - statSync(path).mtimeMs > STALE_LOCK_MS) unlinkSync(path);
    } catch {}
    return undefined;
  }
  writeSync(fd, nonce);
  closeSync(fd);
  return {
    release() {
      try {
        if (readFileSync(path, 'utf8') === nonce) unlinkSync(path);
      } catch {}
    },
  };
}

function answer(io: Io, c: CachedCredentials): number {
  io.stdout(
    `${JSON.stringify({
      Version: 1,
      AccessKeyId: c.AccessKeyId,
      SecretAccessKey: c.SecretAccessKey,
      SessionToken: c.SessionToken,
      Expiration: c.Expiration,
    })}\n`,
  );
  return EXIT_OK;
}

function credentialValue(creds: Credentials, name: string): string {
  const v = creds.values.find((x) => x.name === name)?.value;
  if (v === undefined)
    throw new ExchangeError('ERR_EXCHANGE_BAD_RESPONSE', 'aws', `the exchange returned no ${name}`);
  return v;
}

/** runCredentialProcess is `federate credential-process`. */
export async function runCredentialProcess(
  args: ParsedArgs,
  io: Io,
  secrets: SecretRegistry = new Registry(),
): Promise<number> {
  const cacheInput = args.inputs['cache-file'];
  if (!cacheInput)
    throw new ConfigError([
      {
        code: 'ERR_CONFIG_REQUIRED',
        input: 'cache-file',
        message: 'is required',
        hint: 'the profile written by `refresh: credential-process` passes it; point it into the private directory',
      },
    ]);
  const marginText = args.inputs['margin'];
  const marginMs = marginText === undefined ? DEFAULT_MARGIN_MS : parseDuration(marginText);
  if (marginMs === undefined)
    throw new ConfigError([
      { code: 'ERR_CONFIG_DURATION', input: 'margin', message: 'must be a duration like 300, 5m or 10m' },
    ]);
  const cacheFile = resolve(cacheInput);

  const inputs: Record<string, string> = { ...args.inputs, target: 'aws' };
  for (const k of [...NOT_FORWARDED, ...CLI_PLATFORM_INPUTS, 'json', 'help']) delete inputs[k];
  const config = parseRunConfig(inputs, {
    targets: await loadTargets(['aws']),
    env: io.env,
    strictInputs: new Set(Object.keys(args.flags).filter((f) => !NOT_FORWARDED.includes(f))),
  });
  const options = config.exchanges[0]?.options as { roleArn: string; roleChain?: { roleArn: string } };
  const role = options.roleChain?.roleArn ?? options.roleArn;

  const cached = readCache(cacheFile);
  if (usable(cached, role, marginMs)) return answer(io, cached);

  // Only the lock holder exchanges; the others wait for its cache and answer from it.
  const lockPath = `${cacheFile}.lock`;
  let lock = tryLock(lockPath);
  const waitUntil = Date.now() + STALE_LOCK_MS + 10_000;
  while (!lock) {
    await sleep(POLL_MS);
    const fresh = readCache(cacheFile);
    if (usable(fresh, role, marginMs)) return answer(io, fresh);
    if (Date.now() > waitUntil)
      throw new ExchangeError(
        'ERR_EXCHANGE_FAILED',
        'aws',
        `another process holds ${lockPath} and never refreshed`,
        {
          hint: 'remove the lock file if no federate process is running',
        },
      );
    lock = tryLock(lockPath);
  }
  try {
    const again = readCache(cacheFile);
    if (usable(again, role, marginMs)) return answer(io, again);

    // stdout carries only the answer: the platform's own writes (log masks) go to stderr instead.
    const quiet: Io = { env: io.env, stdout: io.stderr, stderr: io.stderr };
    const deps = makeDeps(quiet, secrets, 'cli', args.inputs['platform'] ?? 'auto');
    const platform = createPlatform(quiet, deps, secrets, {
      ...args.inputs,
      // Reuse the cache's directory so each refresh does not leave a new private directory behind.
      'private-dir': args.inputs['private-dir'] ?? dirname(cacheFile),
    });
    const outcome = await federate({
      platform: { name: platform.name, tokenSource: platform.tokenSource, sink: answerSink() },
      config: { ...config, exportEnv: false, outputs: false, cleanup: false },
      deps,
    });
    const creds = outcome.credentials.get(config.exchanges[0]?.id ?? 'aws');
    if (!creds)
      throw new ExchangeError('ERR_EXCHANGE_BAD_RESPONSE', 'aws', 'the exchange returned no credentials');
    const fresh: CachedCredentials = {
      Version: 1,
      AccessKeyId: credentialValue(creds, 'accessKeyId'),
      SecretAccessKey: credentialValue(creds, 'secretAccessKey'),
      SessionToken: credentialValue(creds, 'sessionToken'),
      Expiration: credentialValue(creds, 'expiration'),
      RoleArn: role,
    };
    await writeFileAtomic('cli', cacheFile, JSON.stringify(fresh));
    deps.log.debug(`credential-process: exchanged again; the credentials expire at ${fresh.Expiration}`);
    return answer(io, fresh);
  } finally {
    lock.release();
  }
}

/** answerSink keeps everything in memory: the answer goes to the SDK on stdout, not to the job. */
function answerSink(): Sink {
  return {
    mask() {},
    async writeFile() {
      throw new TypeError('credential-process: the re-exchange must not write files');
    },
    async exportEnv() {},
    async setOutputs() {},
    async recordCleanup() {},
    async writeSummary() {},
  };
}
