/**
 * gcp.ts: an offline Google Cloud STS + IAM Credentials emulator on one loopback server.
 *
 * - `POST /v1/token`: RFC 8693 token exchange (form, as google-auth-library and gcloud send it, or
 *   JSON in snake_case or camelCase, as google-github-actions/auth sends it). The subject JWT is verified
 *   for real (issuer, JWKS signature, times), then the provider's audiences and attribute condition.
 *   Errors are RFC 6749 bodies with GCP's codes: invalid_target, invalid_grant, unauthorized_client.
 * - `POST /v1/projects/-/serviceAccounts/<sa>:generateAccessToken | :generateIdToken`: the bearer must be
 *   a token this emulator issued; the caller's principal must be allowed on the account. Errors use
 *   the Google API envelope. `expireTime` has no fractional seconds (gcloud rejects them).
 * - `POST /v1/introspect`: RFC 7662 introspection of issued tokens (gcloud names external accounts so).
 * - `GET|POST /tokeninfo?access_token=`: who a token belongs to (like oauth2.googleapis.com/tokeninfo).
 * - `GET /oauth2/v3/certs`: the JWKS that verifies the ID tokens generateIdToken mints.
 * - `GET /v1/projects/<number|id>`: a Cloud Resource Manager stub for ADC's project lookup.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { decodeJwt } from 'jose';
import { type Clock, systemClock } from '../clock.js';
import { globMatch, matchConditions } from '../conditions.js';
import type { FaultQueue } from '../faults.js';
import { type RecordedRequest, sendJson, startServer, type TestServer } from '../http-server.js';
import { createKeyStore } from '../keys.js';
import { type TrustedIssuer, verifyJwt } from '../verify.js';

/** GCP_ID_TOKEN_ISSUER is the `iss` of ID tokens minted by generateIdToken, as Google's. */
export const GCP_ID_TOKEN_ISSUER = 'https://accounts.google.com';

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const SUBJECT_TOKEN_TYPES = [
  'urn:ietf:params:oauth:token-type:jwt',
  'urn:ietf:params:oauth:token-type:id_token',
];
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const IAM_SCOPE = 'https://www.googleapis.com/auth/iam';

/** GcpAttributeCondition is a predicate over the verified claims, or a claim → glob(s) map. */
export type GcpAttributeCondition =
  | ((claims: Record<string, unknown>) => boolean)
  | Record<string, string | string[]>;

/** GcpProviderConfig configures one workload identity pool provider. */
export interface GcpProviderConfig {
  attributeCondition?: GcpAttributeCondition;
  /** audiences are the allowed `aud` values; default is the provider's name with `//` or `https://`. */
  audiences?: string[];
  /** attributeMapping maps `google.subject` / `attribute.<x>` to a claim name; default `{google.subject: 'sub'}`. */
  attributeMapping?: Record<string, string>;
  /** issuer restricts the provider to one of the trusted issuers. */
  issuer?: string;
  disabled?: boolean;
}

/** GcpServiceAccountConfig configures one service account. */
export interface GcpServiceAccountConfig {
  /**
   * allowedPrincipals are globs over the caller's `principal://…/subject/<s>`, `principalSet://…/*` and
   * `principalSet://…/attribute.<name>/<value>` identifiers (the roles/iam.workloadIdentityUser
   * members); undefined allows every federated principal, [] allows none.
   */
  allowedPrincipals?: string[];
  /** maxLifetimeSec is 3600 unless the org constraint extends it (up to 43200). */
  maxLifetimeSec?: number;
  disabled?: boolean;
}

/** GcpEmulatorOptions configures startGcp. */
export interface GcpEmulatorOptions {
  trusted: TrustedIssuer[];
  /** providers are keyed by `projects/<n>/locations/global/workloadIdentityPools/<p>/providers/<x>`. */
  providers: Record<string, GcpProviderConfig>;
  /** serviceAccounts are keyed by email. */
  serviceAccounts?: Record<string, GcpServiceAccountConfig>;
  /** projects maps project numbers to ids for the Cloud Resource Manager stub. */
  projects?: Record<string, string>;
  clock?: Clock;
  universe?: string;
  /** federatedLifetimeSec caps federated tokens (default 3600); they never outlive the subject token. */
  federatedLifetimeSec?: number;
  /** ca is trusted when fetching issuer discovery and JWKS over https. */
  ca?: string | string[];
  https?: boolean;
}

/** GcpTokenRecord is what the emulator remembers about each access token it issued. */
export interface GcpTokenRecord {
  kind: 'federated' | 'service_account';
  /** principal is the `principal://` subject (federated) or the service account email. */
  principal: string;
  /** identifiers are the principal and principalSet strings IAM bindings are matched against. */
  identifiers: string[];
  scopes: string[];
  expiresAtMs: number;
  email?: string;
  claims?: Record<string, unknown>;
}

/** GcpEmulator is a running STS + IAM Credentials emulator. */
export interface GcpEmulator {
  url: string;
  /** tokenUrl is the STS token endpoint (`<url>/v1/token`). */
  tokenUrl: string;
  server: TestServer;
  requests: TestServer['requests'];
  faults: FaultQueue;
  count(pathPrefix?: string): number;
  /** idTokenJwksUri verifies ID tokens from generateIdToken (issuer GCP_ID_TOKEN_ISSUER). */
  idTokenJwksUri: string;
  /** lookup tells which principal an access token belongs to, if the emulator issued it and it is live. */
  lookup(accessToken: string): GcpTokenRecord | undefined;
  /** uniqueIdOf is a service account's numeric unique id (the `sub` of its ID tokens). */
  uniqueIdOf(email: string): string;
  close(): Promise<void>;
}

function stripIam(name: string): string {
  return name.replace(/^\/\/iam\.[^/]+\//, '');
}

/** rfc3339 renders a time the way Google APIs do: whole seconds, `Z`. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function oauthError(res: ServerResponse, error: string, description: string, status = 400): void {
  sendJson(res, status, { error, error_description: description }, { 'cache-control': 'no-store' });
}

const STATUS_CODE: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  FAILED_PRECONDITION: 400,
};

function googleError(
  res: ServerResponse,
  status: keyof typeof STATUS_CODE,
  message: string,
  info?: { reason: string; domain: string; metadata?: Record<string, string> },
): void {
  const code = STATUS_CODE[status] ?? 400;
  sendJson(res, code, {
    error: {
      code,
      message,
      status,
      ...(info ? { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', ...info }] } : {}),
    },
  });
}

function newToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

// STS accepts form fields, or JSON in snake_case or camelCase (google-github-actions/auth).
function stsParams(req: RecordedRequest): ((name: string) => string | undefined) | undefined {
  if (req.form) {
    const form = req.form;
    return (name) => form.get(name) ?? undefined;
  }
  if (req.json !== undefined && typeof req.json === 'object' && req.json !== null) {
    const json = req.json as Record<string, unknown>;
    return (name) => {
      const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      const v = json[name] ?? json[camel];
      return typeof v === 'string' ? v : Array.isArray(v) ? v.join(' ') : undefined;
    };
  }
  return undefined;
}

function bearerOf(req: RecordedRequest): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
  return m?.[1];
}

/** startGcp starts the emulator on 127.0.0.1. */
export async function startGcp(opts: GcpEmulatorOptions): Promise<GcpEmulator> {
  const clock = opts.clock ?? systemClock;
  const universe = opts.universe ?? 'googleapis.com';
  const providers = new Map(Object.entries(opts.providers).map(([k, v]) => [stripIam(k), v]));
  const accounts = new Map(Object.entries(opts.serviceAccounts ?? {}));
  const tokens = new Map<string, GcpTokenRecord>();
  const idKeys = createKeyStore();
  const uniqueIdOf = (email: string) =>
    `1${BigInt(`0x${createHash('sha256').update(email).digest('hex').slice(0, 20)}`)
      .toString()
      .padStart(20, '0')
      .slice(0, 20)}`;

  const live = (token: string | undefined): GcpTokenRecord | undefined => {
    if (token === undefined) return undefined;
    const rec = tokens.get(token);
    return rec && rec.expiresAtMs > clock.now() ? rec : undefined;
  };

  const sts = async (req: RecordedRequest, res: ServerResponse): Promise<void> => {
    const p = stsParams(req);
    if (!p) {
      oauthError(
        res,
        'invalid_request',
        'The request body must be application/x-www-form-urlencoded or JSON.',
      );
      return;
    }
    if (p('grant_type') !== GRANT_TYPE) {
      oauthError(res, 'unsupported_grant_type', 'Invalid value for "grant_type".');
      return;
    }
    for (const name of ['audience', 'subject_token', 'subject_token_type']) {
      if (!p(name)) {
        oauthError(res, 'invalid_request', `The request is missing the required parameter "${name}".`);
        return;
      }
    }
    const subjectTokenType = p('subject_token_type') ?? '';
    if (!SUBJECT_TOKEN_TYPES.includes(subjectTokenType)) {
      oauthError(res, 'invalid_request', `Invalid value for "subject_token_type": ${subjectTokenType}.`);
      return;
    }
    const requested = p('requested_token_type');
    if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) {
      oauthError(res, 'invalid_request', `Invalid value for "requested_token_type": ${requested}.`);
      return;
    }
    const audience = p('audience') ?? '';
    const prefix = `//iam.${universe}/`;
    const name = audience.startsWith(prefix) ? audience.slice(prefix.length) : undefined;
    const provider = name === undefined ? undefined : providers.get(name);
    if (name === undefined || provider === undefined || provider.disabled) {
      oauthError(
        res,
        'invalid_target',
        `The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn't exist.`,
      );
      return;
    }
    const subjectToken = p('subject_token') ?? '';
    let unverified: Record<string, unknown> = {};
    try {
      unverified = decodeJwt(subjectToken) as Record<string, unknown>;
    } catch {
      oauthError(res, 'invalid_grant', 'Unable to parse the ID Token.');
      return;
    }
    const trusted = opts.trusted.filter((t) => provider.issuer === undefined || t.issuer === provider.issuer);
    const verdict = await verifyJwt(subjectToken, {
      trusted,
      clock,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
    });
    if (!verdict.ok) {
      const iss = typeof unverified['iss'] === 'string' ? unverified['iss'] : '';
      const description: Record<string, string> = {
        malformed: 'Unable to parse the ID Token.',
        untrusted_issuer: `The issuer in ID Token ${iss} does not match the expected ones.`,
        discovery_failed: `Unable to retrieve the OpenID configuration of issuer ${iss}.`,
        jwks_failed: `Unable to retrieve the public keys of issuer ${iss}.`,
        signature: 'Invalid JWT signature.',
        expired: 'The ID Token has expired.',
        not_yet_valid: 'The ID Token is not yet valid (iat or nbf is in the future).',
        missing_claim: 'The ID Token is missing a required claim.',
        audience: 'The audience in ID Token does not match the expected audience.',
      };
      oauthError(res, 'invalid_grant', description[verdict.reason] ?? 'Invalid ID Token.');
      return;
    }
    const claims = verdict.claims as Record<string, unknown>;
    const aud = Array.isArray(claims['aud'])
      ? (claims['aud'] as unknown[]).map(String)
      : [String(claims['aud'])];
    const allowed = provider.audiences ?? [`//iam.${universe}/${name}`, `https://iam.${universe}/${name}`];
    if (!aud.some((a) => allowed.includes(a))) {
      oauthError(
        res,
        'invalid_grant',
        `The audience in ID Token [${aud.join(', ')}] does not match the expected audience.`,
      );
      return;
    }
    const condition = provider.attributeCondition;
    const admitted =
      condition === undefined
        ? true
        : typeof condition === 'function'
          ? condition(claims)
          : matchConditions(claims, condition).ok;
    if (!admitted) {
      oauthError(res, 'unauthorized_client', 'The given credential is rejected by the attribute condition.');
      return;
    }
    const mapping = provider.attributeMapping ?? { 'google.subject': 'sub' };
    const attrs: Record<string, string> = {};
    for (const [target, claim] of Object.entries(mapping)) {
      const v = claims[claim];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attrs[target] = String(v);
    }
    const subject = attrs['google.subject'];
    if (subject === undefined) {
      oauthError(res, 'invalid_grant', 'The mapped attribute google.subject is empty.');
      return;
    }
    const pool = `iam.${universe}/${name.replace(/\/providers\/[^/]+$/, '')}`;
    const identifiers = [
      `principal://${pool}/subject/${subject}`,
      `principalSet://${pool}/*`,
      ...Object.entries(attrs)
        .filter(([k]) => k.startsWith('attribute.'))
        .map(([k, v]) => `principalSet://${pool}/${k}/${v}`),
    ];
    const now = clock.now();
    const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : now;
    const lifetimeMs = Math.max(1000, Math.min((opts.federatedLifetimeSec ?? 3600) * 1000, exp - now));
    const accessToken = newToken('ya29.d.');
    tokens.set(accessToken, {
      kind: 'federated',
      principal: identifiers[0] as string,
      identifiers,
      scopes: (p('scope') ?? CLOUD_PLATFORM).split(/\s+/).filter(Boolean),
      expiresAtMs: now + lifetimeMs,
      claims,
    });
    sendJson(
      res,
      200,
      {
        access_token: accessToken,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: Math.floor(lifetimeMs / 1000),
      },
      { 'cache-control': 'no-store' },
    );
  };

  const iam = async (
    req: RecordedRequest,
    res: ServerResponse,
    email: string,
    method: 'generateAccessToken' | 'generateIdToken',
  ): Promise<void> => {
    const caller = live(bearerOf(req));
    if (!caller) {
      googleError(
        res,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        { reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED', domain: 'googleapis.com' },
      );
      return;
    }
    if (!caller.scopes.includes(CLOUD_PLATFORM) && !caller.scopes.includes(IAM_SCOPE)) {
      googleError(res, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', {
        reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
        domain: 'googleapis.com',
      });
      return;
    }
    const body = req.json;
    if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
      googleError(res, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
      return;
    }
    const b = body as Record<string, unknown>;
    const delegates = Array.isArray(b['delegates']) ? (b['delegates'] as unknown[]).map(String) : [];
    const chain = [...delegates.map((d) => d.replace(/^projects\/-\/serviceAccounts\//, '')), email];
    for (const sa of chain) {
      if (!accounts.has(sa)) {
        googleError(res, 'NOT_FOUND', `Not found; Gaia id not found for email ${sa}`);
        return;
      }
    }
    // The caller needs the permission on the first account of the chain; each account on the next.
    const first = chain[0] as string;
    const firstConfig = accounts.get(first) as GcpServiceAccountConfig;
    const permission =
      method === 'generateAccessToken'
        ? 'iam.serviceAccounts.getAccessToken'
        : 'iam.serviceAccounts.getOpenIdToken';
    const allowedPrincipals = firstConfig.allowedPrincipals;
    const permitted =
      caller.kind === 'service_account'
        ? (allowedPrincipals ?? []).some((p) => globMatch(p, `serviceAccount:${caller.principal}`))
        : allowedPrincipals === undefined ||
          allowedPrincipals.some((p) => caller.identifiers.some((id) => globMatch(p, id)));
    if (!permitted) {
      googleError(
        res,
        'PERMISSION_DENIED',
        `Permission '${permission}' denied on resource (or it may not exist).`,
        { reason: 'IAM_PERMISSION_DENIED', domain: 'iam.googleapis.com', metadata: { permission } },
      );
      return;
    }
    const config = accounts.get(email) as GcpServiceAccountConfig;
    if (config.disabled) {
      googleError(res, 'FAILED_PRECONDITION', `Service account ${email} is disabled.`);
      return;
    }
    const now = clock.now();
    if (method === 'generateAccessToken') {
      const scope = Array.isArray(b['scope']) ? (b['scope'] as unknown[]).map(String) : [];
      if (scope.length === 0) {
        googleError(res, 'INVALID_ARGUMENT', 'Scope required.');
        return;
      }
      let lifetimeSec = 3600;
      if (b['lifetime'] !== undefined) {
        const m = /^(\d+)(?:\.\d+)?s$/.exec(String(b['lifetime']));
        if (!m) {
          googleError(
            res,
            'INVALID_ARGUMENT',
            `Invalid value at 'lifetime' (type.googleapis.com/google.protobuf.Duration)`,
          );
          return;
        }
        lifetimeSec = Number(m[1]);
      }
      const max = config.maxLifetimeSec ?? 3600;
      if (lifetimeSec < 1 || lifetimeSec > max) {
        googleError(
          res,
          'INVALID_ARGUMENT',
          `The lifetime requested (${lifetimeSec}s) must be between 1 second and ${max} seconds.`,
        );
        return;
      }
      const accessToken = newToken('ya29.c.');
      const expiresAtMs = Math.floor(now / 1000) * 1000 + lifetimeSec * 1000;
      tokens.set(accessToken, {
        kind: 'service_account',
        principal: email,
        identifiers: [`serviceAccount:${email}`],
        scopes: scope,
        expiresAtMs,
        email,
      });
      sendJson(res, 200, { accessToken, expireTime: rfc3339(expiresAtMs) });
      return;
    }
    const audience = typeof b['audience'] === 'string' ? b['audience'] : '';
    if (audience === '') {
      googleError(res, 'INVALID_ARGUMENT', 'Audience required.');
      return;
    }
    const iat = Math.floor(now / 1000);
    const uid = uniqueIdOf(email);
    const token = await idKeys.sign({
      iss: GCP_ID_TOKEN_ISSUER,
      aud: audience,
      azp: uid,
      sub: uid,
      iat,
      exp: iat + 3600,
      ...(b['includeEmail'] === true ? { email, email_verified: true } : {}),
    });
    sendJson(res, 200, { token });
  };

  const tokenInfo = (req: RecordedRequest, res: ServerResponse): void => {
    const token = req.query.get('access_token') ?? req.form?.get('access_token') ?? undefined;
    const rec = live(token ?? undefined);
    if (!rec) {
      sendJson(res, 400, { error: 'invalid_token', error_description: 'Invalid Value' });
      return;
    }
    const expiresIn = Math.floor((rec.expiresAtMs - clock.now()) / 1000);
    const common = {
      scope: rec.scopes.join(' '),
      exp: String(Math.floor(rec.expiresAtMs / 1000)),
      expires_in: String(expiresIn),
      access_type: 'online',
    };
    if (rec.kind === 'service_account' && rec.email !== undefined) {
      const uid = uniqueIdOf(rec.email);
      sendJson(res, 200, { azp: uid, aud: uid, ...common, email: rec.email, email_verified: 'true' });
    } else {
      sendJson(res, 200, { sub: rec.principal, ...common });
    }
  };

  // RFC 7662 introspection, which gcloud calls to name the account of a non-impersonated token.
  const introspect = (req: RecordedRequest, res: ServerResponse): void => {
    const rec = live(req.form?.get('token') ?? undefined);
    if (!rec) {
      sendJson(res, 200, { active: false });
      return;
    }
    sendJson(res, 200, {
      active: true,
      scope: rec.scopes.join(' '),
      exp: Math.floor(rec.expiresAtMs / 1000),
      sub: rec.principal,
      username: rec.principal,
      token_type: 'Bearer',
    });
  };

  const crm = (req: RecordedRequest, res: ServerResponse, id: string): void => {
    if (!live(bearerOf(req))) {
      googleError(res, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
      return;
    }
    const entries = Object.entries(opts.projects ?? {});
    const hit = entries.find(([num, pid]) => num === id || pid === id);
    if (!hit) {
      googleError(res, 'PERMISSION_DENIED', `The caller does not have permission`);
      return;
    }
    sendJson(res, 200, {
      projectNumber: hit[0],
      projectId: hit[1],
      lifecycleState: 'ACTIVE',
      name: hit[1],
      createTime: '2020-01-01T00:00:00.000Z',
    });
  };

  const IAM_PATH = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):([A-Za-z]+)$/;
  const server = await startServer(
    async (req, res) => {
      if (req.path === '/v1/token' && req.method === 'POST') return sts(req, res);
      if (req.path === '/v1/introspect' && req.method === 'POST') return introspect(req, res);
      const m = IAM_PATH.exec(req.path);
      if (m && req.method === 'POST') {
        const email = decodeURIComponent(m[1] as string);
        const method = m[2];
        if (method === 'generateAccessToken' || method === 'generateIdToken')
          return iam(req, res, email, method);
        googleError(res, 'NOT_FOUND', `Method ${method} not found.`);
        return;
      }
      if (req.path === '/tokeninfo') return tokenInfo(req, res);
      if (req.path === '/oauth2/v3/certs' && req.method === 'GET') {
        sendJson(res, 200, idKeys.jwks());
        return;
      }
      const project = /^\/v1\/projects\/([^/:]+)$/.exec(req.path);
      if (project && req.method === 'GET') return crm(req, res, decodeURIComponent(project[1] as string));
      googleError(res, 'NOT_FOUND', `The requested URL ${req.path} was not found on this server.`);
    },
    opts.https ? { https: true } : {},
  );

  return {
    url: server.url,
    tokenUrl: `${server.url}/v1/token`,
    server,
    requests: server.requests,
    faults: server.faults,
    count: (prefix) => server.count(prefix),
    idTokenJwksUri: `${server.url}/oauth2/v3/certs`,
    lookup: (token) => live(token),
    uniqueIdOf,
    close: () => server.close(),
  };
}
