import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../clock.js';
import { verifyJwt } from '../verify.js';
import { type Issuer, startIssuer } from './issuer.js';

describe('startIssuer', () => {
  let issuer: Issuer;
  const clock = fakeClock(Date.UTC(2030, 0, 1));
  beforeAll(async () => {
    issuer = await startIssuer({ issuerPath: '/tenant-1', lifetimeSec: 120, clock, nbfBackdateSec: 5 });
  });
  afterAll(() => issuer.close());

  it('serves a discovery document pointing at its JWKS', async () => {
    expect(issuer.issuer).toBe(`${issuer.url}/tenant-1`);
    const doc = (await (await fetch(issuer.discoveryUrl)).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: issuer.issuer,
      jwks_uri: issuer.jwksUri,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
    });
    expect(doc['claims_supported']).toContain('sub');
    const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual([issuer.keys.currentKid]);
    expect((await fetch(`${issuer.url}/nope`)).status).toBe(404);
  });

  it('mint fills iss, iat, nbf, exp and jti from its clock; explicit claims win', async () => {
    const token = await issuer.mint({ sub: 'x', aud: 'a', custom: true });
    const result = await verifyJwt(token, { trusted: [{ issuer: issuer.issuer }], clock, audience: 'a' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const iat = Math.floor(clock.now() / 1000);
    expect(result.claims).toMatchObject({
      iss: issuer.issuer,
      iat,
      nbf: iat - 5,
      exp: iat + 120,
      custom: true,
    });
    const other = await issuer.mint({ sub: 'x' });
    const otherResult = await verifyJwt(other, { trusted: [{ issuer: issuer.issuer }], clock });
    expect(otherResult.ok && otherResult.claims.jti).not.toBe(result.claims.jti);

    const custom = await issuer.mint({ iss: 'https://other.example' });
    expect(await verifyJwt(custom, { trusted: [{ issuer: issuer.issuer }], clock })).toMatchObject({
      reason: 'untrusted_issuer',
    });
  });

  it('uses a configured iss while serving discovery locally', async () => {
    const gh = await startIssuer({ issuer: 'https://token.actions.githubusercontent.com' });
    try {
      const token = await gh.mint({});
      const result = await verifyJwt(token, {
        trusted: [{ issuer: 'https://token.actions.githubusercontent.com', discoveryUrl: gh.discoveryUrl }],
      });
      expect(result.ok).toBe(true);
    } finally {
      await gh.close();
    }
  });
});
