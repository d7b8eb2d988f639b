import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSigner, type TestSigner } from './test-support.js';
import { checkToken, type TokenCheck } from './verify-token.js';

let server: Server;
let issuer: string;
let signer: TestSigner;
let other: TestSigner;
let discoveryIssuer: () => string;

beforeAll(async () => {
  signer = await createTestSigner('k1');
  other = await createTestSigner('k1');
  discoveryIssuer = () => issuer;
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: discoveryIssuer(), jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === '/jwks') {
      res.end(JSON.stringify({ keys: [signer.publicJwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const NOW = 1_900_000_000_000;
const now = () => NOW;
const t = NOW / 1000;
const claims = () => ({
  iss: issuer,
  aud: 'sts.amazonaws.com',
  sub: 'repo:acme/app:ref:refs/heads/main',
  iat: t - 10,
  nbf: t - 10,
  exp: t + 300,
});
const byName = (checks: TokenCheck[]) => Object.fromEntries(checks.map((c) => [c.name, c]));
const opts = () => ({
  fetch: globalThis.fetch,
  now,
  expectedIssuer: issuer,
  expectedAudience: 'sts.amazonaws.com',
});

describe('checkToken against a loopback issuer', () => {
  it('passes every check for a good token', async () => {
    const checks = await checkToken(await signer.sign(claims()), opts());
    expect(checks.map((c) => c.name)).toEqual([
      'decode',
      'discovery',
      'discovery-issuer',
      'jwks',
      'kid',
      'signature',
      'issuer',
      'audience',
      'expiry',
      'not-before',
      'issued-at',
    ]);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('reports a bad signature and still checks the claims', async () => {
    const c = byName(await checkToken(await other.sign({ ...claims(), aud: 'nope' }), opts()));
    expect(c['signature']!.code).toBe('ERR_TRUST_JWT_SIGNATURE');
    expect(c['audience']!.code).toBe('ERR_TRUST_AUDIENCE');
    expect(c['expiry']!.ok).toBe(true);
  });

  it('reports a tampered payload as a bad signature', async () => {
    const [h, , s] = (await signer.sign(claims())).split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...claims(), sub: 'repo:evil/app:ref:refs/heads/main' }),
    ).toString('base64url');
    const c = byName(await checkToken(`${h}.${forged}.${s}`, opts()));
    expect(c['signature']!.code).toBe('ERR_TRUST_JWT_SIGNATURE');
  });

  it('reports a wrong expected issuer', async () => {
    const c = byName(
      await checkToken(await signer.sign(claims()), {
        ...opts(),
        expectedIssuer: 'https://token.actions.githubusercontent.com',
      }),
    );
    expect(c['issuer']!.code).toBe('ERR_TRUST_ISSUER');
    expect(c['signature']!.ok).toBe(true);
  });

  it('reports a discovery document naming another issuer', async () => {
    discoveryIssuer = () => 'https://elsewhere.example';
    try {
      const c = byName(await checkToken(await signer.sign(claims()), opts()));
      expect(c['discovery-issuer']!.code).toBe('ERR_TRUST_ISSUER');
    } finally {
      discoveryIssuer = () => issuer;
    }
  });

  it('reports expiry beyond the skew, and tolerates it within', async () => {
    const expired = await signer.sign({ ...claims(), exp: t - 120 });
    expect(byName(await checkToken(expired, opts()))['expiry']!.code).toBe('ERR_TRUST_EXPIRED');
    expect(byName(await checkToken(expired, { ...opts(), clockSkewSec: 300 }))['expiry']!.ok).toBe(true);
  });

  it('reports nbf and iat in the future', async () => {
    const c = byName(
      await checkToken(await signer.sign({ ...claims(), nbf: t + 600, iat: t + 600 }), opts()),
    );
    expect(c['not-before']!.code).toBe('ERR_TRUST_NOT_YET_VALID');
    expect(c['issued-at']!.code).toBe('ERR_TRUST_NOT_YET_VALID');
  });

  it('reports an unknown kid', async () => {
    const c = byName(await checkToken(await signer.sign(claims(), { kid: 'rotated' }), opts()));
    expect(c['kid']!.code).toBe('ERR_TRUST_KID');
    expect(c['signature']!.skipped).toBe(true);
  });

  it('reports an unreachable issuer and keeps going', async () => {
    const c = byName(
      await checkToken(await signer.sign({ ...claims(), iss: `${issuer}/missing` }), {
        ...opts(),
        expectedIssuer: undefined as never,
      }),
    );
    expect(c['discovery']!.code).toBe('ERR_TRUST_DISCOVERY');
    expect(c['signature']!.skipped).toBe(true);
    expect(c['expiry']!.ok).toBe(true);
  });

  it('refuses plain http for non-loopback issuers without fetching', async () => {
    let fetched = false;
    const fetch = async () => {
      fetched = true;
      throw new Error('unreachable');
    };
    const c = byName(
      await checkToken(await signer.sign({ ...claims(), iss: 'http://issuer.example' }), { fetch, now }),
    );
    expect(c['discovery']!.code).toBe('ERR_TRUST_INSECURE_ISSUER');
    expect(fetched).toBe(false);
  });

  it('rejects alg none', async () => {
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'k1' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`;
    const c = byName(await checkToken(unsigned, opts()));
    expect(c['signature']!.ok).toBe(false);
    expect(c['signature']!.code).toBe('ERR_TRUST_JWT_ALG');
  });

  it('reports an undecodable token and skips the rest', async () => {
    const checks = await checkToken('not.a-token', opts());
    expect(checks[0]!.code).toBe('ERR_TRUST_JWT_MALFORMED');
    expect(checks.slice(1).every((c) => c.skipped)).toBe(true);
  });

  it('never puts the token in any detail', async () => {
    const jwt = await other.sign({ ...claims(), exp: t - 999 });
    const checks = await checkToken(jwt, opts());
    for (const c of checks) {
      expect(c.detail).not.toContain(jwt);
      expect(c.detail).not.toContain(jwt.split('.')[2]);
    }
  });
});
