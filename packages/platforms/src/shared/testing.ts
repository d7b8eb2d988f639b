/**
 * testing.ts: helpers for this package's tests only (not exported): a PlatformContext with the real
 * HTTP helper and secret registry, readers that consume exports the way their real consumers do
 * (bash `source`, the Actions runner's heredoc parser, a dotenv reader), and unsigned JWTs.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpClient, type Env, type ExecFunction, SecretRegistry } from '@federate/core';
import type { PlatformContext, PlatformOptions } from '../types.js';

/** TestPlatformContext is a PlatformContext plus what tests inspect. */
export interface TestPlatformContext extends PlatformContext {
  /** out is everything written to the job log, in order. */
  out: string[];
  /** logs are logger lines (already redacted), in order. */
  logs: string[];
  /** events interleaves log writes and file exports, for ordering assertions. */
  events: string[];
}

/** testContext builds a context around `env`. */
export function testContext(
  env: Env,
  options: PlatformOptions = {},
  extra: { now?: () => number; exec?: ExecFunction } = {},
): TestPlatformContext {
  const secrets = new SecretRegistry();
  const logs: string[] = [];
  const out: string[] = [];
  const events: string[] = [];
  const log = {
    debug: (m: string) => void logs.push(secrets.redact(m)),
    info: (m: string) => void logs.push(secrets.redact(m)),
    warn: (m: string) => void logs.push(secrets.redact(m)),
  };
  const now = extra.now ?? Date.now;
  return {
    env,
    http: createHttpClient({
      fetch: globalThis.fetch,
      now,
      sleep: async () => {},
      random: () => 0,
      userAgent: 'federate-test',
      log,
      maxAttempts: 3,
    }),
    secrets,
    log,
    now,
    ...(extra.exec ? { exec: extra.exec } : {}),
    write(text: string) {
      out.push(text);
      events.push(`write:${text}`);
    },
    options,
    out,
    logs,
    events,
  };
}

/** fakeJwt builds an unsigned-looking JWT (the platforms decode, never verify). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k' })}.${b64(claims)}.${Buffer.from('signature').toString('base64url')}`;
}

/** withTempDir runs `fn` with a fresh directory and removes it afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'federate-platforms-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * sourceWithBash sources `file` in a clean bash and returns each named variable's value exactly
 * (printed NUL-separated, so newlines and any other byte survive).
 */
export function sourceWithBash(file: string, names: readonly string[]): Promise<Record<string, string>> {
  const script = `set -eu; . "$1"; shift; for n in "$@"; do printf '%s\\0' "\${!n}"; done`;
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['--noprofile', '--norc', '-c', script, 'bash', file, ...names],
      {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8' },
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'buffer',
      },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`bash failed: ${stderr.toString()}`));
        const parts = stdout.toString('utf8').split('\0');
        const out: Record<string, string> = {};
        names.forEach((n, i) => {
          out[n] = parts[i] ?? '';
        });
        resolve(out);
      },
    );
  });
}

/**
 * parseRunnerFile reads GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE the way actions/runner does: lines
 * split on `\n` or `\r\n`; `NAME=value` or `NAME<<DELIM` … `DELIM`, the value's lines joined by the
 * line break that followed them; empty lines between entries skipped.
 */
export function parseRunnerFile(text: string): Array<{ name: string; value: string }> {
  const entries: Array<{ name: string; value: string }> = [];
  let index = 0;
  const readLine = (): { line: string; newline: string } | undefined => {
    if (index >= text.length) return undefined;
    const lf = text.indexOf('\n', index);
    if (lf < 0) {
      const line = text.slice(index);
      index = text.length;
      return { line, newline: '' };
    }
    const crlf = lf > index && text[lf - 1] === '\r';
    const line = text.slice(index, crlf ? lf - 1 : lf);
    index = lf + 1;
    return { line, newline: crlf ? '\r\n' : '\n' };
  };
  for (let l = readLine(); l !== undefined; l = readLine()) {
    if (l.line === '') continue;
    const eq = l.line.indexOf('=');
    const heredoc = l.line.indexOf('<<');
    if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
      const name = l.line.slice(0, heredoc);
      const delimiter = l.line.slice(heredoc + 2);
      if (!delimiter) throw new Error(`invalid heredoc for ${name}`);
      let value = '';
      let pendingNewline = '';
      for (;;) {
        const next = readLine();
        if (!next) throw new Error(`unterminated heredoc for ${name}`);
        if (next.line === delimiter) break;
        value += pendingNewline + next.line;
        pendingNewline = next.newline;
      }
      entries.push({ name, value });
    } else if (eq > 0) {
      entries.push({ name: l.line.slice(0, eq), value: l.line.slice(eq + 1) });
    } else {
      throw new Error(`invalid line in runner file: ${l.line.slice(0, 40)}`);
    }
  }
  return entries;
}

/** parseDotenv reads the double-quoted dialect dotenvLine writes (python-dotenv / Compose escapes). */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"$/gm;
  for (const m of text.matchAll(re)) {
    const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t' };
    out[m[1] as string] = (m[2] as string).replace(/\\(.)/gs, (_, c: string) => escapes[c] ?? c);
  }
  return out;
}

/** HOSTILE_VALUES are values every sink must hand on byte for byte (or refuse). */
export const HOSTILE_VALUES: readonly string[] = [
  `it's a "quoted" value`,
  "'",
  "''\\''",
  '$(touch /tmp/federate-pwned)',
  '`touch /tmp/federate-pwned`',
  '$' + '{HOME} $HOME $$ $1 \\$',
  'line one\nline two\n',
  '\nleading newline',
  'a\r\nb',
  '::set-output name=x::y\n::add-mask::z\n::stop-commands::abc',
  'NAME<<EOF\nEOF\nghadelimiter_00000000-0000-0000-0000-000000000000',
  'ünïcødé ✓ 🔐 中文 \u200b',
  'back\\slash\\',
  ' surrounded by spaces ',
  '\t tabs \t',
  '#not a comment',
  'x'.repeat(64 * 1024),
];
