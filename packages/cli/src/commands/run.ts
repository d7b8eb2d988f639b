/**
 * run.ts: `federate run [exchange options] -- <command> [args…]`: exchange, then run one command with
 * the credentials in its environment only. Nothing is exported to later steps; the command's
 * output is redacted as it streams (for platforms with no masking), its exit code and signals are
 * propagated, and files and server-side tokens are cleaned up afterwards.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import {
  ConfigError,
  type CredentialFile,
  federate,
  revokeRecorded,
  type RevokeRecord,
  type SecretRegistry,
  SecretRegistry as Registry,
  type Sink,
} from '@federate/core';
import { PrivateDir } from '@federate/platforms';
import { loadRevokingTargets } from '@federate/targets/lazy';
import type { ParsedArgs } from '../args.js';
import type { Io } from '../runtime.js';
import { prepareRun } from './exchange.js';

/** RedactingWriter holds back partial lines briefly so a secret split across chunks is still caught. */
export class RedactingWriter {
  #buffer = '';
  #timer: NodeJS.Timeout | undefined;
  readonly #write: (text: string) => void;
  readonly #secrets: SecretRegistry;

  constructor(write: (text: string) => void, secrets: SecretRegistry) {
    this.#write = write;
    this.#secrets = secrets;
  }

  push(chunk: string): void {
    this.#buffer += chunk;
    const nl = this.#buffer.lastIndexOf('\n');
    if (nl !== -1) {
      this.#write(this.#secrets.redact(this.#buffer.slice(0, nl + 1)));
      this.#buffer = this.#buffer.slice(nl + 1);
    }
    if (this.#buffer.length > 65_536) this.flush();
    clearTimeout(this.#timer);
    // A prompt without a newline still reaches the user, redacted, after a short pause.
    if (this.#buffer) this.#timer = setTimeout(() => this.flush(), 100);
  }

  flush(): void {
    clearTimeout(this.#timer);
    if (this.#buffer) this.#write(this.#secrets.redact(this.#buffer));
    this.#buffer = '';
  }
}

/** memorySink collects exports for one child process; files go to a fresh private temp dir. */
function memorySink(mask: (v: string) => void) {
  const dir = PrivateDir.random('cli', tmpdir(), 'federate-run-');
  const env: Record<string, string> = {};
  const revoke: RevokeRecord[] = [];
  const sink: Sink = {
    mask,
    writeFile: (file: CredentialFile) => dir.write(file.name, file.content, file.mode),
    async exportEnv(vars) {
      for (const v of vars) env[v.name] = v.value;
    },
    async setOutputs() {},
    async recordCleanup(r) {
      revoke.push(...r.revoke);
    },
    async writeSummary() {},
  };
  return { sink, env, revoke, dir };
}

/** runRun is `federate run`. */
export async function runRun(
  args: ParsedArgs,
  io: Io,
  secrets: SecretRegistry = new Registry(),
): Promise<number> {
  const [program, ...programArgs] = args.rest;
  if (!program)
    throw new ConfigError([
      {
        code: 'ERR_CONFIG_REQUIRED',
        input: '--',
        message: 'federate run needs a command after --',
        hint: 'e.g. federate run --target aws --role-arn … -- aws s3 ls',
      },
    ]);
  const { deps, platform, config } = await prepareRun(args, io, secrets);
  const mem = memorySink((v) => platform.sink.mask(v));
  try {
    await federate({
      platform: { name: platform.name, tokenSource: platform.tokenSource, sink: mem.sink },
      config,
      deps,
    });
    const code = await new Promise<number>((resolve) => {
      const child = spawn(program, programArgs, {
        env: { ...io.env, ...mem.env },
        stdio: ['inherit', 'pipe', 'pipe'],
      });
      const out = new RedactingWriter(io.stdout, secrets);
      const err = new RedactingWriter(io.stderr, secrets);
      child.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c));
      const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
      const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
      for (const [s, h] of handlers) process.on(s, h);
      child.on('error', () => {
        err.push(`federate run: could not start ${JSON.stringify(program.slice(0, 80))}\n`);
      });
      child.on('close', (status, signal) => {
        for (const [s, h] of handlers) process.off(s, h);
        out.flush();
        err.flush();
        resolve(signal ? 128 + (osSignal(signal) ?? 1) : (status ?? 127));
      });
    });
    return code;
  } finally {
    rmSync(mem.dir.path, { recursive: true, force: true });
    if (config.cleanup) {
      for (const e of await revokeRecorded(mem.revoke, await loadRevokingTargets(mem.revoke), deps))
        deps.log.warn(`${e.code}: ${e.message}`);
    }
  }
}

function osSignal(signal: NodeJS.Signals): number | undefined {
  return constants.signals[signal];
}
