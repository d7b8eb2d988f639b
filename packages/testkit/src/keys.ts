import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { type JWK, type JWTHeaderParameters, SignJWT } from 'jose';

/** KeyAlg lists the signing algorithms the key store can generate keys for. */
export type KeyAlg = 'RS256' | 'ES256';

/** KeyStoreOptions configures createKeyStore. */
export interface KeyStoreOptions {
  alg?: KeyAlg;
}

/** SignOptions selects the key and adds protected-header fields for KeyStore.sign. */
export interface SignOptions {
  kid?: string;
  header?: Partial<JWTHeaderParameters> & Record<string, unknown>;
}

/** KeyStore holds an issuer's signing keys: one current, older ones still published, revoked ones hidden. */
export interface KeyStore {
  readonly alg: KeyAlg;
  /** currentKid is the kid new tokens are signed with. */
  readonly currentKid: string;
  sign(claims: Record<string, unknown>, opts?: SignOptions): Promise<string>;
  jwks(): { keys: JWK[] };
  /** rotate adds a new key, makes it current and keeps the old ones published. */
  rotate(): Promise<string>;
  /** revoke drops a key from the JWKS; it can still sign (to build tokens that must fail). */
  revoke(kid: string): void;
  kids(): string[];
}

interface Entry {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
  revoked: boolean;
}

function newKid(): string {
  return randomBytes(16).toString('hex');
}

// Node's synchronous generator (jose signs with KeyObjects) keeps createKeyStore synchronous, so callers
// may use it with or without `await`.
function generate(alg: KeyAlg): Entry {
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = newKid();
  const publicJwk: JWK = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
  return { kid, privateKey, publicJwk, revoked: false };
}

/** createKeyStore generates a real key pair (RS256 by default) and returns a store around it. */
export function createKeyStore(opts: KeyStoreOptions = {}): KeyStore {
  const alg = opts.alg ?? 'RS256';
  const entries = new Map<string, Entry>();
  const first = generate(alg);
  entries.set(first.kid, first);
  let current = first.kid;

  return {
    alg,
    get currentKid() {
      return current;
    },
    async sign(claims, signOpts = {}) {
      const kid = signOpts.kid ?? current;
      const entry = entries.get(kid);
      if (!entry) throw new TypeError(`KeyStore.sign: unknown kid ${kid}`);
      const header: JWTHeaderParameters = { alg, typ: 'JWT', kid, ...signOpts.header } as JWTHeaderParameters;
      return new SignJWT(claims).setProtectedHeader(header).sign(entry.privateKey);
    },
    jwks() {
      return { keys: [...entries.values()].filter((e) => !e.revoked).map((e) => ({ ...e.publicJwk })) };
    },
    async rotate() {
      const entry = generate(alg);
      entries.set(entry.kid, entry);
      current = entry.kid;
      return entry.kid;
    },
    revoke(kid) {
      const entry = entries.get(kid);
      if (!entry) throw new TypeError(`KeyStore.revoke: unknown kid ${kid}`);
      entry.revoked = true;
    },
    kids() {
      return [...entries.keys()];
    },
  };
}
