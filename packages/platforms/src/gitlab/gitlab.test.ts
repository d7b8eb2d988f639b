import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeJwt, HOSTILE_VALUES, sourceWithBash, testContext, withTempDir } from '../shared/testing.js';
import { GITLAB_ENV_FILE, GITLAB_OUTPUTS_FILE, gitlab, gitlabPrivateDir } from './index.js';

const now = Date.now();
const token = (aud: string | string[], expSec = now / 1000 + 300) =>
  fakeJwt({
    iss: 'https://gitlab.example.com',
    sub: 'project_path:g/p:ref_type:branch:ref:main',
    aud,
    exp: Math.floor(expSec),
    project_path: 'g/p',
    namespace_id: '1',
  });

describe('gitlab token source', () => {
  it('returns the id_tokens variable, the same one every time', async () => {
    const t = token('https://sts.example');
    const source = gitlab.create(testContext({ GITLAB_CI: 'true', FEDERATE_ID_TOKEN: t })).tokenSource;
    expect(await source.idToken('https://sts.example')).toBe(t);
    expect(await source.idToken('https://sts.example')).toBe(t);
  });

  it('lists, by name only, the variables holding a JWT when the variable is missing', async () => {
    const t = token('x');
    const ctx = testContext({ GITLAB_CI: 'true', VAULT_ID_TOKEN: t, OTHER: 'plain' });
    const error = await gitlab
      .create(ctx)
      .tokenSource.idToken('x')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_PLATFORM_TOKEN_UNAVAILABLE',
      message: expect.stringContaining('VAULT_ID_TOKEN'),
    });
    expect(String((error as Error).message)).not.toContain(t);
    expect(String((error as Error).message)).not.toContain('OTHER');
  });

  it('honours the token variable option', async () => {
    const t = token('x');
    const ctx = testContext({ MY_TOKEN: t }, { tokenVariable: 'MY_TOKEN' });
    expect(await gitlab.create(ctx).tokenSource.idToken('x')).toBe(t);
  });

  it('fails with ERR_PLATFORM_AUDIENCE_MISMATCH naming the variable and both audiences', async () => {
    const ctx = testContext({ FEDERATE_ID_TOKEN: token('https://gitlab.example.com') });
    await expect(gitlab.create(ctx).tokenSource.idToken('sts.amazonaws.com')).rejects.toMatchObject({
      code: 'ERR_PLATFORM_AUDIENCE_MISMATCH',
      message: expect.stringMatching(
        /FEDERATE_ID_TOKEN.*https:\/\/gitlab\.example\.com.*sts\.amazonaws\.com/,
      ),
    });
  });

  it('accepts an audience among several, and fails with ERR_PLATFORM_TOKEN_EXPIRED when expired', async () => {
    const ok = testContext({ FEDERATE_ID_TOKEN: token(['a', 'b']) });
    await expect(gitlab.create(ok).tokenSource.idToken('b')).resolves.toMatch(/^ey/);
    const expired = testContext({ FEDERATE_ID_TOKEN: token('a', now / 1000 - 10) });
    await expect(gitlab.create(expired).tokenSource.idToken('a')).rejects.toMatchObject({
      code: 'ERR_PLATFORM_TOKEN_EXPIRED',
    });
  });
});

describe('gitlab sink', () => {
  it('chooses a private directory outside the project directory', () => {
    const ctx = testContext({ CI_PROJECT_DIR: '/builds/g/p', CI_JOB_ID: '42', CI_BUILDS_DIR: '/builds' });
    const dir = gitlabPrivateDir(ctx);
    expect(dir).toBe('/builds/g/p.tmp/federate-42');
    expect(dir.startsWith('/builds/g/p/')).toBe(false);
  });

  it('exports through env.sh that bash sources back byte for byte, outputs only non-secret values', async () => {
    await withTempDir(async (root) => {
      const ctx = testContext({ CI_PROJECT_DIR: join(root, 'project'), CI_JOB_ID: '7', GITLAB_CI: 'true' });
      const platform = gitlab.create(ctx);
      const vars = HOSTILE_VALUES.map((v, i) => ({ name: `H_${i}`, value: v, secret: true }));
      platform.sink.mask('anything');
      await platform.sink.exportEnv(vars);
      await platform.sink.setOutputs([
        { name: 'aws-account-id', value: '111111111111', secret: false },
        { name: 'session-token', value: 'super-secret-session', secret: true },
        { name: 'multi', value: 'a\nb', secret: false },
      ]);
      const envFile = join(platform.privateDir, GITLAB_ENV_FILE);
      const got = await sourceWithBash(
        envFile,
        vars.map((v) => v.name),
      );
      for (const v of vars) expect(got[v.name]).toBe(v.value);
      expect((await lstat(envFile)).mode & 0o777).toBe(0o600);
      expect((await lstat(platform.privateDir)).mode & 0o777).toBe(0o700);
      const outputs = await readFile(join(platform.privateDir, GITLAB_OUTPUTS_FILE), 'utf8');
      expect(outputs).toBe('AWS_ACCOUNT_ID=111111111111\n');
      // Nothing secret reached the job log.
      await platform.sink.writeSummary({
        platform: 'gitlab',
        dryRun: false,
        identity: undefined,
        exchanges: [],
      });
      expect(ctx.out.join('')).toContain(envFile);
      for (const v of vars.filter((x) => x.value.length > 12))
        expect(ctx.out.join('')).not.toContain(v.value);
      const result = await platform.cleanup();
      expect(result.removed).toContain(envFile);
      await expect(lstat(platform.privateDir)).rejects.toThrow();
    });
  });

  it('refuses GitLab-reserved and dangerous names', async () => {
    await withTempDir(async (root) => {
      const platform = gitlab.create(testContext({}, { privateDir: join(root, 'p') }));
      for (const name of ['CI_JOB_TOKEN', 'GITLAB_USER_LOGIN', 'LD_PRELOAD'])
        await expect(platform.sink.exportEnv([{ name, value: 'v', secret: false }])).rejects.toMatchObject({
          code: 'ERR_PLATFORM_EXPORT',
        });
    });
  });
});
