import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeRecorded } from './cleanup-state.js';
import { appendPrivateFile, PrivateDir, writeFileAtomic } from './private-dir.js';
import { fileStateStore, SinkBase } from './sink-base.js';
import { testContext, withTempDir } from './testing.js';

const mode = async (p: string) => (await lstat(p)).mode & 0o777;
const exportError = expect.objectContaining({ code: 'ERR_PLATFORM_EXPORT' });

describe('PrivateDir', () => {
  it('creates a 0700 directory and 0600 files, atomically, with nested names', async () => {
    await withTempDir(async (root) => {
      const dir = PrivateDir.random('file', root, 'federate-');
      const path = await dir.write('aws/credentials', 'secret');
      expect(await readFile(path, 'utf8')).toBe('secret');
      expect(await mode(dir.path)).toBe(0o700);
      expect(await mode(join(dir.path, 'aws'))).toBe(0o700);
      expect(await mode(path)).toBe(0o600);
      await dir.write('aws/credentials', 'rotated');
      expect(await readFile(path, 'utf8')).toBe('rotated');
      expect(dir.files()).toEqual([path]);
    });
  });

  it('refuses a symlink at the destination and leaves its target untouched', async () => {
    await withTempDir(async (root) => {
      const victim = join(root, 'victim');
      await writeFile(victim, 'original');
      const dir = new PrivateDir('file', join(root, 'p'), { exclusive: false });
      await dir.ensure();
      await symlink(victim, join(dir.path, 'token'));
      await expect(dir.write('token', 'evil')).rejects.toThrow(exportError);
      expect(await readFile(victim, 'utf8')).toBe('original');
    });
  });

  it('refuses a directory that is a symlink, or a random one that already exists', async () => {
    await withTempDir(async (root) => {
      await mkdir(join(root, 'real'));
      await symlink(join(root, 'real'), join(root, 'link'));
      const linked = new PrivateDir('gitlab', join(root, 'link'), { exclusive: false });
      await expect(linked.write('env.sh', 'x')).rejects.toThrow(exportError);
      const taken = new PrivateDir('github', join(root, 'real'), { exclusive: true });
      await expect(taken.write('a', 'x')).rejects.toThrow(exportError);
    });
  });

  it('tightens an existing directory of ours to 0700', async () => {
    await withTempDir(async (root) => {
      await mkdir(join(root, 'p'), { mode: 0o755 });
      const dir = new PrivateDir('gitlab', join(root, 'p'), { exclusive: false });
      await dir.write('a', 'x');
      expect(await mode(dir.path)).toBe(0o700);
    });
  });

  it.each(['../escape', '/etc/passwd', 'a/../../b', '', 'a//b', 'a\0b'])(
    'refuses the name %j',
    async (name) => {
      await withTempDir(async (root) => {
        const dir = new PrivateDir('file', join(root, 'p'), { exclusive: false });
        await expect(dir.write(name, 'x')).rejects.toThrow(exportError);
      });
    },
  );

  it('refuses a symlinked subdirectory', async () => {
    await withTempDir(async (root) => {
      const dir = new PrivateDir('file', join(root, 'p'), { exclusive: false });
      await dir.ensure();
      await mkdir(join(root, 'elsewhere'));
      await symlink(join(root, 'elsewhere'), join(dir.path, 'aws'));
      await expect(dir.write('aws/credentials', 'x')).rejects.toThrow(exportError);
    });
  });
});

describe('writeFileAtomic and appendPrivateFile', () => {
  it('write a chosen mode, and append creates 0600 but refuses symlinks', async () => {
    await withTempDir(async (root) => {
      await writeFileAtomic('file', join(root, 'out'), 'x');
      expect(await mode(join(root, 'out'))).toBe(0o600);
      await appendPrivateFile('circleci', join(root, 'bash_env'), 'a\n');
      await appendPrivateFile('circleci', join(root, 'bash_env'), 'b\n');
      expect(await readFile(join(root, 'bash_env'), 'utf8')).toBe('a\nb\n');
      expect(await mode(join(root, 'bash_env'))).toBe(0o600);
      await symlink(join(root, 'out'), join(root, 'link'));
      await expect(appendPrivateFile('circleci', join(root, 'link'), 'c')).rejects.toThrow(exportError);
      await expect(writeFileAtomic('file', join(root, 'link'), 'c')).rejects.toThrow(exportError);
      expect(await readFile(join(root, 'out'), 'utf8')).toBe('x');
    });
  });
});

describe('SinkBase cleanup', () => {
  it('removes every recorded file and directory, across processes, and returns the revoke records', async () => {
    await withTempDir(async (root) => {
      const path = join(root, 'p');
      const ctx = testContext({});
      const first = new PrivateDir('gitlab', path, { exclusive: false });
      const a = new SinkBase('gitlab', ctx, first, fileStateStore(first));
      await a.writeFile({ name: 'aws/credentials', content: 'k', secret: true });
      await a.recordCleanup({
        files: [],
        revoke: [{ target: 'vault', data: { token: 'hvs.secret-token' }, secretKeys: ['token'] }],
      });
      expect(await mode(join(path, 'cleanup.json'))).toBe(0o600);
      // A later process (after_script) knows nothing but the directory.
      const second = new PrivateDir('gitlab', path, { exclusive: false });
      const b = new SinkBase('gitlab', testContext({}), second, fileStateStore(second));
      const result = await b.cleanup();
      expect(result.revoke).toEqual([
        { target: 'vault', data: { token: 'hvs.secret-token' }, secretKeys: ['token'] },
      ]);
      expect(result.removed).toContain(join(path, 'aws', 'credentials'));
      await expect(lstat(path)).rejects.toThrow();
    });
  });

  it('leaves files it did not write, and ignores recorded paths outside the directory', async () => {
    await withTempDir(async (root) => {
      const outside = join(root, 'keep');
      await writeFile(outside, 'x');
      const ctx = testContext({});
      const removed = await removeRecorded(
        {
          version: 1,
          dir: join(root, 'p'),
          files: [outside, join(root, 'p', '..', 'keep')],
          dirs: [root],
          revoke: [],
        },
        ctx.log,
      );
      expect(removed).toEqual([]);
      expect(await readFile(outside, 'utf8')).toBe('x');
      const dir = new PrivateDir('file', join(root, 'q'), { exclusive: false });
      const base = new SinkBase('file', ctx, dir, fileStateStore(dir));
      await base.writeFile({ name: 'a', content: 'x', secret: false });
      await writeFile(join(dir.path, 'user-file'), 'y');
      await base.cleanup();
      expect(await readFile(join(dir.path, 'user-file'), 'utf8')).toBe('y');
      await expect(lstat(join(dir.path, 'a'))).rejects.toThrow();
    });
  });
});
