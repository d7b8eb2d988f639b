/**
 * oauth.ts: an OAuth 2.0 authorization server emulator for the grants that accept a third-party JWT:
 * RFC 8693 token exchange, the RFC 7523 §2.1 JWT bearer grant, and client credentials with an RFC 7523
 * §2.2 client assertion. Required parameters, error codes and status codes follow the RFCs (RFC 6749
 * §5.2: 400, and 401 with WWW-Authenticate when the client authenticated with the Authorization
 * header); JWTs are validated for real against trusted issuers; client secrets are checked with
 * Basic (form-urlencoded per §2.3.1) or in the body, never both.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Clock, nowSeconds, systemClock } from '../clock.js';
import type { FaultQueue } from '../faults.js';
import { type RecordedRequest, sendJson, startServer, type TestServer } from '../http-server.js';
import { createKeyStore, type KeyStore } from '../keys.js';
import { type TrustedIssuer, type VerifyFailureReason, verifyJwt } from '../verify.js';

/** OAUTH_GRANT_TOKEN_EXCHANGE and friends are the grant and type URNs the emulator speaks. */
export const OAUTH_GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** OAUTH_GRANT_JWT_BEARER is RFC 7523 §2.1's grant type. */
export const OAUTH_GRANT_JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** OAUTH_CLIENT_ASSERTION_JWT is RFC 7523 §2.2's client assertion type. */
export const OAUTH_CLIENT_ASSERTION_JWT = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TT = 'urn:ietf:params:oauth:token-type:';
/** OAUTH_SUBJECT_TOKEN_TYPES are the RFC 8693 §3 token types the emulator accepts as subject tokens (all JWTs). */
export const OAUTH_SUBJECT_TOKEN_TYPES = [`${TT}jwt`, `${TT}id_token`, `${TT}access_token`];

/** OAuthGrantKind names the grant a request used. */
export type OAuthGrantKind = 'token-exchange' | 'jwt-bearer' | 'client-credentials';

/** OAuthPolicyInput is what a policy sees: the validated JWT's claims and the request. */
export interface OAuthPolicyInput {
  grant: OAuthGrantKind;
  claims: Record<string, unknown>;
  clientId: string | undefined;
  audiences: string[];
  resources: string[];
  scopes: string[];
}

/** OAuthServerOptions configures startOAuthServer. */
export interface OAuthServerOptions {
  /** trusted lists the issuers whose JWTs are accepted as subject token, assertion or client assertion. */
  trusted: TrustedIssuer[];
  /** clients maps client id to secret; when given, token exchange and jwt-bearer require client auth. */
  clients?: Record<string, string>;
  /** requireClientAuth overrides the default (required when `clients` is given). */
  requireClientAuth?: boolean;
  /** policies decides whether validated claims may get a token (false: the grant's rejection code). */
  policies?: (claims: Record<string, unknown>, input: OAuthPolicyInput) => boolean;
  /** acceptAudience is what the JWT's aud must contain; default the token endpoint URL or the issuer. */
  acceptAudience?: string[];
  /** allowedTargets limits RFC 8693 audience/resource values; others get invalid_target. */
  allowedTargets?: string[];
  /** allowedScopes limits scope values; others get invalid_scope. */
  allowedScopes?: string[];
  issueRefresh?: boolean;
  /** omitIssuedTokenType drops the REQUIRED issued_token_type, like several real servers. */
  omitIssuedTokenType?: boolean;
  clock?: Clock;
  https?: boolean;
  tokenLifetimeSec?: number;
  /** ca is extra CA PEM trusted when fetching issuer discovery and JWKS over https. */
  ca?: string | string[];
}

/** OAuthIssued records one token the emulator issued. */
export interface OAuthIssued {
  grant: OAuthGrantKind;
  clientId: string | undefined;
  claims: Record<string, unknown>;
  params: Record<string, string[]>;
  accessToken: string;
  refreshToken?: string;
}

/** OAuthServer is a running emulator. */
export interface OAuthServer {
  url: string;
  /** issuer is the server's identifier (its URL) and the `iss` of the tokens it issues. */
  issuer: string;
  tokenUrl: string;
  jwksUri: string;
  caPem?: string;
  keys: KeyStore;
  issued: OAuthIssued[];
  requests: TestServer['requests'];
  count(pathPrefix?: string): number;
  faults: FaultQueue;
  server: TestServer;
  close(): Promise<void>;
}

interface OAuthErr {
  status: number;
  error: string;
  description: string;
  challenge?: boolean;
}

function err(error: string, description: string, status = 400, challenge = false): OAuthErr {
  return { status, error, description, ...(challenge ? { challenge } : {}) };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function formDecode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

/** startOAuthServer starts the emulator on loopback (plain http unless `https`). */
export async function startOAuthServer(opts: OAuthServerOptions): Promise<OAuthServer> {
  const clock = opts.clock ?? systemClock;
  const keys = createKeyStore();
  const lifetime = opts.tokenLifetimeSec ?? 3600;
  const issued: OAuthIssued[] = [];
  const requireClientAuth = opts.requireClientAuth ?? opts.clients !== undefined;
  let self: OAuthServer | undefined;

  type ClientResult = { id: string | undefined; authenticated: boolean; viaHeader: boolean } | OAuthErr;

  const authenticateClient = (req: RecordedRequest, form: URLSearchParams): ClientResult => {
    const header = req.header('authorization');
    const bodySecret = form.get('client_secret');
    const hasAssertion = form.has('client_assertion') || form.has('client_assertion_type');
    const methods = [header !== undefined, bodySecret !== null, hasAssertion].filter(Boolean).length;
    // RFC 6749 §2.3: the client MUST NOT use more than one authentication method in each request.
    if (methods > 1) return err('invalid_request', 'more than one client authentication method was used');
    if (header !== undefined) {
      const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
      let id: string | undefined;
      let secret: string | undefined;
      if (m) {
        const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i >= 0) {
          try {
            id = formDecode(decoded.slice(0, i));
            secret = formDecode(decoded.slice(i + 1));
          } catch {}
        }
      }
      const expected = id === undefined ? undefined : opts.clients?.[id];
      if (id === undefined || secret === undefined || expected === undefined || !safeEqual(secret, expected))
        return err('invalid_client', 'client authentication failed', 401, true);
      const bodyId = form.get('client_id');
      if (bodyId !== null && bodyId !== id)
        return err('invalid_request', 'client_id does not match the authenticated client');
      return { id, authenticated: true, viaHeader: true };
    }
    const id = form.get('client_id') ?? undefined;
    if (bodySecret !== null) {
      const expected = id === undefined ? undefined : opts.clients?.[id];
      if (id === undefined || expected === undefined || !safeEqual(bodySecret, expected))
        return err('invalid_client', 'client authentication failed', 401);
      return { id, authenticated: true, viaHeader: false };
    }
    return { id, authenticated: false, viaHeader: false };
  };

  const defaultAudiences = (): string[] => opts.acceptAudience ?? [self?.tokenUrl ?? '', self?.issuer ?? ''];

  const validate = async (
    token: string,
  ): Promise<
    { ok: true; claims: Record<string, unknown> } | { ok: false; reason: VerifyFailureReason; detail: string }
  > => {
    const r = await verifyJwt(token, {
      trusted: opts.trusted,
      audience: defaultAudiences(),
      clock,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
    });
    return r.ok ? { ok: true, claims: r.claims as Record<string, unknown> } : r;
  };

  const handleToken = async (req: RecordedRequest): Promise<OAuthErr | Record<string, unknown>> => {
    if (req.method !== 'POST') return err('invalid_request', 'the token endpoint accepts only POST', 405);
    const form = req.form;
    if (!form) return err('invalid_request', 'the body must be application/x-www-form-urlencoded');
    // RFC 6749 §3.2: parameters sent without a value are treated as omitted; none may repeat.
    for (const name of new Set(form.keys())) {
      if (name !== 'resource' && name !== 'audience' && form.getAll(name).length > 1)
        return err('invalid_request', `parameter ${name} is repeated`);
    }
    const get = (name: string) => {
      const v = form.get(name);
      return v === null || v === '' ? undefined : v;
    };
    const grantType = get('grant_type');
    if (grantType === undefined) return err('invalid_request', 'missing grant_type');
    const grant: OAuthGrantKind | undefined =
      grantType === OAUTH_GRANT_TOKEN_EXCHANGE
        ? 'token-exchange'
        : grantType === OAUTH_GRANT_JWT_BEARER
          ? 'jwt-bearer'
          : grantType === 'client_credentials'
            ? 'client-credentials'
            : undefined;
    if (grant === undefined) return err('unsupported_grant_type', `grant_type ${grantType} is not supported`);

    const client = authenticateClient(req, form);
    if ('error' in client) return client;

    const audiences = form.getAll('audience').filter((a) => a !== '');
    const resources = form.getAll('resource').filter((r) => r !== '');
    const scopes = (get('scope') ?? '').split(' ').filter((s) => s !== '');
    for (const r of resources) {
      let ok = false;
      try {
        ok = new URL(r).hash === '' && !r.includes('#');
      } catch {}
      // RFC 8707 §2: a resource that is not an absolute URI without fragment is invalid_target.
      if (!ok) return err('invalid_target', 'resource must be an absolute URI without a fragment');
    }

    let jwt: string;
    const clientId = client.id;
    let rejection: (detail: string) => OAuthErr;
    if (grant === 'client-credentials') {
      const type = get('client_assertion_type');
      const assertion = get('client_assertion');
      if (!client.authenticated && (type === undefined || assertion === undefined))
        return err('invalid_client', 'client authentication is required', 401, true);
      if (client.authenticated)
        return err(
          'unauthorized_client',
          'this server issues client_credentials tokens only to JWT-authenticated clients',
        );
      if (type !== OAUTH_CLIENT_ASSERTION_JWT)
        return err('invalid_request', `client_assertion_type must be ${OAUTH_CLIENT_ASSERTION_JWT}`);
      jwt = assertion as string;
      // RFC 7523 §3.2: an invalid client assertion is invalid_client.
      rejection = (d) => err('invalid_client', d, 401);
    } else {
      if (requireClientAuth && !client.authenticated)
        return err('invalid_client', 'client authentication is required', 401, true);
      if (get('client_assertion') !== undefined)
        return err('invalid_request', 'client assertions are accepted only with client_credentials');
      if (grant === 'jwt-bearer') {
        const assertion = get('assertion');
        if (assertion === undefined) return err('invalid_request', 'missing assertion');
        jwt = assertion;
        // RFC 7523 §3.1: an invalid grant assertion is invalid_grant.
        rejection = (d) => err('invalid_grant', d);
      } else {
        const subjectToken = get('subject_token');
        const subjectType = get('subject_token_type');
        if (subjectToken === undefined) return err('invalid_request', 'missing subject_token');
        if (subjectType === undefined) return err('invalid_request', 'missing subject_token_type');
        const actor = get('actor_token');
        const actorType = get('actor_token_type');
        // RFC 8693 §2.1: actor_token_type is REQUIRED with actor_token and MUST NOT appear without it.
        if (actor !== undefined && actorType === undefined)
          return err('invalid_request', 'actor_token_type is required with actor_token');
        if (actor === undefined && actorType !== undefined)
          return err('invalid_request', 'actor_token_type must not be sent without actor_token');
        if (actor !== undefined) return err('invalid_request', 'delegation (actor_token) is not supported');
        if (!OAUTH_SUBJECT_TOKEN_TYPES.includes(subjectType))
          return err('invalid_request', `unsupported subject_token_type ${subjectType}`);
        const requested = get('requested_token_type');
        if (requested !== undefined && requested !== `${TT}access_token` && requested !== `${TT}jwt`)
          return err('invalid_request', `cannot issue requested_token_type ${requested}`);
        jwt = subjectToken;
        // RFC 8693 §2.2.2: an invalid or unacceptable subject_token is invalid_request.
        rejection = (d) => err('invalid_request', d);
      }
    }

    const verified = await validate(jwt);
    if (!verified.ok) return rejection(`the JWT was rejected: ${verified.reason}`);
    const claims = verified.claims;

    if (opts.allowedTargets) {
      const bad = [...audiences, ...resources].find((t) => !opts.allowedTargets?.includes(t));
      if (bad !== undefined) return err('invalid_target', `no token can be issued for ${bad}`);
    }
    if (opts.allowedScopes) {
      const bad = scopes.find((s) => !opts.allowedScopes?.includes(s));
      if (bad !== undefined) return err('invalid_scope', `scope ${bad} is not allowed`);
    }
    if (opts.policies && !opts.policies(claims, { grant, claims, clientId, audiences, resources, scopes }))
      return rejection('the JWT is not acceptable by policy');

    const requestedType = get('requested_token_type') ?? `${TT}access_token`;
    const iat = nowSeconds(clock);
    const accessToken = await keys.sign({
      iss: self?.issuer,
      sub: claims['sub'],
      aud: audiences[0] ?? resources[0] ?? self?.issuer,
      iat,
      exp: iat + lifetime,
      jti: randomUUID(),
      ...(clientId === undefined ? {} : { client_id: clientId }),
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
      source_iss: claims['iss'],
    });
    const params: Record<string, string[]> = {};
    for (const k of new Set(form.keys())) params[k] = form.getAll(k);
    const refreshToken = opts.issueRefresh ? randomUUID() : undefined;
    issued.push({ grant, clientId, claims, params, accessToken, ...(refreshToken ? { refreshToken } : {}) });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: grant === 'token-exchange' && requestedType !== `${TT}access_token` ? 'N_A' : 'Bearer',
      expires_in: lifetime,
    };
    if (grant === 'token-exchange' && !opts.omitIssuedTokenType) body['issued_token_type'] = requestedType;
    if (scopes.length > 0) body['scope'] = scopes.join(' ');
    if (refreshToken) body['refresh_token'] = refreshToken;
    return body;
  };

  const sendError = (res: ServerResponse, e: OAuthErr): void => {
    const headers: Record<string, string> = { 'cache-control': 'no-store', pragma: 'no-cache' };
    if (e.challenge) headers['www-authenticate'] = `Basic realm="oauth-emulator", error="${e.error}"`;
    if (e.status === 405) headers['allow'] = 'POST';
    sendJson(res, e.status, { error: e.error, error_description: e.description }, headers);
  };

  const server = await startServer(
    async (req, res) => {
      if (!self) throw new Error('server not ready');
      if (req.path === '/.well-known/oauth-authorization-server' && req.method === 'GET') {
        sendJson(res, 200, {
          issuer: self.issuer,
          token_endpoint: self.tokenUrl,
          jwks_uri: self.jwksUri,
          grant_types_supported: [OAUTH_GRANT_TOKEN_EXCHANGE, OAUTH_GRANT_JWT_BEARER, 'client_credentials'],
          token_endpoint_auth_methods_supported: [
            'client_secret_basic',
            'client_secret_post',
            'private_key_jwt',
            'none',
          ],
          response_types_supported: ['token'],
        });
        return;
      }
      if (req.path === '/jwks' && req.method === 'GET') {
        sendJson(res, 200, keys.jwks());
        return;
      }
      if (req.path === '/token') {
        const result = await handleToken(req);
        if ('error' in result && typeof result['status'] === 'number') {
          sendError(res, result as OAuthErr);
          return;
        }
        sendJson(res, 200, result, { 'cache-control': 'no-store', pragma: 'no-cache' });
        return;
      }
      sendJson(res, 404, { error: 'not_found' });
    },
    opts.https ? { https: true } : {},
  );

  const emulator: OAuthServer = {
    url: server.url,
    issuer: server.url,
    tokenUrl: `${server.url}/token`,
    jwksUri: `${server.url}/jwks`,
    keys,
    issued,
    requests: server.requests,
    count: (p) => server.count(p),
    faults: server.faults,
    server,
    close: () => server.close(),
  };
  if (server.caPem !== undefined) emulator.caPem = server.caPem;
  self = emulator;
  return emulator;
}
