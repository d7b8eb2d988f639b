import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Clock, nowSeconds, systemClock } from '../clock.js';
import { type RecordedRequest, sendJson, startServer, type TestServer } from '../http-server.js';
import { createKeyStore, type KeyAlg, type KeyStore, type SignOptions } from '../keys.js';
import { defaultJwksCache } from '../verify.js';

/** IssuerRoutes serves extra endpoints beside discovery and JWKS; it returns true when it answered. */
export type IssuerRoutes = (
  req: RecordedRequest,
  res: ServerResponse,
  issuer: Issuer,
) => boolean | Promise<boolean>;

/** IssuerOptions configures startIssuer (and every platform issuer). */
export interface IssuerOptions {
  /** issuer is the `iss` value; default is the issuer's own loopback URL (plus `issuerPath`). */
  issuer?: string;
  alg?: KeyAlg;
  /** lifetimeSec is the default token lifetime; 300 unless the platform says otherwise. */
  lifetimeSec?: number;
  clock?: Clock;
  https?: boolean;
  /** issuerPath is where the issuer lives on the server, e.g. `/org/<id>` for CircleCI; default ''. */
  issuerPath?: string;
  /** jwksPath is the JWKS path on the server; default `<issuerPath>/.well-known/jwks`. */
  jwksPath?: string;
  /** nbfBackdateSec sets nbf this many seconds before iat, as some platforms do; default 0. */
  nbfBackdateSec?: number;
  /** discovery adds or overrides fields of the discovery document. */
  discovery?: Record<string, unknown>;
  /** keys reuses an existing key store instead of generating one. */
  keys?: KeyStore;
  routes?: IssuerRoutes;
}

/** MintOptions adjusts one minted token. */
export interface MintOptions {
  lifetimeSec?: number;
  kid?: string;
  /** iat in seconds since the epoch; default is the issuer clock's now. */
  iat?: number;
  /** nbf in seconds; default iat minus the issuer's backdate. */
  nbf?: number;
  header?: SignOptions['header'];
}

/** Issuer is a running OIDC token issuer: discovery, JWKS and a mint function with real keys. */
export interface Issuer {
  /** url is the server's base URL; discovery is at `discoveryUrl`, keys at `jwksUri`. */
  url: string;
  /** issuer is the `iss` claim value. */
  issuer: string;
  discoveryUrl: string;
  jwksUri: string;
  keys: KeyStore;
  clock: Clock;
  lifetimeSec: number;
  /** caPem is set for https issuers: the CA verifiers must trust. */
  caPem?: string;
  /** mint signs `claims` after filling iss, iat, nbf, exp and jti (explicit claims win; undefined drops one). */
  mint(claims: Record<string, unknown>, opts?: MintOptions): Promise<string>;
  /** rotateKeys makes a new key current; tokens signed with older keys keep verifying. */
  rotateKeys(): Promise<string>;
  /** revokeKey unpublishes a key, so tokens signed with it fail (verifyJwt reason `signature`). */
  revokeKey(kid: string): void;
  server: TestServer;
  close(): Promise<void>;
}

/** DEFAULT_CLAIMS_SUPPORTED lists the registered claims every testkit issuer advertises. */
export const DEFAULT_CLAIMS_SUPPORTED = ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf'];

function normalisePath(p: string): string {
  if (p === '' || p === '/') return '';
  return `/${p.replace(/^\/+|\/+$/g, '')}`;
}

/** startIssuer starts a generic OIDC issuer on loopback. */
export async function startIssuer(opts: IssuerOptions = {}): Promise<Issuer> {
  const keys = opts.keys ?? createKeyStore(opts.alg === undefined ? {} : { alg: opts.alg });
  const clock = opts.clock ?? systemClock;
  const lifetimeSec = opts.lifetimeSec ?? 300;
  const issuerPath = normalisePath(opts.issuerPath ?? '');
  const jwksPath = opts.jwksPath ?? `${issuerPath}/.well-known/jwks`;
  const discoveryPath = `${issuerPath}/.well-known/openid-configuration`;
  let self: Issuer | undefined;

  const server = await startServer(
    async (req, res) => {
      if (!self) throw new Error('issuer not ready');
      if (req.method === 'GET' && req.path === discoveryPath) {
        sendJson(res, 200, {
          issuer: self.issuer,
          jwks_uri: self.jwksUri,
          subject_types_supported: ['public', 'pairwise'],
          response_types_supported: ['id_token'],
          claims_supported: DEFAULT_CLAIMS_SUPPORTED,
          id_token_signing_alg_values_supported: [keys.alg],
          scopes_supported: ['openid'],
          ...opts.discovery,
        });
        return;
      }
      if (req.method === 'GET' && req.path === jwksPath) {
        sendJson(res, 200, keys.jwks());
        return;
      }
      if (opts.routes && (await opts.routes(req, res, self))) return;
      sendJson(res, 404, { error: 'not_found' });
    },
    opts.https ? { https: true } : {},
  );

  const base = `${server.url}${issuerPath}`;
  const issuer: Issuer = {
    url: server.url,
    issuer: opts.issuer ?? base,
    discoveryUrl: `${server.url}${discoveryPath}`,
    jwksUri: `${server.url}${jwksPath}`,
    keys,
    clock,
    lifetimeSec,
    async mint(claims, mintOpts = {}) {
      const iat = mintOpts.iat ?? nowSeconds(clock);
      const payload: Record<string, unknown> = {
        iss: issuer.issuer,
        iat,
        nbf: mintOpts.nbf ?? iat - (opts.nbfBackdateSec ?? 0),
        exp: iat + (mintOpts.lifetimeSec ?? lifetimeSec),
        jti: randomUUID(),
      };
      for (const [k, v] of Object.entries(claims)) {
        if (v === undefined) delete payload[k];
        else payload[k] = v;
      }
      const signOpts: SignOptions = {};
      if (mintOpts.kid !== undefined) signOpts.kid = mintOpts.kid;
      if (mintOpts.header !== undefined) signOpts.header = mintOpts.header;
      return keys.sign(payload, signOpts);
    },
    rotateKeys: () => keys.rotate(),
    revokeKey(kid) {
      keys.revoke(kid);
      defaultJwksCache.invalidate(issuer.jwksUri);
    },
    server,
    close: () => server.close(),
  };
  if (server.caPem !== undefined) issuer.caPem = server.caPem;
  self = issuer;
  return issuer;
}
