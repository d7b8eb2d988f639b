import { statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Deps,
  encodedForms,
  federate,
  type RunSummary,
  renderSummaryText,
  type SecretRegistry,
  type Target,
} from '@federate/core';
import { startGitHubIssuer } from '@federate/testkit';
import { describe, expect, it } from 'vitest';
import { detectPlatform, PLATFORMS } from './detect.js';
import { nodeTransport } from './shared/transport.js';
import { fakeJwt, parseRunnerFile, testContext, withTempDir } from './shared/testing.js';

const summary: RunSummary = {
  platform: 'any',
  dryRun: false,
  identity: {
    issuer: 'https://issuer.example',
    subject: 'subject-1',
    audience: ['aud-1'],
    expiresAt: '2030-01-01T00:00:00.000Z',
    claims: { sub: 'subject-1' },
  },
  exchanges: [
    {
      id: 'aws',
      target: 'aws',
      title: 'AWS STS',
      audience: 'aud-1',
      ok: true,
      principal: 'arn:aws:iam::111111111111:role/deploy',
      expiresAt: '2030-01-01T01:00:00.000Z',
      env: ['AWS_ACCESS_KEY_ID'],
      outputs: ['aws-account-id'],
      files: [],
      notes: ['a note'],
    },
    {
      id: 'vault',
      target: 'vault',
      title: 'Vault',
      audience: 'aud-2',
      ok: false,
      env: [],
      outputs: [],
      files: [],
      notes: [],
      error: { code: 'ERR_EXCHANGE_REJECTED', message: 'role not bound', hint: 'bind the role' },
    },
  ],
};

describe('detectPlatform', () => {
  it.each([
    [{ GITHUB_ACTIONS: 'true' }, 'github'],
    [{ GITLAB_CI: 'true' }, 'gitlab'],
    [{ CIRCLECI: 'true' }, 'circleci'],
    [{ BUILD_ID: 'b', PROJECT_ID: 'p' }, 'cloudbuild'],
    [{ FEDERATE_TOKEN_FILE: '/var/run/token' }, 'file'],
    [{ GITHUB_ACTIONS: 'true', FEDERATE_PLATFORM: 'file' }, 'file'],
  ])('detects %j as %s', (env, name) => {
    expect(detectPlatform(env).name).toBe(name);
  });

  it('lists, per platform, what it looked for', () => {
    const error = (() => {
      try {
        detectPlatform({});
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    expect(error?.code).toBe('ERR_PLATFORM_NOT_DETECTED');
    for (const name of Object.keys(PLATFORMS)) expect(error?.message).toContain(`${name}:`);
    expect(error?.message).toContain('GITLAB_CI=true');
    expect(() => detectPlatform({ FEDERATE_PLATFORM: 'jenkins' })).toThrow(
      expect.objectContaining({ code: 'ERR_PLATFORM_NOT_DETECTED' }),
    );
  });
});

describe('every sink', () => {
  it('renders the same RunSummary', async () => {
    await withTempDir(async (dir) => {
      const expected = renderSummaryText(summary);
      for (const module of Object.values(PLATFORMS)) {
        const stepSummary = join(dir, `${module.name}-summary`);
        await writeFile(stepSummary, '');
        const ctx = testContext(
          { GITHUB_STEP_SUMMARY: stepSummary, TMPDIR: dir, RUNNER_TEMP: dir, FEDERATE_WORKSPACE: dir },
          { privateDir: join(dir, module.name), outputFile: join(dir, `${module.name}.out`) },
        );
        await module.create(ctx).sink.writeSummary(summary);
        expect(ctx.out.join(''), module.name).toContain(expected);
      }
    });
  });
});

describe('with the orchestration', () => {
  it('GitHub masks every secret before the first byte is exported', async () => {
    const issuer = await startGitHubIssuer();
    try {
      await withTempDir(async (dir) => {
        const files = {
          GITHUB_ENV: join(dir, 'env'),
          GITHUB_OUTPUT: join(dir, 'out'),
          GITHUB_STATE: join(dir, 'state'),
        };
        for (const f of Object.values(files)) await writeFile(f, '');
        const env = { ...issuer.env(), ...files, RUNNER_TEMP: dir };
        const ctx = testContext(env);
        const exported = () => statSync(files.GITHUB_ENV).size + statSync(files.GITHUB_OUTPUT).size;
        const maskedAt: number[] = [];
        const write = ctx.write;
        ctx.write = (t) => {
          if (t.startsWith('::add-mask::')) maskedAt.push(exported());
          write(t);
        };
        const platform = PLATFORMS.github.create(ctx);
        const target: Target<null> = {
          name: 'fake',
          title: 'Fake STS',
          parse: () => null,
          audience: () => 'fake-aud',
          async exchange() {
            return {
              target: 'fake',
              principal: 'fake-role',
              expiresAt: undefined,
              values: [
                { name: 'key', value: 'AKIA-secret-key-value', secret: true, env: 'FAKE_KEY', output: 'key' },
                { name: 'region', value: 'eu-west-1', secret: false, env: 'FAKE_REGION' },
              ],
              files: [
                { name: 'fake/creds', content: 'file-secret-content', secret: true, env: ['FAKE_FILE'] },
              ],
              revoke: [],
              notes: [],
            };
          },
        };
        const deps: Deps = {
          transport: nodeTransport,
          env,
          now: Date.now,
          sleep: async () => {},
          random: Math.random,
          log: ctx.log,
          secrets: ctx.secrets as SecretRegistry,
          userAgent: 'federate-test',
        };
        await federate({
          platform,
          deps,
          config: {
            exchanges: [
              {
                id: 'fake',
                target: target as Target<unknown>,
                audience: 'fake-aud',
                options: null,
                exportEnv: true,
              },
            ],
            exportEnv: true,
            outputs: true,
            cleanup: true,
            dryRun: false,
            timeoutMs: 30_000,
          },
        });
        expect(maskedAt.length).toBeGreaterThan(3);
        expect(maskedAt.every((size) => size === 0)).toBe(true);
        const envEntries = parseRunnerFile(await readFile(files.GITHUB_ENV, 'utf8'));
        expect(envEntries.find((e) => e.name === 'FAKE_KEY')?.value).toBe('AKIA-secret-key-value');
        const log = ctx.out.join('');
        for (const secret of ['AKIA-secret-key-value', 'file-secret-content'])
          expect(log.replaceAll(`::add-mask::${secret}\n`, '')).not.toContain(secret);
        expect(log).toContain('✓ fake: fake-role');
        const cleanup = await platform.cleanup();
        expect(cleanup.removed.length).toBeGreaterThan(0);
      });
    } finally {
      await issuer.close();
    }
  });
});

describe('tokens never reach messages', () => {
  it('an audience mismatch names audiences, not the token', async () => {
    const token = fakeJwt({ aud: 'one', exp: Math.floor(Date.now() / 1000) + 60 });
    const error = await PLATFORMS.file
      .create(testContext({ FEDERATE_ID_TOKEN: token }))
      .tokenSource.idToken('two')
      .catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'ERR_PLATFORM_AUDIENCE_MISMATCH' });
    const visible = `${(error as Error).message} ${(error as { hint?: string }).hint ?? ''} ${String((error as Error).cause)}`;
    for (const form of encodedForms(token)) expect(visible).not.toContain(form);
    expect((error as Error).message).toMatch(/\bone\b/);
  });
});
