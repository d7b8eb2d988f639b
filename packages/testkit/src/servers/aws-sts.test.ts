import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../clock.js';
import { type GitHubIssuer, startGitHubIssuer } from '../issuers/github.js';
import { type AwsSts, startAwsSts } from './aws-sts.js';

const ROLE = 'arn:aws:iam::123456789012:role/ci';
const CHAINED = 'arn:aws:iam::210987654321:role/deploy';

// A minimal SigV4 signer for driving the emulator; checked against AWS's published vector below.
function sign(
  url: string,
  body: string,
  keys: { id: string; secret: string; token?: string },
  at: Date,
  region = 'us-east-1',
  service = 'sts',
  extraHeaders: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' },
): Record<string, string> {
  const u = new URL(url);
  const date = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const headers: Record<string, string> = { ...extraHeaders, host: u.host, 'x-amz-date': date };
  if (keys.token) headers['x-amz-security-token'] = keys.token;
  const names = Object.keys(headers).sort();
  const canonical = [
    'POST',
    '/',
    '',
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    createHash('sha256').update(body).digest('hex'),
  ].join('\n');
  const scope = `${date.slice(0, 8)}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join(
    '\n',
  );
  let key: Buffer = createHmac('sha256', `AWS4${keys.secret}`).update(date.slice(0, 8)).digest();
  for (const p of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(p).digest();
  const sig = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${keys.id}/${scope}, SignedHeaders=${names.join(';')}, Signature=${sig}`,
  };
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

let gh: GitHubIssuer;
let sts: AwsSts;
const clock = fakeClock(Date.now());

beforeAll(async () => {
  gh = await startGitHubIssuer({ claims: { repository: 'acme/api' }, clock });
  sts = await startAwsSts({
    trusted: [{ issuer: gh.issuer }],
    roles: {
      [ROLE]: { conditions: { sub: 'repo:acme/api:*', repository: 'acme/api' }, maxSessionDuration: 3600 },
      [CHAINED]: { trustedPrincipals: ['arn:aws:sts::123456789012:assumed-role/ci/*'], externalId: 'ext' },
    },
    clock,
  });
});
afterAll(async () => {
  await sts.close();
  await gh.close();
});

async function post(params: Record<string, string>, headers: Record<string, string> = {}) {
  const body = new URLSearchParams(params).toString();
  const res = await fetch(sts.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return {
    status: res.status,
    text: await res.text(),
    type: res.headers.get('content-type'),
    id: res.headers.get('x-amzn-requestid'),
  };
}

async function webIdentity(token: string, extra: Record<string, string> = {}) {
  return post({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: ROLE,
    RoleSessionName: 'run-1',
    WebIdentityToken: token,
    ...extra,
  });
}

async function signedPost(
  params: Record<string, string>,
  keys: { id: string; secret: string; token?: string },
  at = new Date(clock.now()),
) {
  const body = new URLSearchParams(params).toString();
  const headers = sign(sts.url, body, keys, at);
  const res = await fetch(sts.url, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

describe('startAwsSts', () => {
  it('the test signer reproduces AWS post-x-www-form-urlencoded', () => {
    const h = sign(
      'https://example.amazonaws.com/',
      'Param1=value1',
      { id: 'AKIDEXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      new Date('2015-08-30T12:36:00Z'),
      'us-east-1',
      'service',
    );
    expect(h['authorization']).toMatch(
      /Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a$/,
    );
  });

  it('answers AssumeRoleWithWebIdentity with AWS XML and remembers the session', async () => {
    const token = await gh.mintFor('sts.amazonaws.com');
    const r = await webIdentity(token, { DurationSeconds: '900' });
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/xml');
    expect(r.text).toMatch(
      /^<AssumeRoleWithWebIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/,
    );
    expect(tag(r.text, 'AccessKeyId')).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(tag(r.text, 'Arn')).toBe('arn:aws:sts::123456789012:assumed-role/ci/run-1');
    expect(tag(r.text, 'SubjectFromWebIdentityToken')).toBe('repo:acme/api:ref:refs/heads/main');
    expect(tag(r.text, 'Audience')).toBe('sts.amazonaws.com');
    expect(tag(r.text, 'Expiration')).toBe(
      new Date(Math.floor(clock.now() / 1000) * 1000 + 900_000).toISOString().replace('.000', ''),
    );
    expect(tag(r.text, 'RequestId')).toBe(r.id);
    expect(sts.sessions.at(-1)?.accessKeyId).toBe(tag(r.text, 'AccessKeyId'));
  });

  const errors: Array<
    [string, () => Promise<string>, Record<string, string>, number, string, string | RegExp]
  > = [
    ['bad audience', () => gh.mintFor('other'), {}, 400, 'InvalidIdentityToken', 'Incorrect token audience'],
    [
      'conditions',
      () => gh.mintFor('sts.amazonaws.com', { repository: 'acme/other', sub: 'repo:acme/other:ref:x' }),
      {},
      403,
      'AccessDenied',
      'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    ],
    [
      'expired',
      () =>
        gh.mint(
          { sub: 'repo:acme/api:x', aud: 'sts.amazonaws.com' },
          { iat: Math.floor(clock.now() / 1000) - 1000, lifetimeSec: 300 },
        ),
      {},
      400,
      'ExpiredTokenException',
      /^Token expired: current date\/time \d+ must be before the expiration date\/time \d+$/,
    ],
    ['not a JWT', async () => 'not-a-jwt', {}, 400, 'InvalidIdentityToken', /could not be validated/],
    [
      'short duration',
      () => gh.mintFor('sts.amazonaws.com'),
      { DurationSeconds: '100' },
      400,
      'ValidationError',
      /at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900/,
    ],
    [
      'duration over role max',
      () => gh.mintFor('sts.amazonaws.com'),
      { DurationSeconds: '7200' },
      400,
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    ],
    [
      'session name',
      () => gh.mintFor('sts.amazonaws.com'),
      { RoleSessionName: 'a b' },
      400,
      'ValidationError',
      /at 'roleSessionName' failed to satisfy constraint/,
    ],
    [
      'malformed policy',
      () => gh.mintFor('sts.amazonaws.com'),
      { Policy: '{' },
      400,
      'MalformedPolicyDocument',
      /.+/,
    ],
  ];
  it.each(errors)('answers %s with AWS code and message', async (_n, mint, extra, status, code, message) => {
    const r = await webIdentity(await mint(), extra);
    expect(r.status).toBe(status);
    expect(r.text).toMatch(/^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    expect(tag(r.text, 'Type')).toBe('Sender');
    expect(tag(r.text, 'Code')).toBe(code);
    if (typeof message === 'string') expect(tag(r.text, 'Message')).toBe(message);
    else expect(tag(r.text, 'Message')).toMatch(message);
  });

  it('names the untrusted issuer', async () => {
    const other = await startGitHubIssuer();
    try {
      const r = await webIdentity(await other.mintFor('sts.amazonaws.com'));
      expect(tag(r.text, 'Code')).toBe('InvalidIdentityToken');
      expect(tag(r.text, 'Message')).toBe(
        `No OpenIDConnect provider found in your account for ${other.issuer}`,
      );
    } finally {
      await other.close();
    }
  });

  it('rejects a token whose key was revoked', async () => {
    const token = await gh.mintFor('sts.amazonaws.com');
    const old = gh.keys.currentKid;
    await gh.rotateKeys();
    gh.revokeKey(old);
    const r = await webIdentity(token);
    expect(tag(r.text, 'Code')).toBe('InvalidIdentityToken');
  });

  it('verifies SigV4 for GetCallerIdentity and AssumeRole with issued credentials', async () => {
    const r = await webIdentity(await gh.mintFor('sts.amazonaws.com'));
    const keys = {
      id: tag(r.text, 'AccessKeyId') ?? '',
      secret: tag(r.text, 'SecretAccessKey') ?? '',
      token: tag(r.text, 'SessionToken') ?? '',
    };
    const who = await signedPost({ Action: 'GetCallerIdentity', Version: '2011-06-15' }, keys);
    expect(who.status).toBe(200);
    expect(tag(who.text, 'Arn')).toBe('arn:aws:sts::123456789012:assumed-role/ci/run-1');
    expect(tag(who.text, 'Account')).toBe('123456789012');

    const chain = {
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: CHAINED,
      RoleSessionName: 'run-1',
      ExternalId: 'ext',
      'Tags.member.1.Key': 'team',
      'Tags.member.1.Value': 'x',
    };
    const ok = await signedPost(chain, keys);
    expect(ok.status).toBe(200);
    expect(tag(ok.text, 'Arn')).toBe('arn:aws:sts::210987654321:assumed-role/deploy/run-1');
    expect(sts.sessions.at(-1)).toMatchObject({ chained: true, tags: { team: 'x' }, externalId: 'ext' });

    const cases: Array<[string, Promise<{ status: number; text: string }>, number, string]> = [
      ['wrong secret', signedPost(chain, { ...keys, secret: 'nope' }), 403, 'SignatureDoesNotMatch'],
      [
        'unknown key',
        signedPost(chain, { ...keys, id: 'ASIAUNKNOWNUNKNOWN00' }),
        403,
        'InvalidClientTokenId',
      ],
      [
        'missing session token',
        signedPost(chain, { id: keys.id, secret: keys.secret }),
        403,
        'InvalidClientTokenId',
      ],
      [
        'stale date',
        signedPost(chain, keys, new Date(clock.now() - 20 * 60 * 1000)),
        403,
        'SignatureDoesNotMatch',
      ],
      ['no external id', signedPost({ ...chain, ExternalId: 'other' }, keys), 403, 'AccessDenied'],
      ['chained duration', signedPost({ ...chain, DurationSeconds: '7200' }, keys), 400, 'ValidationError'],
      ['unsigned', post(chain), 403, 'MissingAuthenticationToken'],
    ];
    for (const [name, p, status, code] of cases) {
      const res = await p;
      expect({ name, status: res.status, code: tag(res.text, 'Code') }).toEqual({ name, status, code });
    }
  });

  it('refuses issued credentials after they expire', async () => {
    const r = await webIdentity(await gh.mintFor('sts.amazonaws.com'), { DurationSeconds: '900' });
    const keys = {
      id: tag(r.text, 'AccessKeyId') ?? '',
      secret: tag(r.text, 'SecretAccessKey') ?? '',
      token: tag(r.text, 'SessionToken') ?? '',
    };
    clock.advance(901_000);
    try {
      const who = await signedPost({ Action: 'GetCallerIdentity', Version: '2011-06-15' }, keys);
      expect(tag(who.text, 'Code')).toBe('ExpiredToken');
    } finally {
      clock.advance(-901_000);
    }
  });

  it('queues Throttling answers and counts requests per action', async () => {
    const before = sts.count('AssumeRoleWithWebIdentity');
    sts.throttle(1);
    const token = await gh.mintFor('sts.amazonaws.com');
    const first = await webIdentity(token);
    expect(first.status).toBe(400);
    expect(tag(first.text, 'Code')).toBe('Throttling');
    expect(tag(first.text, 'Message')).toBe('Rate exceeded');
    expect((await webIdentity(token)).status).toBe(200);
    expect(sts.count('AssumeRoleWithWebIdentity') - before).toBe(2);
  });

  it('answers unknown actions and versions like STS', async () => {
    expect(tag((await post({ Action: 'Nope', Version: '2011-06-15' })).text, 'Code')).toBe('InvalidAction');
    expect(tag((await post({ Action: 'GetCallerIdentity', Version: '2010-01-01' })).text, 'Code')).toBe(
      'InvalidAction',
    );
  });
});
