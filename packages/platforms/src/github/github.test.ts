import { readFileSync, statSync } from 'node:fs';
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSummary } from '@federate/core';
import { startGitHubIssuer, startServer, sendJson } from '@federate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeCommandData } from '../shared/escape.js';
import { HOSTILE_VALUES, parseRunnerFile, testContext, withTempDir } from '../shared/testing.js';
import { GITHUB_STATE_KEY, github, inputVariable, loadState, readGitHubInputs } from './index.js';

type Issuer = Awaited<ReturnType<typeof startGitHubIssuer>>;
let issuer: Issuer;
beforeAll(async () => {
  issuer = await startGitHubIssuer();
});
afterAll(async () => {
  await issuer.close();
});

async function runnerFiles(dir: string): Promise<Record<string, string>> {
  const files = {
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
  };
  for (const f of Object.values(files)) await writeFile(f, '');
  return { ...files, RUNNER_TEMP: dir, GITHUB_ACTIONS: 'true' };
}

const summary: RunSummary = {
  platform: 'github',
  dryRun: false,
  identity: {
    issuer: 'https://token.actions.githubusercontent.com',
    subject: 'repo:octo-org/octo-repo:ref:refs/heads/main',
    audience: ['sts.amazonaws.com'],
    claims: { sub: 'repo:octo-org/octo-repo:ref:refs/heads/main' },
  },
  exchanges: [
    {
      id: 'aws',
      target: 'aws',
      title: 'AWS STS',
      audience: 'sts.amazonaws.com',
      ok: true,
      principal: 'arn:aws:iam::111111111111:role/deploy',
      env: ['AWS_ACCESS_KEY_ID'],
      outputs: ['aws-account-id'],
      files: [],
      notes: [],
    },
  ],
};

describe('github token source', () => {
  it('requests a token for the audience, encoded, with the bearer request token', async () => {
    const ctx = testContext(issuer.env());
    const platform = github.create(ctx);
    const audience = 'https://example.com/a b&c=d';
    const token = await platform.tokenSource.idToken(audience);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    expect(claims.aud).toBe(audience);
    const req = issuer.server.requests.at(-1)!;
    expect(req.query.get('audience')).toBe(audience);
    expect(req.query.get('api-version')).toBe('2.0');
    expect(ctx.secrets.contains(token)).toBe(true);
    expect(ctx.secrets.contains(issuer.requestToken)).toBe(true);
  });

  it('sends no audience parameter when none is asked for (GitHub applies its default)', async () => {
    const ctx = testContext(issuer.env());
    await github.create(ctx).tokenSource.idToken('');
    expect(issuer.server.requests.at(-1)!.query.has('audience')).toBe(false);
  });

  it('fails with ERR_PLATFORM_TOKEN_PERMISSION when the request variables are missing', async () => {
    const denied = await startGitHubIssuer({ denyIdToken: true });
    try {
      const ctx = testContext(denied.env());
      await expect(github.create(ctx).tokenSource.idToken('sts.amazonaws.com')).rejects.toMatchObject({
        code: 'ERR_PLATFORM_TOKEN_PERMISSION',
        hint: expect.stringContaining('id-token: write'),
      });
    } finally {
      await denied.close();
    }
  });

  it('names the fork when a pull_request comes from one', async () => {
    await withTempDir(async (dir) => {
      const event = join(dir, 'event.json');
      await writeFile(
        event,
        JSON.stringify({
          pull_request: {
            head: { repo: { full_name: 'fork/repo' } },
            base: { repo: { full_name: 'octo/repo' } },
          },
        }),
      );
      const ctx = testContext({
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: event,
      });
      await expect(github.create(ctx).tokenSource.idToken('x')).rejects.toMatchObject({
        code: 'ERR_PLATFORM_TOKEN_PERMISSION',
        hint: expect.stringContaining('fork/repo'),
      });
    });
  });

  it('maps 403 and 401 to ERR_PLATFORM_TOKEN_REQUEST with the status', async () => {
    const denied = await startGitHubIssuer({ denyIdToken: true });
    try {
      const env = {
        ...issuer.env(),
        ACTIONS_ID_TOKEN_REQUEST_URL: denied.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: denied.requestToken,
      };
      await expect(github.create(testContext(env)).tokenSource.idToken('a')).rejects.toMatchObject({
        code: 'ERR_PLATFORM_TOKEN_REQUEST',
        status: 403,
      });
      const wrong = { ...issuer.env(), ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'not-the-request-token' };
      await expect(github.create(testContext(wrong)).tokenSource.idToken('a')).rejects.toMatchObject({
        code: 'ERR_PLATFORM_TOKEN_REQUEST',
        status: 401,
      });
    } finally {
      await denied.close();
    }
  });

  it('retries 5xx per core policy, and rejects a body without a token', async () => {
    issuer.server.faults.add({ kind: 'status', status: 503, times: 2 });
    const before = issuer.server.requests.length;
    const ctx = testContext(issuer.env());
    await expect(github.create(ctx).tokenSource.idToken('a')).resolves.toMatch(/^ey/);
    expect(issuer.server.requests.length - before).toBe(3);
    const server = await startServer((_req, res) => sendJson(res, 200, { count: 0 }));
    try {
      const env = { ...issuer.env(), ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/idtoken?api-version=2.0` };
      await expect(github.create(testContext(env)).tokenSource.idToken('a')).rejects.toMatchObject({
        code: 'ERR_PLATFORM_TOKEN_REQUEST',
      });
    } finally {
      await server.close();
    }
  });
});

describe('github sink', () => {
  it('masks every secret form before anything is exported', async () => {
    await withTempDir(async (dir) => {
      const env = await runnerFiles(dir);
      const ctx = testContext(env);
      const sizes: number[] = [];
      const write = ctx.write;
      ctx.write = (text) => {
        if (text.startsWith('::add-mask::'))
          sizes.push(statSync(env.GITHUB_ENV!).size + statSync(env.GITHUB_OUTPUT!).size);
        write(text);
      };
      const platform = github.create(ctx);
      // Subscribed exactly as the orchestration does (core orchestrate.ts).
      ctx.secrets.onSecret((f) => platform.sink.mask(f), {
        plainOnly: platform.sink.masksEncodings === true,
      });
      const secret = 'multi-line secret\nsecond line of it\n';
      await platform.sink.exportEnv([
        { name: 'AWS_SECRET_ACCESS_KEY', value: secret, secret: true },
        { name: 'AWS_REGION', value: 'eu-west-1', secret: false },
      ]);
      await platform.sink.setOutputs([{ name: 'session-token', value: 'sess-token-value', secret: true }]);
      const masks = ctx.out.filter((l) => l.startsWith('::add-mask::'));
      // The raw values and each line: the runner derives base64, JSON and URI forms itself.
      const envMasks = [secret, 'multi-line secret', 'second line of it'].map(
        (v) => `::add-mask::${escapeCommandData(v)}\n`,
      );
      for (const m of [...envMasks, '::add-mask::sess-token-value\n']) expect(masks).toContain(m);
      expect(masks).not.toContain(`::add-mask::${Buffer.from(secret).toString('base64')}\n`);
      expect(masks).not.toContain('::add-mask::eu-west-1\n');
      // Masks of the env secret came while both files were empty; the output's before the output was written.
      expect(sizes.length).toBe(masks.length);
      expect(sizes.slice(0, envMasks.length).every((s) => s === 0)).toBe(true);
      expect(parseRunnerFile(readFileSync(env.GITHUB_ENV!, 'utf8'))).toEqual([
        { name: 'AWS_SECRET_ACCESS_KEY', value: secret },
        { name: 'AWS_REGION', value: 'eu-west-1' },
      ]);
    });
  });

  it('writes hostile values that the runner reads back exactly', async () => {
    await withTempDir(async (dir) => {
      const env = await runnerFiles(dir);
      const platform = github.create(testContext(env));
      const vars = HOSTILE_VALUES.map((v, i) => ({ name: `H_${i}`, value: v, secret: i % 2 === 0 }));
      await platform.sink.exportEnv(vars);
      await platform.sink.setOutputs(
        vars.map((v) => ({ ...v, name: v.name.toLowerCase().replace('_', '-') })),
      );
      expect(parseRunnerFile(await readFile(env.GITHUB_ENV!, 'utf8'))).toEqual(
        vars.map(({ name, value }) => ({ name, value })),
      );
      expect(parseRunnerFile(await readFile(env.GITHUB_OUTPUT!, 'utf8'))).toEqual(
        vars.map(({ name, value }) => ({ name: name.toLowerCase().replace('_', '-'), value })),
      );
    });
  });

  it.each(['NODE_OPTIONS', 'LD_PRELOAD', 'PATH', 'BASH_ENV', 'GITHUB_TOKEN', 'RUNNER_TEMP', 'A B'])(
    'refuses to export %s and writes nothing',
    async (name) => {
      await withTempDir(async (dir) => {
        const env = await runnerFiles(dir);
        const platform = github.create(testContext(env));
        await expect(
          platform.sink.exportEnv([
            { name: 'OK_NAME', value: 'v', secret: false },
            { name, value: 'v', secret: false },
          ]),
        ).rejects.toMatchObject({ code: 'ERR_PLATFORM_EXPORT' });
        expect(await readFile(env.GITHUB_ENV!, 'utf8')).toBe('');
      });
    },
  );

  it('writes files under RUNNER_TEMP, saves state for post, and post cleans up', async () => {
    await withTempDir(async (dir) => {
      const env = await runnerFiles(dir);
      const main = github.create(testContext(env));
      expect(main.privateDir.startsWith(join(dir, 'federate-'))).toBe(true);
      const path = await main.sink.writeFile({
        name: 'gcp/credentials.json',
        content: '{"k":"v"}',
        secret: true,
      });
      await main.sink.recordCleanup({
        files: [],
        revoke: [{ target: 'vault', data: { token: 'hvs.abcdef' }, secretKeys: ['token'] }],
      });
      expect((await lstat(main.privateDir)).mode & 0o777).toBe(0o700);
      expect((await lstat(path)).mode & 0o777).toBe(0o600);
      const saved = parseRunnerFile(await readFile(env.GITHUB_STATE!, 'utf8')).filter(
        (e) => e.name === GITHUB_STATE_KEY,
      );
      // The post step sees the last value saved, as STATE_<name>.
      const postEnv = { ...env, [`STATE_${GITHUB_STATE_KEY}`]: saved.at(-1)!.value };
      expect(loadState(postEnv)?.files).toContain(path);
      const post = github.create(testContext(postEnv));
      expect(post.privateDir).toBe(main.privateDir);
      const result = await post.cleanup();
      expect(result.revoke).toHaveLength(1);
      expect(result.removed).toContain(path);
      expect(result.removed).toContain(main.privateDir);
      await expect(lstat(main.privateDir)).rejects.toThrow();
    });
  });

  it('appends the markdown summary to GITHUB_STEP_SUMMARY and prints the text summary', async () => {
    await withTempDir(async (dir) => {
      const env = await runnerFiles(dir);
      const ctx = testContext(env);
      await github.create(ctx).sink.writeSummary(summary);
      expect(await readFile(env.GITHUB_STEP_SUMMARY!, 'utf8')).toContain('| aws (AWS STS) | ok |');
      expect(ctx.out.join('')).toContain('✓ aws: arn:aws:iam::111111111111:role/deploy');
    });
  });
});

describe('github inputs', () => {
  it('reads inputs like @actions/core getInput', () => {
    const env = { 'INPUT_ROLE-ARN': '  arn:aws:iam::1:role/x \n', INPUT_MY_INPUT: 'v', INPUT_EMPTY: '  ' };
    expect(inputVariable('my input')).toBe('INPUT_MY_INPUT');
    expect(readGitHubInputs(env, ['role-arn', 'my input', 'empty', 'missing'])).toEqual({
      'role-arn': 'arn:aws:iam::1:role/x',
      'my input': 'v',
      empty: undefined,
      missing: undefined,
    });
  });

  it('ignores state that is not ours', () => {
    expect(loadState({ [`STATE_${GITHUB_STATE_KEY}`]: '{"version":2}' })).toBeUndefined();
    expect(loadState({})).toBeUndefined();
  });
});
