import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGceMetadata } from '@federate/testkit';
import { describe, expect, it } from 'vitest';
import { HOSTILE_VALUES, sourceWithBash, testContext, withTempDir } from '../shared/testing.js';
import { CLOUDBUILD_ENV_FILE, cloudbuild } from './index.js';

const claimsOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[1] as string, 'base64url').toString());

describe('cloudbuild token source', () => {
  it('gets a full-format ID token for the audience from the metadata server', async () => {
    const md = await startGceMetadata();
    try {
      const ctx = testContext(md.env());
      const token = await cloudbuild.create(ctx).tokenSource.idToken('https://sts.example/a?b=c');
      expect(claimsOf(token)).toMatchObject({
        aud: 'https://sts.example/a?b=c',
        email: md.serviceAccountEmail,
      });
      const req = md.server.requests.find((r) => r.path.endsWith('/identity'))!;
      expect(req.query.get('format')).toBe('full');
      expect(req.header('metadata-flavor')).toBe('Google');
      expect(ctx.secrets.contains(token)).toBe(true);
    } finally {
      await md.close();
    }
  });

  it('fails with ERR_PLATFORM_DEFAULT_SERVICE_ACCOUNT naming the fix', async () => {
    const md = await startGceMetadata({ defaultServiceAccount: true });
    try {
      await expect(cloudbuild.create(testContext(md.env())).tokenSource.idToken('aud')).rejects.toMatchObject(
        {
          code: 'ERR_PLATFORM_DEFAULT_SERVICE_ACCOUNT',
          hint: expect.stringContaining('serviceAccount'),
        },
      );
    } finally {
      await md.close();
    }
  });

  it('retries 5xx and maps a refusal to ERR_PLATFORM_TOKEN_REQUEST', async () => {
    const md = await startGceMetadata();
    try {
      md.server.faults.add({
        kind: 'status',
        status: 503,
        times: 2,
        path: '/computeMetadata/v1/instance/service-accounts/default/identity',
      });
      await expect(cloudbuild.create(testContext(md.env())).tokenSource.idToken('aud')).resolves.toMatch(
        /^ey/,
      );
      md.server.faults.add({
        kind: 'status',
        status: 403,
        path: '/computeMetadata/v1/instance/service-accounts/default/identity',
      });
      await expect(cloudbuild.create(testContext(md.env())).tokenSource.idToken('aud')).rejects.toMatchObject(
        {
          code: 'ERR_PLATFORM_TOKEN_REQUEST',
          status: 403,
        },
      );
    } finally {
      await md.close();
    }
  });

  it('refuses a metadata host that is neither loopback nor the metadata server', async () => {
    await expect(
      cloudbuild.create(testContext({ GCE_METADATA_HOST: 'evil.example.com' })).tokenSource.idToken('aud'),
    ).rejects.toMatchObject({ code: 'ERR_HTTP_INSECURE_URL' });
  });
});

describe('cloudbuild sink', () => {
  it('writes /workspace/.federate/env.sh and 0600 files, lists env lines, and cleanup removes .federate', async () => {
    await withTempDir(async (workspace) => {
      const ctx = testContext({ FEDERATE_WORKSPACE: workspace, BUILD_ID: 'b', PROJECT_ID: 'p' });
      const platform = cloudbuild.create(ctx);
      expect(platform.privateDir).toBe(join(workspace, '.federate'));
      const file = await platform.sink.writeFile({
        name: 'aws/credentials',
        content: '[default]\n',
        secret: true,
      });
      const vars = [
        ...HOSTILE_VALUES.map((v, i) => ({ name: `H_${i}`, value: v, secret: true })),
        { name: 'AWS_SHARED_CREDENTIALS_FILE', value: file, secret: false },
      ];
      await platform.sink.exportEnv(vars);
      await platform.sink.setOutputs([{ name: 'aws-account-id', value: '111111111111', secret: false }]);
      const envFile = join(platform.privateDir, CLOUDBUILD_ENV_FILE);
      const got = await sourceWithBash(envFile, [...vars.map((v) => v.name), 'AWS_ACCOUNT_ID']);
      for (const v of vars) expect(got[v.name]).toBe(v.value);
      expect(got['AWS_ACCOUNT_ID']).toBe('111111111111');
      for (const p of [file, envFile]) expect((await lstat(p)).mode & 0o777).toBe(0o600);
      await platform.sink.writeSummary({
        platform: 'cloudbuild',
        dryRun: false,
        identity: undefined,
        exchanges: [],
      });
      const printed = ctx.out.join('');
      expect(printed).toContain(`'AWS_SHARED_CREDENTIALS_FILE=${file}'`);
      expect(printed).toContain(envFile);
      expect(printed).not.toContain(HOSTILE_VALUES.at(-1));
      expect(await readFile(envFile, 'utf8')).toContain('export H_0=');
      await platform.cleanup();
      await expect(lstat(platform.privateDir)).rejects.toThrow();
    });
  });
});
