/**
 * jwt.test.ts: the doctor's JWS operations on every algorithm a CI issuer may use, and the refusals:
 * unsafe algorithms, a key for another algorithm, malformed tokens (with no token byte in the error).
 */
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { TrustError } from './errors.js';
import { decodeJwt, decodeProtectedHeader, type Jwk, verifyJwsSignature } from './jwt.js';

const ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

async function signed(alg: string, claims: Record<string, unknown> = { sub: 'repo:acme/app' }) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const token = await new SignJWT(claims).setProtectedHeader({ alg, kid: 'k1' }).sign(privateKey);
  return {
    token,
    publicJwk: (await exportJWK(publicKey)) as Jwk,
    privateJwk: (await exportJWK(privateKey)) as Jwk,
  };
}

/** trustCode is the code of the TrustError `p` rejects with (undefined when it resolves). */
async function trustCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(TrustError);
    return (error as TrustError).code;
  }
  return undefined;
}

describe('verifyJwsSignature', () => {
  it.each(ALGS)('%s: the signing key verifies, another key of the same kind does not', async (alg) => {
    const a = await signed(alg);
    const b = await signed(alg);
    expect(await verifyJwsSignature(a.token, a.publicJwk)).toBe(true);
    expect(await verifyJwsSignature(a.token, { ...a.publicJwk, alg })).toBe(true);
    expect(await verifyJwsSignature(a.token, b.publicJwk)).toBe(false);
  });

  it('uses only the public members of a JWKS entry that publishes a private key', async () => {
    const a = await signed('ES256');
    expect(a.privateJwk['d']).toBeTypeOf('string');
    expect(await verifyJwsSignature(a.token, a.privateJwk)).toBe(true);
  });

  it('refuses none and HMAC tokens before touching the key', async () => {
    const a = await signed('RS256');
    const [, payload] = a.token.split('.');
    for (const alg of ['none', 'HS256', 'HS512']) {
      const header = Buffer.from(JSON.stringify({ alg })).toString('base64url');
      const forged = `${header}.${payload}.${alg === 'none' ? '' : 'c2ln'}`;
      expect(await trustCode(verifyJwsSignature(forged, { kty: 'oct', k: 'c2VjcmV0' } as JWK as Jwk))).toBe(
        'ERR_TRUST_JWT_ALG',
      );
    }
  });

  it('refuses a key published for another algorithm, or of another kind', async () => {
    const rsa = await signed('RS256');
    const ec = await signed('ES256');
    expect(await trustCode(verifyJwsSignature(ec.token, { ...ec.publicJwk, alg: 'ES384' }))).toBe(
      'ERR_TRUST_JWT_ALG',
    );
    expect(await trustCode(verifyJwsSignature(ec.token, rsa.publicJwk))).toBe('ERR_TRUST_JWKS');
  });

  it('reads a tampered payload as a bad signature', async () => {
    const a = await signed('ES256');
    const [h, , s] = a.token.split('.');
    const other = Buffer.from(JSON.stringify({ sub: 'repo:evil/app' })).toString('base64url');
    expect(await verifyJwsSignature(`${h}.${other}.${s}`, a.publicJwk)).toBe(false);
  });
});

describe('decodeJwt and decodeProtectedHeader', () => {
  it('decode what was signed', async () => {
    const a = await signed('RS256', { sub: 'repo:acme/app', aud: 'sts.amazonaws.com' });
    expect(decodeJwt(a.token)).toMatchObject({ sub: 'repo:acme/app', aud: 'sts.amazonaws.com' });
    expect(decodeProtectedHeader(a.token)).toEqual({ alg: 'RS256', kid: 'k1' });
  });

  it('refuse malformed tokens with a code and no byte of the token in the message', async () => {
    const secretish = Buffer.from('{"sub":"s3cr3t-value"').toString('base64url');
    const header = 'eyJhbGciOiJSUzI1NiJ9'; // {"alg":"RS256"}
    const cases: [string, ((t: string) => unknown)[]][] = [
      ['not-a-jwt', [decodeJwt, decodeProtectedHeader]],
      [`${secretish}.${secretish}.sig`, [decodeJwt, decodeProtectedHeader]],
      ['a.b.c.d.e', [decodeJwt, decodeProtectedHeader]],
      [`${header}..sig`, [decodeJwt]],
      [`${header}.${secretish}.sig`, [decodeJwt]], // the header is fine, the payload is not JSON
    ];
    for (const [token, ops] of cases) {
      for (const op of ops) {
        let error: unknown;
        try {
          op(token);
        } catch (e) {
          error = e;
        }
        expect(error, token).toBeInstanceOf(TrustError);
        expect((error as TrustError).code).toBe('ERR_TRUST_JWT_MALFORMED');
        expect((error as TrustError).message).not.toMatch(/s3cr3t|c3Mz/);
        expect((error as TrustError).cause).toBeUndefined();
      }
    }
    expect(decodeProtectedHeader(`${header}.${secretish}.sig`)).toEqual({ alg: 'RS256' });
  });
});
