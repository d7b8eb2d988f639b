/**
 * files.test.ts: every platform sink's secret files. They are 0600 in a 0700 directory, appear
 * atomically (no entry with wider permissions is ever visible, watched during a burst of writes),
 * never follow a symlink planted at the destination or on the way there, and cleanup removes exactly
 * what was written, leaving everything else alone.
 */
import { type Dirent, type FSWatcher, watch } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpClient, type FederateError, SecretRegistry } from '@federate/core';
import { PLATFORMS, type PlatformContext, type PlatformInstance } from '@federate/platforms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFileCommands } from '../support/github-runner.js';
import { LeakScanner } from '../support/leak-scanner.js';

const NAMES = ['github', 'gitlab', 'circleci', 'cloudbuild', 'file'] as const;
type Name = (typeof NAMES)[number];

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'federate-files-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function contextFor(privateDir: string, out: string[]): PlatformContext {
  const secrets = new SecretRegistry();
  const log = {
    debug: (m: string) => void out.push(secrets.redact(m)),
    info: (m: string) => void out.push(secrets.redact(m)),
    warn: (m: string) => void out.push(secrets.redact(m)),
  };
  const env: Record<string, string> = {
    RUNNER_TEMP: root,
    TMPDIR: root,
    GITHUB_ENV: join(root, 'github-env'),
    GITHUB_OUTPUT: join(root, 'github-output'),
    GITHUB_STATE: join(root, 'github-state'),
    GITHUB_STEP_SUMMARY: join(root, 'github-summary'),
    BASH_ENV: join(root, 'bash-env'),
    CI_JOB_ID: '42',
    FEDERATE_WORKSPACE: root,
  };
  return {
    env,
    http: createHttpClient({
      fetch: globalThis.fetch,
      now: Date.now,
      sleep: async () => {},
      random: () => 0,
      userAgent: 'federate-files-test',
      log,
    }),
    secrets,
    log,
    now: Date.now,
    write: (text) => void out.push(text),
    options: { privateDir, format: 'shell' },
  };
}

async function create(
  name: Name,
  privateDir = join(root, `${name}-private`),
  extraEnv: Record<string, string> = {},
) {
  for (const f of ['github-env', 'github-output', 'github-state', 'github-summary', 'bash-env'])
    await writeFile(join(root, f), '', { flag: 'a' });
  const out: string[] = [];
  const ctx = contextFor(privateDir, out);
  ctx.env = { ...ctx.env, ...extraEnv };
  return { platform: PLATFORMS[name].create(ctx), out, ctx };
}

const mode = async (p: string) => (await lstat(p)).mode & 0o777;

async function failure(p: Promise<unknown>): Promise<FederateError> {
  try {
    await p;
  } catch (e) {
    return e as FederateError;
  }
  throw new Error('expected a failure');
}

/** listAll lists every path under `dir` (recursively), tolerating entries that vanish meanwhile. */
async function listAll(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await listAll(p)));
  }
  return out;
}

describe.each(NAMES)('%s sink files', (name) => {
  it('writes secret files 0600 in a 0700 directory, whatever mode was asked, and reads back byte for byte', async () => {
    const { platform, out } = await create(name);
    const secret = `-----BEGIN KEY-----\nsecret-${name}-${Math.random()}\n-----END KEY-----\n`;
    const scanner = new LeakScanner();
    scanner.secret(secret, 'file content');
    const a = await platform.sink.writeFile({ name: 'aws/credentials', content: secret, secret: true });
    const b = await platform.sink.writeFile({ name: 'wide', content: secret, secret: true, mode: 0o644 });
    expect(await mode(a)).toBe(0o600);
    expect(await mode(b)).toBe(0o600);
    expect(await mode(platform.privateDir)).toBe(0o700);
    expect(await mode(join(platform.privateDir, 'aws'))).toBe(0o700);
    expect(await readFile(a, 'utf8')).toBe(secret);
    for (const p of await listAll(platform.privateDir)) {
      const st = await lstat(p);
      expect(st.mode & 0o077, p).toBe(0);
    }
    scanner.scanText('platform output', out.join('\n')).assertClean();
  });

  it('tightens an existing private directory of ours to 0700', async () => {
    const dir = join(root, 'existing');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    const { platform } = await create(name, dir);
    await platform.sink.writeFile({ name: 'f', content: 'secret-value-1234', secret: true });
    expect(await mode(dir)).toBe(0o700);
  });

  it('refuses a symlink planted at the destination and leaves its target untouched', async () => {
    const { platform } = await create(name);
    const victim = join(root, 'victim');
    await writeFile(victim, 'original', { mode: 0o644 });
    await mkdir(platform.privateDir, { mode: 0o700 });
    await symlink(victim, join(platform.privateDir, 'token'));
    const e = await failure(
      platform.sink.writeFile({ name: 'token', content: 'secret-value-5678', secret: true }),
    );
    expect(e.code).toBe('ERR_PLATFORM_EXPORT');
    expect(await readFile(victim, 'utf8')).toBe('original');
    expect(await mode(victim)).toBe(0o644);
    expect((await lstat(join(platform.privateDir, 'token'))).isSymbolicLink()).toBe(true);
  });

  it('refuses a symlinked directory on the way to the destination', async () => {
    const { platform } = await create(name);
    const elsewhere = join(root, 'elsewhere');
    await mkdir(elsewhere);
    await mkdir(platform.privateDir, { mode: 0o700 });
    await symlink(elsewhere, join(platform.privateDir, 'aws'));
    const e = await failure(
      platform.sink.writeFile({ name: 'aws/credentials', content: 'secret-value-9012', secret: true }),
    );
    expect(e.code).toBe('ERR_PLATFORM_EXPORT');
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('refuses a private directory that is itself a symlink', async () => {
    const elsewhere = join(root, 'elsewhere-dir');
    await mkdir(elsewhere, { mode: 0o700 });
    const link = join(root, 'linked-private');
    await symlink(elsewhere, link);
    const { platform } = await create(name, link);
    const e = await failure(
      platform.sink.writeFile({ name: 'f', content: 'secret-value-3456', secret: true }),
    );
    expect(e.code).toBe('ERR_PLATFORM_EXPORT');
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('never shows an entry with wider permissions while writing (watched during a burst)', async () => {
    const { platform } = await create(name);
    await platform.sink.writeFile({ name: 'first', content: 'secret-value-first', secret: true });
    const dir = platform.privateDir;
    const seen = new Map<string, number>();
    const inspect = async (p: string) => {
      try {
        const st = await lstat(p);
        if (st.isFile()) seen.set(p, Math.max(seen.get(p) ?? 0, st.mode & 0o777));
      } catch {
        // Renamed or removed between the event and the stat: nothing was visible to check.
      }
    };
    const watcher: FSWatcher = watch(dir, (_event, file) => {
      if (file) void inspect(join(dir, file.toString()));
    });
    let writing = true;
    const poll = (async () => {
      while (writing) {
        for (const p of await listAll(dir)) await inspect(p);
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      for (let i = 0; i < 40; i++) {
        await platform.sink.writeFile({
          name: `burst-${i % 5}`,
          content: `secret-value-${i}`.repeat(200),
          secret: true,
        });
        await platform.sink.writeFile({
          name: `nested/burst-${i % 3}`,
          content: `secret-value-n${i}`,
          secret: true,
        });
      }
    } finally {
      writing = false;
      await poll;
      watcher.close();
    }
    expect(seen.size).toBeGreaterThan(0);
    const wide = [...seen].filter(([, m]) => (m & 0o077) !== 0);
    expect(wide).toEqual([]);
  });

  it('cleanup removes every file and directory it wrote, and nothing else', async () => {
    const dir = join(root, 'shared-private');
    await mkdir(dir, { mode: 0o700 });
    await writeFile(join(dir, 'not-ours'), 'keep me');
    await writeFile(join(root, 'sibling'), 'keep me too');
    const { platform } = await create(name, dir);
    const written = [
      await platform.sink.writeFile({ name: 'aws/credentials', content: 'secret-value-a', secret: true }),
      await platform.sink.writeFile({ name: 'aws/config', content: '[profile x]\n', secret: false }),
      await platform.sink.writeFile({
        name: 'gcp/deep/file.json',
        content: '{"k":"secret-value-b"}',
        secret: true,
      }),
    ];
    const result = await platform.cleanup();
    for (const p of written) {
      await expect(lstat(p)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(result.removed).toContain(p);
    }
    await expect(lstat(join(dir, 'aws'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(lstat(join(dir, 'gcp'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(join(dir, 'not-ours'), 'utf8')).toBe('keep me');
    expect(await readFile(join(root, 'sibling'), 'utf8')).toBe('keep me too');
    expect((await readdir(dir)).sort()).toEqual(['not-ours']);
  });

  it('cleanup of a fresh private directory leaves no trace of it', async () => {
    const { platform } = await create(name);
    await platform.sink.writeFile({ name: 'a/b', content: 'secret-value-c', secret: true });
    await platform.cleanup();
    await expect(lstat(platform.privateDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a later process of the same job cleans up what an earlier one wrote', async () => {
    const dir = join(root, 'job-private');
    const first = await create(name, dir);
    const path = await first.platform.sink.writeFile({
      name: 'token',
      content: 'secret-value-d',
      secret: true,
    });
    // On GitHub the runner hands main's saved state to the post step as STATE_<key>.
    const state = parseFileCommands(await readFile(join(root, 'github-state'), 'utf8'));
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
    const second: PlatformInstance = (await create(name, dir, stateEnv)).platform;
    await second.cleanup();
    await expect(lstat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
