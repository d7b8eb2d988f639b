import { verifyJwt } from '@federate/testkit';
import { OAuth2Server } from 'oauth2-mock-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// oauth2-mock-server is written independently of the testkit: if verifyJwt accepts its tokens through
// its own discovery document and JWKS, the verifier is not merely consistent with our own issuers.
describe('verifyJwt against oauth2-mock-server', () => {
  const server = new OAuth2Server();
  let issuer: string;

  beforeAll(async () => {
    await server.issuer.keys.generate('RS256');
    await server.start(0, '127.0.0.1');
    // Its default issuer string says localhost; use the loopback IP it is bound to.
    issuer = `http://127.0.0.1:${server.address().port}`;
    server.issuer.url = issuer;
  });
  afterAll(() => server.stop());

  it('accepts its tokens given only its issuer URL', async () => {
    const token = await server.issuer.buildToken({
      expiresIn: 300,
      scopesOrTransform: (_header, payload) => {
        Object.assign(payload, { sub: 'repo:o/r:ref:refs/heads/main', aud: 'sts.example' });
      },
    });
    const result = await verifyJwt(token, { trusted: [{ issuer }], audience: 'sts.example' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.claims).toMatchObject({ iss: issuer, sub: 'repo:o/r:ref:refs/heads/main' });
  });

  it('rejects its tokens for the wrong audience or once expired', async () => {
    const token = await server.issuer.buildToken({
      expiresIn: 1,
      scopesOrTransform: (_header, payload) => {
        Object.assign(payload, { aud: 'other' });
      },
    });
    expect(await verifyJwt(token, { trusted: [{ issuer }], audience: 'sts.example' })).toMatchObject({
      ok: false,
      reason: 'audience',
    });
    const later = { now: () => Date.now() + 10 * 60 * 1000 };
    expect(await verifyJwt(token, { trusted: [{ issuer }], clock: later })).toMatchObject({
      ok: false,
      reason: 'expired',
    });
  });
});
