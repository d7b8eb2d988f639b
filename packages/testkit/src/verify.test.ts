import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from './clock.js';
import { sendJson, startServer } from './http-server.js';
import { type Issuer, startIssuer } from './issuers/issuer.js';
import { createKeyStore } from './keys.js';
import { createJwksCache, verifyJwt } from './verify.js';

let issuer: Issuer;
beforeAll(async () => {
  issuer = await startIssuer();
});
afterAll(() => issuer.close());

const trust = () => [{ issuer: issuer.issuer }];

describe('verifyJwt', () => {
  it('accepts a minted token via discovery and JWKS over HTTP', async () => {
    const token = await issuer.mint({ sub: 's', aud: 'aud-1' });
    const result = await verifyJwt(token, { trusted: trust(), audience: 'aud-1' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.claims).toMatchObject({ iss: issuer.issuer, sub: 's', aud: 'aud-1' });
    expect(typeof result.claims.jti).toBe('string');
    expect(result.claims.exp).toBe((result.claims.iat ?? 0) + 300);
    expect(result.header.kid).toBe(issuer.keys.currentKid);
    expect(issuer.server.count('/.well-known/openid-configuration')).toBeGreaterThan(0);
  });

  it.each([
    ['string', 'b', true],
    ['array with a match', ['x', 'b'], true],
    ['array without a match', ['x', 'y'], false],
    ['predicate', (aud: string[]) => aud.includes('a'), true],
    ['predicate rejecting', () => false, false],
  ] as const)('audience as %s', async (_name, audience, ok) => {
    const token = await issuer.mint({ aud: ['a', 'b'] });
    const result = await verifyJwt(token, { trusted: trust(), audience });
    expect(result.ok ? 'ok' : result.reason).toBe(ok ? 'ok' : 'audience');
  });

  it('rejects expired and not-yet-valid tokens, honouring the leeway', async () => {
    const clock = fakeClock(Date.now());
    const now = Math.floor(clock.now() / 1000);
    const expired = await issuer.mint({ aud: 'a' }, { iat: now - 400, lifetimeSec: 300 });
    expect(await verifyJwt(expired, { trusted: trust(), clock })).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    expect((await verifyJwt(expired, { trusted: trust(), clock, clockSkewSec: 200 })).ok).toBe(true);

    const future = await issuer.mint({ aud: 'a' }, { iat: now + 600 });
    expect(await verifyJwt(future, { trusted: trust(), clock })).toMatchObject({
      ok: false,
      reason: 'not_yet_valid',
    });
    const nbfOnly = await issuer.mint({ aud: 'a' }, { nbf: now + 120 });
    expect(await verifyJwt(nbfOnly, { trusted: trust(), clock })).toMatchObject({ reason: 'not_yet_valid' });

    const fresh = await issuer.mint({ aud: 'a' }, { iat: now });
    clock.advance(361_000);
    expect(await verifyJwt(fresh, { trusted: trust(), clock })).toMatchObject({ reason: 'expired' });
  });

  it('reports untrusted issuers, missing claims and malformed tokens without echoing the token', async () => {
    const token = await issuer.mint({ aud: 'a' });
    const untrusted = await verifyJwt(token, { trusted: [{ issuer: 'https://elsewhere.example' }] });
    expect(untrusted).toMatchObject({ ok: false, reason: 'untrusted_issuer' });
    if (!untrusted.ok) expect(untrusted.detail).not.toContain(token);

    const noExp = await issuer.mint({ exp: undefined });
    expect(await verifyJwt(noExp, { trusted: trust() })).toMatchObject({ reason: 'missing_claim' });
    const noAud = await issuer.mint({});
    expect(await verifyJwt(noAud, { trusted: trust(), audience: 'a' })).toMatchObject({
      reason: 'missing_claim',
    });
    expect(await verifyJwt(noAud, { trusted: trust(), requiredClaims: ['sub'] })).toMatchObject({
      reason: 'missing_claim',
    });

    for (const bad of ['', 'a.b', 'not.a.jwt', `${token}.x`]) {
      expect(await verifyJwt(bad, { trusted: trust() })).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });

  it('rejects a tampered payload and a foreign key with reason signature', async () => {
    const token = await issuer.mint({ aud: 'a', sub: 'alice' });
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ iss: issuer.issuer, sub: 'mallory', exp: 2e9 })).toString(
      'base64url',
    );
    const result = await verifyJwt(`${h}.${forged}.${s}`, { trusted: trust() });
    expect(result).toMatchObject({ ok: false, reason: 'signature' });

    const stranger = createKeyStore();
    const foreign = await stranger.sign(
      { iss: issuer.issuer, exp: 2e9 },
      { header: { kid: issuer.keys.currentKid } },
    );
    expect(await verifyJwt(foreign, { trusted: trust() })).toMatchObject({ reason: 'signature' });
  });

  it('follows key rotation and rejects revoked keys with reason signature', async () => {
    const own = await startIssuer({ alg: 'ES256' });
    try {
      const cache = createJwksCache();
      const opts = { trusted: [{ issuer: own.issuer }], cache };
      const oldKid = own.keys.currentKid;
      const oldToken = await own.mint({ aud: 'a' });
      expect((await verifyJwt(oldToken, opts)).ok).toBe(true);
      const jwksFetches = own.server.count('/.well-known/jwks');

      await own.rotateKeys();
      const newToken = await own.mint({ aud: 'a' });
      expect((await verifyJwt(newToken, opts)).ok).toBe(true);
      // Unknown kid: exactly one refetch, then the cached set serves both kids.
      expect(own.server.count('/.well-known/jwks')).toBe(jwksFetches + 1);
      expect((await verifyJwt(oldToken, opts)).ok).toBe(true);
      expect(own.server.count('/.well-known/jwks')).toBe(jwksFetches + 1);

      own.revokeKey(oldKid);
      cache.invalidate(own.jwksUri);
      expect(await verifyJwt(oldToken, opts)).toMatchObject({ ok: false, reason: 'signature' });
      expect((await verifyJwt(newToken, opts)).ok).toBe(true);
    } finally {
      await own.close();
    }
  });

  it('revokeKey is visible through the default cache at once', async () => {
    const own = await startIssuer();
    try {
      const token = await own.mint({});
      expect((await verifyJwt(token, { trusted: [{ issuer: own.issuer }] })).ok).toBe(true);
      own.revokeKey(own.keys.currentKid);
      expect(await verifyJwt(token, { trusted: [{ issuer: own.issuer }] })).toMatchObject({
        reason: 'signature',
      });
    } finally {
      await own.close();
    }
  });

  it('reports discovery and JWKS failures', async () => {
    const own = await startIssuer();
    try {
      const token = await own.mint({});
      own.server.faults.add({ kind: 'status', status: 503, path: '/.well-known/openid-configuration' });
      const cache = createJwksCache();
      expect(await verifyJwt(token, { trusted: [{ issuer: own.issuer }], cache })).toMatchObject({
        reason: 'discovery_failed',
      });
      own.server.faults.add({ kind: 'content-type', contentType: 'text/html', path: '/.well-known/jwks' });
      expect(await verifyJwt(token, { trusted: [{ issuer: own.issuer }], cache })).toMatchObject({
        reason: 'jwks_failed',
      });
      own.server.faults.add({ kind: 'reset', path: '/.well-known/jwks' });
      expect(
        await verifyJwt(token, { trusted: [{ issuer: own.issuer, jwksUri: own.jwksUri }], cache }),
      ).toMatchObject({
        reason: 'jwks_failed',
      });
      expect((await verifyJwt(token, { trusted: [{ issuer: own.issuer }], cache })).ok).toBe(true);
    } finally {
      await own.close();
    }
  });

  it('rejects a discovery document naming another issuer', async () => {
    const impostor = await startServer((req, res) =>
      sendJson(res, 200, {
        issuer: 'https://someone-else.example',
        jwks_uri: `http://127.0.0.1/${req.path}`,
      }),
    );
    try {
      const keys = createKeyStore();
      const token = await keys.sign({ iss: impostor.url, exp: 2e9 });
      expect(await verifyJwt(token, { trusted: [{ issuer: impostor.url }] })).toMatchObject({
        reason: 'discovery_failed',
      });
    } finally {
      await impostor.close();
    }
  });

  it('verifies an https issuer when given its CA, and fails discovery without it', async () => {
    const secure = await startIssuer({ https: true });
    try {
      const token = await secure.mint({ aud: 'a' });
      expect(secure.issuer.startsWith('https://127.0.0.1:')).toBe(true);
      const cache = createJwksCache();
      expect(await verifyJwt(token, { trusted: [{ issuer: secure.issuer }], cache })).toMatchObject({
        reason: 'discovery_failed',
      });
      const ca = secure.caPem ?? '';
      expect((await verifyJwt(token, { trusted: [{ issuer: secure.issuer }], cache, ca })).ok).toBe(true);
    } finally {
      await secure.close();
    }
  });
});
