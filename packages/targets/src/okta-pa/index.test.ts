import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ExecFunction, FederateError } from '@federate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSft, type FakeSftConfig, writeFakeSft } from '../../../testkit/src/fakes/sft.js';
import { createKeyStore } from '../../../testkit/src/keys.js';
import { parseOptions, type TestContext, testContext } from '../shared/test-context.js';
import { oktaPaTarget } from './index.js';
import { JWT_ENV, PASSED_ENV } from './request.js';

// The CLI's exec (packages/cli/src/runtime.ts) in miniature: argv array, no shell, given env only.
const exec: ExecFunction = (file, args, opts) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { env: opts.env, timeout: opts.timeoutMs ?? 30_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });

const AUD = 'https://acme.pam.okta.com';
const SUB = 'repo:acme/app:ref:refs/heads/main';
const keys = createKeyStore();
const WORLD: FakeSftConfig = {
  teams: {
    acme: {
      connections: {
        gh: {
          status: 'active',
          audience: AUD,
          issuer: 'https://token.actions.githubusercontent.com',
          claims: [
            { claim: 'repository', op: 'equals', value: 'acme/app' },
            { claim: 'ref', op: 'startsWith', value: 'refs/heads/' },
            { claim: 'run_id', op: 'exists' },
          ],
          roles: { deployer: {}, dba: { constraint: 'mfa' }, breakglass: { constraint: 'access-request' } },
        },
        staging: { status: 'draft', audience: AUD },
        old: { status: 'inactive' },
      },
    },
  },
};

let dir: string;
let sft: FakeSft;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'federate-okta-pa-'));
  sft = writeFakeSft(dir, WORLD);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function mint(claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return keys.sign({
    iss: 'https://token.actions.githubusercontent.com',
    sub: SUB,
    aud: AUD,
    repository: 'acme/app',
    ref: 'refs/heads/main',
    run_id: '42',
    iat: now,
    exp: now + 300,
    ...claims,
  });
}

function ctxFor(token: string, env: Record<string, string> = {}): TestContext {
  const ctx = testContext({
    token,
    env: {
      PATH: `${dir}:${process.env['PATH'] ?? ''}`,
      HOME: dir,
      AWS_SECRET_ACCESS_KEY: 'job-secret-must-not-reach-sft',
      ...env,
    },
  });
  return Object.assign(ctx, { exec });
}

function opts(extra: Record<string, string> = {}) {
  return parseOptions(oktaPaTarget, { team: 'acme', connection: 'gh', 'role-hint': 'deployer', ...extra });
}

async function failure(p: Promise<unknown>): Promise<FederateError & { serverCode?: string }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FederateError);
    return e as FederateError;
  }
  throw new Error('expected the exchange to fail');
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('okta-pa exchange through a stand-in sft', () => {
  it('authenticates, exports OPA_TOKEN with team and connection, and keeps the JWT out of argv', async () => {
    sft.configure(WORLD);
    const jwt = await mint();
    const ctx = ctxFor(jwt);
    const creds = await oktaPaTarget.exchange(ctx, opts({ address: 'https://acme.pam.okta.com' }));
    const call = sft.calls().at(-1);
    const token = creds.values.find((v) => v.name === 'token');
    expect(call?.issued).toMatch(/^opa_/);
    expect(token).toMatchObject({ value: call?.issued, secret: true, env: 'OPA_TOKEN', output: 'opa-token' });
    expect(Object.fromEntries(creds.values.map((v) => [v.env, v.value]))).toMatchObject({
      OPA_TEAM: 'acme',
      SFT_TEAM: 'acme',
      OPA_CONNECTION: 'gh',
      OPA_ADDR: 'https://acme.pam.okta.com',
      OPA_WORKLOAD_ROLE: 'deployer',
    });
    expect(creds.principal).toBe('acme/gh as deployer');
    expect(creds.revoke).toEqual([]);
    expect(creds.notes.join(' ')).toMatch(/not refreshable/);

    // What sft received: the JWT by environment only, a minimal environment, no job secrets.
    expect(call?.argv).toEqual([
      'workload',
      'authenticate',
      '--team',
      'acme',
      '--connection',
      'gh',
      '--jwt-env',
      JWT_ENV,
      '--role-hint',
      'deployer',
    ]);
    expect(call?.jwtInArgv).toBe(false);
    expect(call?.jwtEnv).toBe(JWT_ENV);
    expect(call?.jwtSha256).toBe(sha(jwt));
    expect(call?.env).toEqual({ SFT_TEAM: 'acme', OPA_ADDR: 'https://acme.pam.okta.com' });
    const allowed = new Set<string>([...PASSED_ENV, 'SFT_TEAM', 'OPA_ADDR', JWT_ENV]);
    // The shell shim that may launch node on PATH adds a few of its own (none carry job secrets).
    const added = /^(PWD|SHLVL|_|OLDPWD|LANG|LC_.*|NODE_PATH)$/;
    expect(call?.envKeys.filter((k) => !allowed.has(k) && !added.test(k))).toEqual([]);
    expect(call?.envKeys).not.toContain('AWS_SECRET_ACCESS_KEY');

    // The token is masked and never logged.
    const log = ctx.lines.join('\n');
    expect(ctx.secrets.redact(token?.value ?? '')).toBe('***');
    expect(log).not.toContain(token?.value ?? '');
    expect(log).not.toContain(jwt);
  });

  it('honours a custom env-name and an explicit sft-path', async () => {
    sft.configure({ ...WORLD, token: 'opa_fixed_token_value' });
    const ctx = ctxFor(await mint(), { PATH: dirname(process.execPath) });
    const creds = await oktaPaTarget.exchange(
      ctx,
      opts({ 'env-name': 'DEPLOY_OPA', 'sft-path': sft.path, 'role-hint': '' }),
    );
    expect(creds.values[0]).toMatchObject({ env: 'DEPLOY_OPA', value: 'opa_fixed_token_value' });
    expect(sft.calls().at(-1)?.argv).not.toContain('--role-hint');
  });

  it.each([
    ['a Draft connection', { connection: 'staging' }, {}, 'ERR_EXCHANGE_POLICY', 'ConnectionDraft'],
    ['an MFA policy', { 'role-hint': 'dba' }, {}, 'ERR_EXCHANGE_POLICY', 'InteractiveConstraint'],
    ['an access request', { 'role-hint': 'breakglass' }, {}, 'ERR_EXCHANGE_POLICY', 'InteractiveConstraint'],
    ['an unknown team', { team: 'globex' }, {}, 'ERR_EXCHANGE_REJECTED', 'TeamNotFound'],
    ['an unknown connection', { connection: 'nope' }, {}, 'ERR_EXCHANGE_REJECTED', 'ConnectionNotFound'],
    ['an inactive connection', { connection: 'old' }, {}, 'ERR_EXCHANGE_REJECTED', 'ConnectionInactive'],
    ['an unmatched role', { 'role-hint': 'admin' }, {}, 'ERR_EXCHANGE_REJECTED', 'RoleNotMatched'],
    ['a wrong audience', {}, { aud: 'sts.amazonaws.com' }, 'ERR_EXCHANGE_REJECTED', 'InvalidJwt'],
    ['a failed claim rule', {}, { ref: 'refs/tags/v1' }, 'ERR_EXCHANGE_REJECTED', 'InvalidJwt'],
  ])('maps %s', async (_n, extra, claims, code, serverCode) => {
    sft.configure(WORLD);
    const jwt = await mint(claims);
    const ctx = ctxFor(jwt);
    const err = await failure(oktaPaTarget.exchange(ctx, opts(extra)));
    expect(err).toMatchObject({ code, serverCode });
    expect(err.hint).toBeTruthy();
    expect(err.message).not.toContain(jwt);
    expect(sft.calls().at(-1)?.jwtInArgv).toBe(false);
  });

  it('refuses the unusable token a Draft connection may print', async () => {
    sft.configure({ ...WORLD, draft: 'token' });
    const ctx = ctxFor(await mint());
    const err = await failure(oktaPaTarget.exchange(ctx, opts({ connection: 'staging' })));
    expect(err).toMatchObject({ code: 'ERR_EXCHANGE_POLICY', serverCode: 'ConnectionDraft' });
    const issued = sft.calls().at(-1)?.issued ?? '';
    expect(issued).not.toBe('');
    expect(ctx.secrets.redact(issued)).toBe('***');
    expect(err.message).not.toContain(issued);
  });

  it.each([
    ['a client without workload support', { old: true }, 'ERR_EXCHANGE_FAILED', 'UnsupportedClient'],
    [
      'throttling',
      { forced: { exit: 1, stderr: 'Error: 429 Too Many Requests\n' } },
      'ERR_EXCHANGE_THROTTLED',
      'Throttled',
    ],
    [
      'an unreachable server',
      { forced: { exit: 1, stderr: 'Error: dial tcp: lookup acme.pam.okta.com: no such host\n' } },
      'ERR_HTTP_NETWORK',
      'Network',
    ],
    [
      'noise on stdout',
      { forced: { exit: 0, stdout: 'A new version is available\nopa_x\n' } },
      'ERR_EXCHANGE_BAD_RESPONSE',
      undefined,
    ],
  ] as const)('maps %s', async (_n, extra, code, serverCode) => {
    sft.configure({ ...WORLD, ...extra });
    const err = await failure(oktaPaTarget.exchange(ctxFor(await mint()), opts()));
    expect(err).toMatchObject({ code });
    expect(err.serverCode).toBe(serverCode);
  });

  it('reports a missing client', async () => {
    const err = await failure(
      oktaPaTarget.exchange(ctxFor(await mint()), opts({ 'sft-path': join(dir, 'no-such-sft') })),
    );
    expect(err).toMatchObject({ code: 'ERR_EXCHANGE_FAILED', serverCode: 'SftNotFound' });
  });

  it('reports a timeout when the run used up its time', async () => {
    let t = 0;
    const ctx = Object.assign(testContext({ token: await mint(), now: () => t }), {
      exec: (async () => {
        t += 60_000;
        return { code: 127, stdout: '', stderr: '' };
      }) satisfies ExecFunction,
    });
    expect(await failure(oktaPaTarget.exchange(ctx, opts()))).toMatchObject({ code: 'ERR_HTTP_TIMEOUT' });
  });

  it('fails clearly when the entry point cannot run programs', async () => {
    const ctx = testContext({ token: await mint() });
    expect(await failure(oktaPaTarget.exchange(ctx, opts()))).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    expect(ctx.tokensFetched).toBe(0);
  });
});
