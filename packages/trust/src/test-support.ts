// Test-only helpers (not exported from the package): mint real signed JWTs with WebCrypto.
import type { Claims } from './claims.js';
import type { Jwk } from './jwt.js';

function b64url(bytes: Uint8Array | string): string {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  let bin = '';
  for (const b of data) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** TestSigner mints RS256 tokens with a fresh key pair and exposes its public JWK. */
export interface TestSigner {
  kid: string;
  publicJwk: Jwk;
  sign(claims: Claims, header?: Record<string, unknown>): Promise<string>;
}

/** createTestSigner generates an RSA key pair for signing test tokens. */
export async function createTestSigner(kid = 'test-key'): Promise<TestSigner> {
  const pair = await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  const publicJwk = {
    ...(await crypto.subtle.exportKey('jwk', pair.publicKey)),
    kid,
    alg: 'RS256',
    use: 'sig',
  } as Jwk;
  return {
    kid,
    publicJwk,
    async sign(claims, header = {}) {
      const input = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid, ...header }))}.${b64url(JSON.stringify(claims))}`;
      const sig = new Uint8Array(
        await crypto.subtle.sign('RSASSA-PKCS1-v1_5', pair.privateKey, new TextEncoder().encode(input)),
      );
      return `${input}.${b64url(sig)}`;
    },
  };
}

/** unsignedJwt builds a token whose signature is garbage, for decode-only tests. */
export function unsignedJwt(
  claims: Claims,
  header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT', kid: 'k1' },
): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}.${b64url('not-a-signature')}`;
}
