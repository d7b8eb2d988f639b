import { type ExchangeError, FederateError, type RawInputs } from '@federate/core';
import { type GitHubIssuer, startGitHubIssuer } from '@federate/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AwsSts, startAwsSts } from '../../../testkit/src/servers/aws-sts.js';
import { parseOptions, testContext } from '../shared/test-context.js';
import { awsTarget } from './index.js';
import { parseXml, xmlText } from './response.js';

const ROLE = 'arn:aws:iam::123456789012:role/ci';
const LIMITED = 'arn:aws:iam::123456789012:role/limited';
const DEPLOY = 'arn:aws:iam::210987654321:role/deploy';
const OTHER_AUD = 'arn:aws:iam::123456789012:role/custom-aud';

let gh: GitHubIssuer;
let sts: AwsSts;

beforeAll(async () => {
  gh = await startGitHubIssuer({ claims: { repository: 'acme/api', run_id: '777' } });
  sts = await startAwsSts({
    trusted: [{ issuer: gh.issuer, jwksUri: gh.jwksUri }],
    roles: {
      [ROLE]: { conditions: { sub: 'repo:acme/api:*' }, maxSessionDuration: 7200 },
      [LIMITED]: { conditions: { sub: 'repo:acme/other:*' } },
      [OTHER_AUD]: { audiences: ['https://github.com/acme'] },
      [DEPLOY]: {
        trustedPrincipals: [`arn:aws:sts::123456789012:assumed-role/ci/*`],
        externalId: 'ext-123',
      },
    },
  });
});
afterAll(async () => {
  await sts.close();
  await gh.close();
});
afterEach(() => sts.server.faults.clear());

function opts(extra: RawInputs = {}) {
  return parseOptions(awsTarget, { 'role-arn': ROLE, region: 'eu-west-1', endpoint: sts.url, ...extra });
}

async function ctxFor(audience = 'sts.amazonaws.com', overrides: Record<string, unknown> = {}) {
  return testContext({ token: await gh.mintFor(audience, overrides), maxAttempts: 3 });
}

async function failure(p: Promise<unknown>): Promise<ExchangeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FederateError);
    return e as ExchangeError;
  }
  throw new Error('expected the exchange to fail');
}

describe('awsTarget against the STS emulator', () => {
  it('exchanges the token and exports env, outputs, principal and expiry', async () => {
    const ctx = await ctxFor();
    const creds = await awsTarget.exchange(ctx, opts({ duration: '1h' }));
    const session = sts.sessions.at(-1);
    expect(session).toBeDefined();
    expect(creds.principal).toBe(`arn:aws:sts::123456789012:assumed-role/ci/federate-github-777`);
    expect(creds.expiresAt?.getTime()).toBe(session?.expiresAt);
    const byEnv = Object.fromEntries(creds.values.filter((v) => v.env).map((v) => [v.env, v]));
    expect(byEnv['AWS_ACCESS_KEY_ID']?.value).toBe(session?.accessKeyId);
    expect(byEnv['AWS_ACCESS_KEY_ID']?.value).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(byEnv['AWS_SECRET_ACCESS_KEY']).toMatchObject({ value: session?.secretAccessKey, secret: true });
    expect(byEnv['AWS_SESSION_TOKEN']).toMatchObject({ value: session?.sessionToken, secret: true });
    expect(byEnv['AWS_REGION']?.value).toBe('eu-west-1');
    expect(byEnv['AWS_DEFAULT_REGION']?.value).toBe('eu-west-1');
    const outputs = Object.fromEntries(creds.values.filter((v) => v.output).map((v) => [v.output, v.value]));
    expect(outputs['aws-account-id']).toBe('123456789012');
    expect(outputs['aws-assumed-role-arn']).toBe(creds.principal);
    expect(outputs['aws-expiration']).toBe(new Date(session?.expiresAt ?? 0).toISOString());
    expect(creds.files).toEqual([]);
    const body = sts.server.requests.at(-1);
    expect(body?.form?.get('DurationSeconds')).toBe('3600');
    expect(body?.form?.get('WebIdentityToken')).toBe(await ctx.token());
    expect(body?.url).not.toContain('WebIdentityToken');
    for (const line of ctx.lines) expect(line).not.toContain(session?.secretAccessKey ?? '!');
  });

  it('writes a private profile pair instead of credential env vars when `profile` is set', async () => {
    const creds = await awsTarget.exchange(await ctxFor(), opts({ profile: 'ci' }));
    const session = sts.sessions.at(-1);
    const [credFile, configFile] = creds.files;
    expect(credFile).toMatchObject({
      name: 'aws/credentials',
      secret: true,
      mode: 0o600,
      env: ['AWS_SHARED_CREDENTIALS_FILE'],
    });
    expect(credFile?.content).toBe(
      `[ci]\naws_access_key_id = ${session?.accessKeyId}\naws_secret_access_key = ${session?.secretAccessKey}\naws_session_token = ${session?.sessionToken}\n`,
    );
    expect(configFile).toMatchObject({ name: 'aws/config', mode: 0o600, env: ['AWS_CONFIG_FILE'] });
    expect(configFile?.content).toBe('[profile ci]\nregion = eu-west-1\noutput = json\n');
    const envNames = creds.values.flatMap((v) => (v.env ? [v.env] : []));
    expect(envNames).toContain('AWS_PROFILE');
    expect(envNames).not.toContain('AWS_ACCESS_KEY_ID');
    expect(envNames).not.toContain('AWS_SECRET_ACCESS_KEY');
  });

  it('sends the session policy and managed policy ARNs', async () => {
    const policy =
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}';
    await awsTarget.exchange(
      await ctxFor(),
      opts({ 'session-policy': policy, 'managed-policy-arns': 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
    );
    const form = sts.server.requests.at(-1)?.form;
    expect(form?.get('Policy')).toBe(policy);
    expect(form?.get('PolicyArns.member.1.arn')).toBe('arn:aws:iam::aws:policy/ReadOnlyAccess');
  });

  it('chains a second role with a SigV4-signed AssumeRole the emulator verifies', async () => {
    const creds = await awsTarget.exchange(
      await ctxFor(),
      opts({
        'role-chain': DEPLOY,
        'external-id': 'ext-123',
        'session-tags': 'team=platform, env=prod',
        'transitive-tag-keys': 'team',
        duration: '2h',
        'check-identity': 'true',
      }),
    );
    const chained = sts.sessions.at(-1);
    expect(chained?.chained).toBe(true);
    expect(chained?.tags).toEqual({ team: 'platform', env: 'prod' });
    expect(chained?.transitiveTagKeys).toEqual(['team']);
    expect(creds.principal).toBe('arn:aws:sts::210987654321:assumed-role/deploy/federate-github-777');
    expect(creds.values.find((v) => v.output === 'aws-account-id')?.value).toBe('210987654321');
    const chainReq = sts.server.requests.find((r) => r.form?.get('Action') === 'AssumeRole');
    expect(chainReq?.header('authorization')).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIA/);
    expect(chainReq?.form?.get('DurationSeconds')).toBe('3600');
    expect(creds.notes.join(' ')).toMatch(/3600/);
    expect(sts.server.requests.at(-1)?.form?.get('Action')).toBe('GetCallerIdentity');
  });

  it('maps a chained AssumeRole without the external id to AccessDenied', async () => {
    const err = await failure(awsTarget.exchange(await ctxFor(), opts({ 'role-chain': DEPLOY })));
    expect(err.code).toBe('ERR_EXCHANGE_REJECTED');
    expect(err.serverCode).toBe('AccessDenied');
  });

  it('refuses an account outside allowed-account-ids with ERR_EXCHANGE_POLICY', async () => {
    const err = await failure(
      awsTarget.exchange(await ctxFor(), opts({ 'allowed-account-ids': '111111111111' })),
    );
    expect(err.code).toBe('ERR_EXCHANGE_POLICY');
    const ok = await awsTarget.exchange(
      await ctxFor(),
      opts({ 'allowed-account-ids': '111111111111,123456789012' }),
    );
    expect(ok.principal).toMatch(/assumed-role\/ci\//);
  });

  const rejections: Array<
    [
      string,
      () => Promise<{ ctxAud?: string; overrides?: Record<string, unknown>; raw?: RawInputs }>,
      string,
      string,
    ]
  > = [
    [
      'conditions fail',
      async () => ({ raw: { 'role-arn': LIMITED } }),
      'ERR_EXCHANGE_REJECTED',
      'AccessDenied',
    ],
    [
      'unknown role',
      async () => ({ raw: { 'role-arn': 'arn:aws:iam::123456789012:role/nope' } }),
      'ERR_EXCHANGE_REJECTED',
      'AccessDenied',
    ],
    [
      'wrong audience',
      async () => ({ ctxAud: 'https://github.com/acme' }),
      'ERR_EXCHANGE_REJECTED',
      'InvalidIdentityToken',
    ],
    [
      'expired token',
      async () => ({
        overrides: {
          exp: Math.floor(Date.now() / 1000) - 600,
          iat: Math.floor(Date.now() / 1000) - 900,
          nbf: Math.floor(Date.now() / 1000) - 900,
        },
      }),
      'ERR_EXCHANGE_REJECTED',
      'ExpiredTokenException',
    ],
    [
      'duration over the role maximum',
      async () => ({ raw: { duration: '4h' } }),
      'ERR_EXCHANGE_REJECTED',
      'ValidationError',
    ],
  ];
  it.each(rejections)('maps %s to its AWS code', async (_name, setup, code, serverCode) => {
    const s = await setup();
    const err = await failure(awsTarget.exchange(await ctxFor(s.ctxAud, s.overrides), opts(s.raw)));
    expect(err.code).toBe(code);
    expect(err.serverCode).toBe(serverCode);
    expect(err.status).toBeGreaterThanOrEqual(400);
    expect(err.hint).toBeTruthy();
  });

  it('names the provider to create when the issuer is not trusted', async () => {
    const other = await startGitHubIssuer();
    try {
      const ctx = testContext({ token: await other.mintFor('sts.amazonaws.com') });
      const err = await failure(awsTarget.exchange(ctx, opts()));
      expect(err.serverCode).toBe('InvalidIdentityToken');
      expect(err.hint).toContain(other.issuer);
    } finally {
      await other.close();
    }
  });

  it('accepts a custom audience the role lists', async () => {
    const creds = await awsTarget.exchange(
      await ctxFor('https://github.com/acme'),
      opts({ 'role-arn': OTHER_AUD }),
    );
    expect(creds.principal).toMatch(/assumed-role\/custom-aud\//);
  });

  it('rejects a token signed with a revoked key', async () => {
    const token = await gh.mintFor('sts.amazonaws.com');
    const old = gh.keys.currentKid;
    await gh.rotateKeys();
    gh.revokeKey(old);
    const err = await failure(awsTarget.exchange(testContext({ token }), opts()));
    expect(err.serverCode).toBe('InvalidIdentityToken');
    // Tokens from the new key still work.
    expect((await awsTarget.exchange(await ctxFor(), opts())).principal).toMatch(/assumed-role\/ci\//);
  });

  it('retries Throttling (HTTP 400) and succeeds with the right request count', async () => {
    const before = sts.count('AssumeRoleWithWebIdentity');
    sts.throttle(2);
    const creds = await awsTarget.exchange(await ctxFor(), opts());
    expect(creds.principal).toMatch(/assumed-role\/ci\//);
    expect(sts.count('AssumeRoleWithWebIdentity') - before).toBe(3);
  });

  it('fails with ERR_EXCHANGE_THROTTLED when throttling persists', async () => {
    const before = sts.count('AssumeRoleWithWebIdentity');
    sts.throttle(Number.POSITIVE_INFINITY);
    const err = await failure(awsTarget.exchange(await ctxFor(), opts()));
    expect(err.code).toBe('ERR_EXCHANGE_THROTTLED');
    expect(err.serverCode).toBe('Throttling');
    expect(sts.count('AssumeRoleWithWebIdentity') - before).toBe(3);
  });

  it('retries IDPCommunicationError and then reports it as a server problem', async () => {
    sts.failNext('IDPCommunicationError', 'The identity provider could not be reached', {
      times: Number.POSITIVE_INFINITY,
    });
    const err = await failure(awsTarget.exchange(await ctxFor(), opts()));
    expect(err.code).toBe('ERR_EXCHANGE_SERVER');
    expect(err.serverCode).toBe('IDPCommunicationError');
  });

  const queued: Array<[string, number, string]> = [
    ['RegionDisabledException', 403, 'ERR_EXCHANGE_REJECTED'],
    ['IDPRejectedClaim', 403, 'ERR_EXCHANGE_REJECTED'],
    ['MalformedPolicyDocument', 400, 'ERR_EXCHANGE_REJECTED'],
    ['PackedPolicyTooLarge', 400, 'ERR_EXCHANGE_REJECTED'],
  ];
  it.each(queued)('maps a queued %s answer', async (serverCode, status, code) => {
    sts.failNext(serverCode, 'emulated', { status });
    const err = await failure(awsTarget.exchange(await ctxFor(), opts()));
    expect(err).toMatchObject({ code, serverCode, status });
    expect(err.hint).toBeTruthy();
    expect(err.requestId).toBeTruthy();
  });

  it('retries 500s, then succeeds', async () => {
    sts.server.faults.add({ kind: 'status', status: 500, times: 2 });
    expect((await awsTarget.exchange(await ctxFor(), opts())).principal).toMatch(/assumed-role/);
  });

  it('reports persistent 500s as ERR_EXCHANGE_SERVER', async () => {
    sts.server.faults.add({ kind: 'status', status: 503, times: Number.POSITIVE_INFINITY });
    expect((await failure(awsTarget.exchange(await ctxFor(), opts()))).code).toBe('ERR_EXCHANGE_SERVER');
  });

  it('retries a connection reset', async () => {
    sts.server.faults.add({ kind: 'reset' });
    expect((await awsTarget.exchange(await ctxFor(), opts())).principal).toMatch(/assumed-role/);
  });

  it('reports persistent resets as a network error', async () => {
    sts.server.faults.add({ kind: 'reset', times: Number.POSITIVE_INFINITY });
    expect((await failure(awsTarget.exchange(await ctxFor(), opts()))).code).toBe('ERR_HTTP_NETWORK');
  });

  it('reports truncated XML as ERR_EXCHANGE_BAD_RESPONSE', async () => {
    sts.server.faults.add({ kind: 'malformed' });
    expect((await failure(awsTarget.exchange(await ctxFor(), opts()))).code).toBe(
      'ERR_EXCHANGE_BAD_RESPONSE',
    );
  });

  it('reports an HTML page as ERR_EXCHANGE_BAD_RESPONSE', async () => {
    sts.server.faults.add({ kind: 'content-type', contentType: 'text/html; charset=utf-8' });
    expect((await failure(awsTarget.exchange(await ctxFor(), opts()))).code).toBe(
      'ERR_EXCHANGE_BAD_RESPONSE',
    );
  });

  it('never puts the token or issued secrets in messages or logs', async () => {
    const ctx = await ctxFor();
    const token = await ctx.token();
    sts.failNext('InvalidIdentityToken', 'Incorrect token audience');
    const err = await failure(awsTarget.exchange(ctx, opts()));
    expect(`${err.message} ${err.hint}`).not.toContain(token);
    for (const line of ctx.lines) expect(line).not.toContain(token);
  });

  it('answers with AWS XML the parser reads', async () => {
    const res = await fetch(sts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        Action: 'AssumeRoleWithWebIdentity',
        Version: '2011-06-15',
        RoleArn: ROLE,
        RoleSessionName: 'x',
        WebIdentityToken: await gh.mintFor('sts.amazonaws.com'),
      }),
    });
    expect(res.status).toBe(400);
    const doc = parseXml(await res.text());
    expect(xmlText(doc, 'Error', 'Code')).toBe('ValidationError');
    expect(xmlText(doc, 'Error', 'Type')).toBe('Sender');
    expect(xmlText(doc, 'RequestId')).toBe(res.headers.get('x-amzn-requestid'));
  });
});
