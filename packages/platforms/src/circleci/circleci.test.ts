import { lstat, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecFunction } from '@federate/core';
import { startCircleCIIssuer } from '@federate/testkit';
import { execNoShell } from '../shared/exec.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeJwt, HOSTILE_VALUES, sourceWithBash, testContext, withTempDir } from '../shared/testing.js';
import { circleci } from './index.js';

type Issuer = Awaited<ReturnType<typeof startCircleCIIssuer>>;
let issuer: Issuer;
beforeAll(async () => {
  issuer = await startCircleCIIssuer();
});
afterAll(async () => {
  await issuer.close();
});

// The product's own exec (no shell; a missing program resolves with code 127, never rejects).
const realExec: ExecFunction = execNoShell;

const claimsOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[1] as string, 'base64url').toString());

describe('circleci token source', () => {
  it('uses CIRCLE_OIDC_TOKEN_V2 when the audience is the org id (the default audience)', async () => {
    const env = await issuer.jobEnv();
    const calls: string[][] = [];
    const exec: ExecFunction = async (_f, args) => {
      calls.push([...args]);
      return { code: 1, stdout: '', stderr: '' };
    };
    const platform = circleci.create(testContext(env, {}, { exec }));
    expect(platform.defaultAudience).toBe(issuer.orgId);
    expect(await platform.tokenSource.idToken(issuer.orgId)).toBe(env['CIRCLE_OIDC_TOKEN_V2']);
    const v1 = circleci.create(testContext(env, { circleciTokenVersion: 'v1' }, { exec }));
    expect(await v1.tokenSource.idToken(issuer.orgId)).toBe(env['CIRCLE_OIDC_TOKEN']);
    expect(calls).toEqual([]);
  });

  it('mints with `circleci run oidc get --claims` (argv, JSON) for another audience', async () => {
    await withTempDir(async (dir) => {
      await issuer.writeCircleciShim(dir);
      const env = { ...(await issuer.jobEnv()), PATH: `${dir}:${process.env['PATH']}` };
      const calls: Array<readonly string[]> = [];
      const exec: ExecFunction = (f, args, opts) => {
        calls.push(args);
        return realExec(f, args, opts);
      };
      const audience = `sts.amazonaws.com" '$(x)`;
      const token = await circleci.create(testContext(env, {}, { exec })).tokenSource.idToken(audience);
      expect(claimsOf(token).aud).toBe(audience);
      expect(calls).toEqual([['run', 'oidc', 'get', '--claims', JSON.stringify({ aud: audience })]]);
    });
  });

  it('maps a failing or missing CLI to ERR_PLATFORM_TOKEN_REQUEST', async () => {
    const env = await issuer.jobEnv();
    const failing: ExecFunction = async () => ({ code: 1, stdout: '', stderr: 'Error: not in a job\n' });
    await expect(
      circleci.create(testContext(env, {}, { exec: failing })).tokenSource.idToken('x'),
    ).rejects.toMatchObject({
      code: 'ERR_PLATFORM_TOKEN_REQUEST',
    });
    const missing: ExecFunction = (f, a, o) => realExec(`/nonexistent/${f}`, a, o);
    await expect(
      circleci.create(testContext(env, {}, { exec: missing })).tokenSource.idToken('x'),
    ).rejects.toMatchObject({
      code: 'ERR_PLATFORM_TOKEN_REQUEST',
    });
  });

  it('mints a fresh token when the job token has expired', async () => {
    const expired = fakeJwt({ aud: 'org', exp: Math.floor(Date.now() / 1000) - 5 });
    const fresh = fakeJwt({ aud: 'org', exp: Math.floor(Date.now() / 1000) + 3600 });
    const exec: ExecFunction = async () => ({ code: 0, stdout: `${fresh}\n`, stderr: '' });
    const ctx = testContext({ CIRCLE_OIDC_TOKEN_V2: expired, CIRCLE_ORGANIZATION_ID: 'org' }, {}, { exec });
    expect(await circleci.create(ctx).tokenSource.idToken('org')).toBe(fresh);
  });
});

describe('circleci sink', () => {
  it('appends exports to BASH_ENV (created 0600) that bash sources back byte for byte', async () => {
    await withTempDir(async (dir) => {
      const bashEnv = join(dir, 'bash_env');
      const ctx = testContext({
        CIRCLECI: 'true',
        BASH_ENV: bashEnv,
        TMPDIR: dir,
        CIRCLE_WORKFLOW_JOB_ID: 'abc-123',
      });
      const platform = circleci.create(ctx);
      expect(platform.privateDir).toBe(join(dir, 'federate-abc-123'));
      const vars = HOSTILE_VALUES.map((v, i) => ({ name: `H_${i}`, value: v, secret: true }));
      await platform.sink.exportEnv(vars);
      await platform.sink.setOutputs([
        { name: 'aws-account-id', value: '111111111111', secret: false },
        { name: 'secret-out', value: 'do-not-export-me', secret: true },
      ]);
      expect((await lstat(bashEnv)).mode & 0o777).toBe(0o600);
      const got = await sourceWithBash(bashEnv, [...vars.map((v) => v.name), 'AWS_ACCOUNT_ID']);
      for (const v of vars) expect(got[v.name]).toBe(v.value);
      expect(got['AWS_ACCOUNT_ID']).toBe('111111111111');
      expect(await readFile(bashEnv, 'utf8')).not.toContain('do-not-export-me');
      const path = await platform.sink.writeFile({ name: 'token', content: 'jwt', secret: true });
      expect((await lstat(path)).mode & 0o777).toBe(0o600);
      expect((await platform.cleanup()).removed).toContain(path);
    });
  });

  it('refuses a BASH_ENV that is a symlink, and reserved names', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'target'), '');
      await symlink(join(dir, 'target'), join(dir, 'link'));
      const platform = circleci.create(testContext({ BASH_ENV: join(dir, 'link'), TMPDIR: dir }));
      await expect(platform.sink.exportEnv([{ name: 'A', value: 'v', secret: false }])).rejects.toMatchObject(
        {
          code: 'ERR_PLATFORM_EXPORT',
        },
      );
      const ok = circleci.create(testContext({ BASH_ENV: join(dir, 'env'), TMPDIR: dir }));
      await expect(
        ok.sink.exportEnv([{ name: 'CIRCLE_TOKEN', value: 'v', secret: false }]),
      ).rejects.toMatchObject({
        code: 'ERR_PLATFORM_EXPORT',
      });
    });
  });
});
