// oauth.test.ts: oauth2-mock-server is an OAuth server written independently of Federate. Its tokens
// must be accepted by our OAuth emulator (through its own discovery and JWKS), oauthTarget must
// exchange them there, and oauthTarget must speak to oauth2-mock-server's own token endpoint: it has
// no token-exchange or jwt-bearer grant, but accepts client_credentials with a client assertion.
import { FederateError } from '@federate/core';
import { oauthTarget } from '@federate/targets';
import { verifyJwt } from '@federate/testkit';
import { OAuth2Server } from 'oauth2-mock-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptions, testContext } from '../../packages/targets/src/shared/test-context.js';
import { type OAuthServer, startOAuthServer } from '../../packages/testkit/src/servers/oauth.js';

const SUB = 'repo:octo/app:ref:refs/heads/main';

describe('oauth2-mock-server and the OAuth emulator', () => {
  const mock = new OAuth2Server();
  let issuer: string;
  let as: OAuthServer;

  beforeAll(async () => {
    await mock.issuer.keys.generate('RS256');
    await mock.start(0, '127.0.0.1');
    issuer = `http://127.0.0.1:${mock.address().port}`;
    mock.issuer.url = issuer;
    as = await startOAuthServer({
      trusted: [{ issuer }],
      clients: { ci: 'ci-secret-value' },
      policies: (claims) => claims['sub'] === SUB,
    });
  });
  afterAll(async () => {
    await as.close();
    await mock.stop();
  });

  const mint = (claims: Record<string, unknown>, expiresIn = 300) =>
    mock.issuer.buildToken({
      expiresIn,
      scopesOrTransform: (_header, payload) => {
        Object.assign(payload, claims);
      },
    });

  it('our emulator accepts an oauth2-mock-server token as RFC 8693 subject token', async () => {
    const token = await mint({ sub: SUB, aud: as.tokenUrl });
    const res = await fetch(as.tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('ci:ci-secret-value').toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      }).toString(),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      token_type: 'Bearer',
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    });
  });

  it('oauthTarget exchanges an oauth2-mock-server token at our emulator, each grant', async () => {
    for (const grant of ['token-exchange', 'jwt-bearer'] as const) {
      const token = await mint({ sub: SUB, aud: as.tokenUrl });
      const options = parseOptions(oauthTarget, {
        'token-url': as.tokenUrl,
        audience: as.tokenUrl,
        grant,
        'client-id': 'ci',
        'client-secret': 'ci-secret-value',
      });
      const creds = await oauthTarget.exchange(testContext({ token }), options);
      const at = creds.values.find((v) => v.name === 'accessToken')?.value ?? '';
      const verified = await verifyJwt(at, { trusted: [{ issuer: as.issuer, jwksUri: as.jwksUri }] });
      expect(verified.ok).toBe(true);
      if (verified.ok) expect(verified.claims).toMatchObject({ sub: SUB, source_iss: issuer });
    }
  });

  it('our emulator rejects oauth2-mock-server tokens for another audience or past expiry', async () => {
    const options = parseOptions(oauthTarget, {
      'token-url': as.tokenUrl,
      audience: as.tokenUrl,
      grant: 'jwt-bearer',
      'client-id': 'ci',
      'client-secret': 'ci-secret-value',
    });
    for (const token of [
      await mint({ sub: SUB, aud: 'elsewhere' }),
      await mint({ sub: SUB, aud: as.tokenUrl }, -600),
    ]) {
      let error: unknown;
      try {
        await oauthTarget.exchange(testContext({ token }), options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FederateError);
      expect(error).toMatchObject({ code: 'ERR_EXCHANGE_REJECTED', serverCode: 'invalid_grant' });
    }
  });

  it("oauthTarget gets a token from oauth2-mock-server's own endpoint with a client assertion", async () => {
    const token = await mint({ sub: SUB, aud: `${issuer}/token` });
    const options = parseOptions(oauthTarget, {
      'token-url': `${issuer}/token`,
      audience: `${issuer}/token`,
      grant: 'client-credentials',
      scope: 'read',
    });
    const creds = await oauthTarget.exchange(testContext({ token }), options);
    const at = creds.values.find((v) => v.name === 'accessToken')?.value ?? '';
    const verified = await verifyJwt(at, { trusted: [{ issuer }] });
    expect(verified.ok).toBe(true);
    expect(creds.expiresAt).toBeInstanceOf(Date);
  });

  it("maps oauth2-mock-server's answer to a grant it lacks (token exchange) to a rejection", async () => {
    const token = await mint({ sub: SUB, aud: `${issuer}/token` });
    const options = parseOptions(oauthTarget, {
      'token-url': `${issuer}/token`,
      audience: `${issuer}/token`,
    });
    let error: unknown;
    try {
      await oauthTarget.exchange(testContext({ token }), options);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_EXCHANGE_REJECTED', status: 400, serverCode: 'invalid_grant' });
  });
});
