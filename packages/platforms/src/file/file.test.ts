import { lstat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fakeJwt,
  HOSTILE_VALUES,
  parseDotenv,
  parseRunnerFile,
  sourceWithBash,
  testContext,
  withTempDir,
} from '../shared/testing.js';
import type { OutputFormat } from '../types.js';
import { file } from './index.js';

const jwt = (aud: string, expOffset = 300) =>
  fakeJwt({ iss: 'https://k8s', sub: 'system:sa', aud, exp: Math.floor(Date.now() / 1000) + expOffset });
const summary = { platform: 'file', dryRun: false, identity: undefined, exchanges: [] } as const;
const vars = HOSTILE_VALUES.filter((v) => !v.endsWith('\r')).map((v, i) => ({
  name: `H_${i}`,
  value: v,
  secret: true,
}));

describe('file token source', () => {
  it('re-reads the token file on every call, trimming trailing whitespace', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'token');
      const first = jwt('a');
      await writeFile(path, `${first}\n`);
      const source = file.create(testContext({}, { tokenFile: path })).tokenSource;
      expect(await source.idToken('a')).toBe(first);
      const second = jwt('a', 600);
      await writeFile(path, `${second}  \n`);
      expect(await source.idToken('a')).toBe(second);
    });
  });

  it('reads the variable, and fails on a missing file or variable', async () => {
    const t = jwt('a');
    expect(await file.create(testContext({ FEDERATE_ID_TOKEN: t })).tokenSource.idToken('a')).toBe(t);
    await expect(file.create(testContext({})).tokenSource.idToken('a')).rejects.toMatchObject({
      code: 'ERR_PLATFORM_TOKEN_UNAVAILABLE',
    });
    await expect(
      file.create(testContext({}, { tokenFile: '/nonexistent/token' })).tokenSource.idToken('a'),
    ).rejects.toMatchObject({ code: 'ERR_PLATFORM_TOKEN_UNAVAILABLE' });
  });

  it('checks audience and expiry', async () => {
    await expect(
      file.create(testContext({ FEDERATE_ID_TOKEN: jwt('a') })).tokenSource.idToken('b'),
    ).rejects.toMatchObject({
      code: 'ERR_PLATFORM_AUDIENCE_MISMATCH',
    });
    await expect(
      file.create(testContext({ FEDERATE_ID_TOKEN: jwt('a', -10) })).tokenSource.idToken('a'),
    ).rejects.toMatchObject({ code: 'ERR_PLATFORM_TOKEN_EXPIRED' });
  });
});

describe('file sink', () => {
  const render = async (format: OutputFormat, dir: string) => {
    const outputFile = join(dir, `out.${format}`);
    const platform = file.create(testContext({ TMPDIR: dir }, { format, outputFile }));
    await platform.sink.exportEnv(vars);
    await platform.sink.setOutputs([{ name: 'aws-account-id', value: '111111111111', secret: false }]);
    await platform.sink.writeSummary(summary);
    expect((await lstat(outputFile)).mode & 0o777).toBe(0o600);
    return { outputFile, text: await readFile(outputFile, 'utf8') };
  };
  const expected = Object.fromEntries([
    ...vars.map((v) => [v.name, v.value]),
    ['AWS_ACCOUNT_ID', '111111111111'],
  ]);

  it('shell: bash sources the document back byte for byte', async () => {
    await withTempDir(async (dir) => {
      const { outputFile } = await render('shell', dir);
      expect(await sourceWithBash(outputFile, Object.keys(expected))).toEqual(expected);
    });
  });

  it('dotenv, json and github formats read back exactly', async () => {
    await withTempDir(async (dir) => {
      expect(parseDotenv((await render('dotenv', dir)).text)).toEqual(expected);
      expect(JSON.parse((await render('json', dir)).text)).toEqual(expected);
      const gh = parseRunnerFile((await render('github', dir)).text);
      expect(Object.fromEntries(gh.map((e) => [e.name, e.value]))).toEqual(expected);
    });
  });

  it('writes to stdout without an output file, keeping the summary in the log', async () => {
    await withTempDir(async (dir) => {
      const ctx = testContext({ TMPDIR: dir }, { format: 'json' });
      const platform = file.create(ctx);
      await platform.sink.exportEnv([{ name: 'A', value: 'b', secret: false }]);
      await platform.sink.writeSummary({ ...summary, exchanges: [] });
      expect(ctx.out).toEqual(['{"A":"b"}\n']);
      const path = await platform.sink.writeFile({ name: 'token', content: 't', secret: true });
      expect(path.startsWith(join(dir, 'federate-'))).toBe(true);
      expect((await lstat(platform.privateDir)).mode & 0o777).toBe(0o700);
      await platform.cleanup();
      await expect(lstat(platform.privateDir)).rejects.toThrow();
    });
  });

  it('refuses an output file that is a symlink', async () => {
    await withTempDir(async (dir) => {
      const { symlink } = await import('node:fs/promises');
      await writeFile(join(dir, 'victim'), 'keep');
      await symlink(join(dir, 'victim'), join(dir, 'out'));
      const platform = file.create(testContext({ TMPDIR: dir }, { outputFile: join(dir, 'out') }));
      await platform.sink.exportEnv([{ name: 'A', value: 'b', secret: false }]);
      await expect(platform.sink.writeSummary(summary)).rejects.toMatchObject({
        code: 'ERR_PLATFORM_EXPORT',
      });
      expect(await readFile(join(dir, 'victim'), 'utf8')).toBe('keep');
    });
  });
});
