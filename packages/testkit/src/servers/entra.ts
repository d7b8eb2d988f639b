/**
 * entra.ts: a Microsoft Entra ID v2 endpoint emulator for workload identity federation. It serves
 * per-tenant OIDC discovery, JWKS, instance discovery and the token endpoint, validates the client
 * assertion for real (issuer keys over HTTP, then exact issuer/subject/audience match against the
 * app's federated identity credentials, as Entra does), and answers with Entra's success and AADSTS
 * error shapes. Access tokens are JWTs signed by the emulator's own key, so tests can verify them.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Clock, nowSeconds, systemClock } from '../clock.js';
import type { FaultQueue } from '../faults.js';
import { type RecordedRequest, sendJson, startServer, type TestServer } from '../http-server.js';
import { createKeyStore, type KeyStore } from '../keys.js';
import { type TrustedIssuer, verifyJwt } from '../verify.js';

/** FederatedCredential is one federated identity credential on an app registration. */
export interface FederatedCredential {
  issuer: string;
  subject: string;
  /** audiences must hold one value in real Entra (`api://AzureADTokenExchange` in the public cloud). */
  audiences: string[];
}

/** EntraApp is an app registration (or user-assigned managed identity) in a tenant. */
export interface EntraApp {
  federatedCredentials: FederatedCredential[];
  /** objectId is the service principal's object id (the access token's `oid`/`sub`); random by default. */
  objectId?: string;
}

/** EntraTenant is one directory; its key is the tenant id GUID or a verified domain. */
export interface EntraTenant {
  apps: Record<string, EntraApp>;
  /** tenantId is the GUID put in `tid` and the issuer; defaults to the key when that is a GUID. */
  tenantId?: string;
}

/** EntraOptions configures startEntra. */
export interface EntraOptions {
  tenants: Record<string, EntraTenant>;
  /** trusted says where to find issuers' keys; an issuer not listed is discovered at `<iss>/.well-known/openid-configuration`. */
  trusted?: TrustedIssuer[];
  /** https defaults to true: @azure/identity refuses an http authority. */
  https?: boolean;
  clock?: Clock;
  /** tokenLifetimeSec is the issued access token's lifetime; Entra's default is about an hour. */
  tokenLifetimeSec?: number;
  /** ca is extra CA PEM trusted when fetching issuer discovery and JWKS over https. */
  ca?: string | string[];
  /** clockSkewSec is the leeway for the assertion's exp/nbf; Entra allows a few minutes. */
  clockSkewSec?: number;
}

/** EntraIssued records one access token the emulator issued. */
export interface EntraIssued {
  tenant: string;
  clientId: string;
  scope: string;
  assertionClaims: Record<string, unknown>;
  accessToken: string;
}

/** Entra is a running emulator. */
export interface Entra {
  /** url is the authority host (`https://127.0.0.1:<port>`), with no trailing slash. */
  url: string;
  caPem?: string;
  keys: KeyStore;
  tokenUrl(tenant: string): string;
  jwksUri(tenant: string): string;
  /** issuerFor is the `iss` of access tokens the emulator issues for a tenant. */
  issuerFor(tenant: string): string;
  issued: EntraIssued[];
  requests: TestServer['requests'];
  count(pathPrefix?: string): number;
  faults: FaultQueue;
  server: TestServer;
  close(): Promise<void>;
}

/** ENTRA_ASSERTION_TYPE is the only client_assertion_type Entra accepts. */
export const ENTRA_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** entraTimestamp formats like Entra's error bodies: `2016-01-09 02:02:12Z`. */
export function entraTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

interface AadError {
  status: number;
  error: string;
  code: number;
  message: string;
}

function aad(status: number, error: string, code: number, message: string): AadError {
  return { status, error, code, message };
}

/** startEntra starts the emulator on loopback. */
export async function startEntra(opts: EntraOptions): Promise<Entra> {
  const clock = opts.clock ?? systemClock;
  const keys = createKeyStore();
  const lifetime = opts.tokenLifetimeSec ?? 3599;
  const issued: EntraIssued[] = [];
  const objectIds = new Map<string, string>();
  let base = '';

  const tenantGuid = (key: string, t: EntraTenant): string =>
    t.tenantId ?? (GUID.test(key) ? key.toLowerCase() : randomUUIDFor(key));
  const guidCache = new Map<string, string>();
  function randomUUIDFor(key: string): string {
    let g = guidCache.get(key);
    if (!g) {
      g = randomUUID();
      guidCache.set(key, g);
    }
    return g;
  }
  const findTenant = (key: string): { key: string; tenant: EntraTenant } | undefined => {
    for (const [k, t] of Object.entries(opts.tenants)) {
      if (k.toLowerCase() === key.toLowerCase() || tenantGuid(k, t) === key.toLowerCase())
        return { key: k, tenant: t };
    }
    return undefined;
  };
  const issuerFor = (tenant: string): string => {
    const found = findTenant(tenant);
    return `${base}/${found ? tenantGuid(found.key, found.tenant) : tenant}/v2.0`;
  };

  const sendError = (req: RecordedRequest, res: ServerResponse, e: AadError): void => {
    const traceId = randomUUID();
    const correlationId =
      req.query.get('client-request-id') ??
      req.form?.get('client-request-id') ??
      req.header('client-request-id') ??
      randomUUID();
    const timestamp = entraTimestamp(clock.now());
    sendJson(
      res,
      e.status,
      {
        error: e.error,
        error_description: `AADSTS${e.code}: ${e.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
        error_codes: [e.code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `${base}/error?code=${e.code}`,
      },
      {
        'cache-control': 'no-store, no-cache',
        pragma: 'no-cache',
        'x-ms-request-id': traceId,
        'client-request-id': correlationId,
      },
    );
  };

  const tenantNotFound = (tenant: string): AadError =>
    aad(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );

  const token = async (
    req: RecordedRequest,
    tenantKey: string,
  ): Promise<AadError | Record<string, unknown>> => {
    const found = findTenant(tenantKey);
    if (!found) return tenantNotFound(tenantKey);
    const form = req.form;
    if (req.method !== 'POST' || !form)
      return aad(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );
    const missing = (p: string) =>
      aad(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${p}'.`);
    const grant = form.get('grant_type');
    if (!grant) return missing('grant_type');
    if (grant !== 'client_credentials')
      return aad(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grant}'.`,
      );
    const clientId = form.get('client_id');
    if (!clientId) return missing('client_id');
    const scope = form.get('scope');
    if (!scope) return missing('scope');
    if (scope.trim().split(/\s+/).length !== 1 || !scope.endsWith('/.default'))
      return aad(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    const app = found.tenant.apps[clientId.toLowerCase()] ?? found.tenant.apps[clientId];
    const tid = tenantGuid(found.key, found.tenant);
    if (!app)
      return aad(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tid}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    if (form.get('client_secret'))
      return aad(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    const assertion = form.get('client_assertion');
    const assertionType = form.get('client_assertion_type');
    if (!assertion || !assertionType)
      return aad(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    if (assertionType !== ENTRA_ASSERTION_TYPE)
      return aad(
        400,
        'invalid_request',
        50027,
        `Invalid client_assertion_type '${assertionType}'; expected '${ENTRA_ASSERTION_TYPE}'.`,
      );

    // Entra matches the assertion's issuer against the app's credentials before fetching any keys.
    let unverified: Record<string, unknown>;
    try {
      const part = assertion.split('.')[1] ?? '';
      unverified = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (typeof unverified !== 'object' || unverified === null) throw new Error('not an object');
    } catch {
      return aad(400, 'invalid_request', 50027, 'JWT token is invalid or is malformed.');
    }
    const iss = typeof unverified['iss'] === 'string' ? unverified['iss'] : '';
    const sub = typeof unverified['sub'] === 'string' ? unverified['sub'] : '';
    const rawAud = unverified['aud'];
    const aud = Array.isArray(rawAud) ? rawAud.map(String) : typeof rawAud === 'string' ? [rawAud] : [];
    const fics = app.federatedCredentials;
    const described = `Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud.join(',')}'.`;
    if (fics.length === 0)
      return aad(
        400,
        'invalid_request',
        70021,
        `No matching federated identity record found for presented assertion. ${described}`,
      );
    const byIssuer = fics.filter((f) => f.issuer === iss);
    if (byIssuer.length === 0)
      return aad(
        400,
        'invalid_client',
        700211,
        `No matching federated identity record found for presented assertion issuer '${iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
      );
    const trusted = opts.trusted?.find((t) => t.issuer === iss) ?? { issuer: iss };
    const verified = await verifyJwt(assertion, {
      trusted: [trusted],
      clock,
      clockSkewSec: opts.clockSkewSec ?? 300,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
    });
    if (!verified.ok) {
      switch (verified.reason) {
        case 'expired':
        case 'not_yet_valid': {
          const nbf = Number(unverified['nbf'] ?? unverified['iat'] ?? 0) * 1000;
          const exp = Number(unverified['exp'] ?? 0) * 1000;
          return aad(
            400,
            'invalid_client',
            700024,
            `Client assertion is not within its valid time range. Current time: ${new Date(clock.now()).toISOString()}, assertion valid from ${new Date(nbf).toISOString()}, expiry time of assertion ${new Date(exp).toISOString()}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
          );
        }
        case 'discovery_failed':
        case 'jwks_failed':
          return aad(
            400,
            'invalid_client',
            501661,
            `Request to External OIDC endpoint failed. Issuer: '${iss}'.`,
          );
        case 'signature':
          return aad(
            401,
            'invalid_client',
            700027,
            'Client assertion failed signature validation. The key used to sign the assertion is not published by the issuer.',
          );
        default:
          return aad(400, 'invalid_request', 50027, 'JWT token is invalid or is malformed.');
      }
    }
    const bySubject = byIssuer.filter((f) => f.subject === sub);
    if (bySubject.length === 0)
      return aad(
        400,
        'invalid_client',
        700213,
        `No matching federated identity record found for presented assertion subject '${sub}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
      );
    const match = bySubject.find((f) => f.audiences.some((a) => aud.includes(a)));
    if (!match)
      return aad(
        400,
        'invalid_client',
        700212,
        `No matching federated identity record found for presented assertion audience '${aud.join(',')}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
      );

    const appKey = `${tid}/${clientId.toLowerCase()}`;
    let oid = app.objectId ?? objectIds.get(appKey);
    if (!oid) {
      oid = randomUUID();
      objectIds.set(appKey, oid);
    }
    const iat = nowSeconds(clock);
    const accessToken = await keys.sign({
      aud: scope.slice(0, -'/.default'.length),
      iss: `${base}/${tid}/v2.0`,
      iat,
      nbf: iat,
      exp: iat + lifetime,
      aio: randomUUID(),
      azp: clientId,
      azpacr: '2',
      idtyp: 'app',
      oid,
      rh: randomUUID(),
      sub: oid,
      tid,
      uti: randomUUID().replace(/-/g, '').slice(0, 22),
      ver: '2.0',
    });
    issued.push({
      tenant: tid,
      clientId,
      scope,
      assertionClaims: verified.claims as Record<string, unknown>,
      accessToken,
    });
    return {
      token_type: 'Bearer',
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
    };
  };

  const discovery = (tenantKey: string): Record<string, unknown> => {
    const found = findTenant(tenantKey);
    const tid = found ? tenantGuid(found.key, found.tenant) : tenantKey;
    const root = `${base}/${tid}`;
    return {
      token_endpoint: `${root}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${root}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${root}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${base}/oidc/userinfo`,
      authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${root}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${root}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'azp', 'ver'],
      kerberos_endpoint: `${root}/kerberos`,
      tenant_region_scope: 'NA',
      cloud_instance_name: new URL(base).host,
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  };

  const server = await startServer(
    async (req, res) => {
      const m =
        /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/token)$/.exec(
          req.path,
        );
      if (req.method === 'GET' && req.path === '/common/discovery/instance') {
        const host = new URL(base).host;
        sendJson(res, 200, {
          tenant_discovery_endpoint: `${base}/${req.query.get('authorization_endpoint')?.split('/')[3] ?? 'common'}/v2.0/.well-known/openid-configuration`,
          'api-version': '1.1',
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        });
        return;
      }
      if (!m) {
        sendJson(res, 404, { error: 'not_found' });
        return;
      }
      const tenant = decodeURIComponent(m[1] as string);
      const what = m[2] as string;
      if (what.startsWith('v2.0/')) {
        if (req.method !== 'GET' || !findTenant(tenant)) {
          sendError(req, res, tenantNotFound(tenant));
          return;
        }
        sendJson(res, 200, discovery(tenant));
        return;
      }
      if (what.startsWith('discovery/')) {
        if (!findTenant(tenant)) {
          sendError(req, res, tenantNotFound(tenant));
          return;
        }
        sendJson(res, 200, keys.jwks());
        return;
      }
      const result = await token(req, tenant);
      if ('status' in result && typeof result['status'] === 'number' && 'code' in result) {
        sendError(req, res, result as AadError);
        return;
      }
      sendJson(res, 200, result, {
        'cache-control': 'no-store, no-cache',
        pragma: 'no-cache',
        'x-ms-request-id': randomUUID(),
      });
    },
    { https: opts.https ?? true },
  );
  base = server.url;

  const entra: Entra = {
    url: server.url,
    keys,
    tokenUrl: (tenant) => `${server.url}/${tenant}/oauth2/v2.0/token`,
    jwksUri: (tenant) => `${server.url}/${tenant}/discovery/v2.0/keys`,
    issuerFor,
    issued,
    requests: server.requests,
    count: (p) => server.count(p),
    faults: server.faults,
    server,
    close: () => server.close(),
  };
  if (server.caPem !== undefined) entra.caPem = server.caPem;
  return entra;
}
