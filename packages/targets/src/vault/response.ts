/**
 * response.ts: pure parsers for Vault answers. Success bodies share one envelope (`request_id`,
 * `data`, `auth`, …); errors are `{"errors": ["…"]}` with no machine-readable code, so the message
 * is classified into a stable kind (carried as `serverCode`) that picks the hint.
 */
import { ExchangeError, type ErrorCode, type HttpResponse } from '@federate/core';
import { clip, codeForStatus, optional, parseJsonBody, requestIdOf } from '../shared/response.js';

/** TARGET is the target name errors carry. */
export const TARGET = 'vault';

/** VaultLogin is what a successful JWT login yields. */
export interface VaultLogin {
  readonly token: string;
  readonly accessor: string | undefined;
  readonly policies: readonly string[];
  /** leaseDuration is the token's TTL in seconds (0 = no expiry). */
  readonly leaseDuration: number;
  readonly renewable: boolean;
  readonly entityId: string | undefined;
  /** tokenType is `service` or `batch`; batch tokens cannot be revoked. */
  readonly tokenType: string | undefined;
  readonly requestId: string | undefined;
}

/** parseLogin reads `auth.client_token` and its properties from a login answer. */
export function parseLogin(res: HttpResponse): VaultLogin {
  const body = parseJsonBody(res, TARGET, 'Vault JWT login');
  const auth = body['auth'];
  if (auth === null || typeof auth !== 'object' || Array.isArray(auth))
    throw new ExchangeError('ERR_EXCHANGE_BAD_RESPONSE', TARGET, 'Vault JWT login answered without auth', {
      status: res.status,
      hint: 'check that url points at Vault itself, not a proxy or UI page',
    });
  const a = auth as Record<string, unknown>;
  const token = a['client_token'];
  if (typeof token !== 'string' || token === '')
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      TARGET,
      'Vault JWT login answered without auth.client_token',
      { status: res.status },
    );
  const lease = a['lease_duration'];
  const policies = Array.isArray(a['policies'])
    ? a['policies'].filter((p): p is string => typeof p === 'string')
    : [];
  return {
    token,
    accessor: typeof a['accessor'] === 'string' && a['accessor'] !== '' ? a['accessor'] : undefined,
    policies,
    leaseDuration: typeof lease === 'number' && Number.isFinite(lease) && lease > 0 ? lease : 0,
    renewable: a['renewable'] === true,
    entityId: typeof a['entity_id'] === 'string' && a['entity_id'] !== '' ? a['entity_id'] : undefined,
    tokenType: typeof a['token_type'] === 'string' ? a['token_type'] : undefined,
    requestId: typeof body['request_id'] === 'string' ? body['request_id'] : requestIdOf(res),
  };
}

/** parseSecret reads a secret's key/value map: `data.data` for KV v2, `data` for KV v1. */
export function parseSecret(res: HttpResponse, apiPath: string, version: 1 | 2): Record<string, unknown> {
  const body = parseJsonBody(res, TARGET, `Vault read of ${apiPath}`);
  const outer = body['data'];
  const inner =
    version === 2 && outer !== null && typeof outer === 'object' && !Array.isArray(outer)
      ? (outer as Record<string, unknown>)['data']
      : outer;
  if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) {
    // A v2 secret whose latest version was deleted answers data.data = null.
    throw new ExchangeError(
      'ERR_EXCHANGE_BAD_RESPONSE',
      TARGET,
      `Vault read of ${apiPath} answered without ${version === 2 ? 'data.data' : 'data'}`,
      {
        status: res.status,
        hint:
          version === 2
            ? 'the latest version may be deleted, or the mount is KV v1: set kv-version: 1'
            : 'the mount may be KV v2: put data/ after the mount or set kv-version: 2',
      },
    );
  }
  return inner as Record<string, unknown>;
}

/** secretText renders one KV value as the string to export (objects as JSON, as vault-action does). */
export function secretText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** VaultErrorKind classifies a Vault error message; it is the error's `serverCode`. */
export type VaultErrorKind =
  | 'invalid_audience'
  | 'no_bound_audiences'
  | 'bound_subject'
  | 'bound_claims'
  | 'missing_claim'
  | 'user_claim'
  | 'role_not_found'
  | 'missing_role'
  | 'expired'
  | 'not_yet_valid'
  | 'invalid_issuer'
  | 'invalid_signature'
  | 'invalid_token'
  | 'no_route'
  | 'permission_denied'
  | 'not_found'
  | 'rate_limited'
  | 'sealed'
  | 'standby'
  | 'unknown';

const KINDS: ReadonlyArray<readonly [RegExp, VaultErrorKind]> = [
  [/vault is sealed/i, 'sealed'],
  [/rate limit quota exceeded/i, 'rate_limited'],
  [/no audiences bound to the role/i, 'no_bound_audiences'],
  [/invalid audience|audience claim does not match/i, 'invalid_audience'],
  [/invalid subject|sub.*does not match.*bound_subject/i, 'bound_subject'],
  [/claim "[^"]*" is missing/i, 'missing_claim'],
  [/does not match any associated bound claim values|error validating claims/i, 'bound_claims'],
  [/claim "[^"]*" not found in token/i, 'user_claim'],
  [/role "[^"]*" could not be found/i, 'role_not_found'],
  [/missing role/i, 'missing_role'],
  [/expired|\(exp\)/i, 'expired'],
  [/not yet valid|\(nbf\)|\(iat\)/i, 'not_yet_valid'],
  [/issuer/i, 'invalid_issuer'],
  [/signature|no known key|key id/i, 'invalid_signature'],
  [/no handler for route|unsupported path/i, 'no_route'],
  [/permission denied/i, 'permission_denied'],
  [/standby|node not active/i, 'standby'],
  [/error validating token|invalid token|missing token/i, 'invalid_token'],
];

/** classifyVaultError picks the kind of the first message that is recognised. */
export function classifyVaultError(messages: readonly string[], status: number): VaultErrorKind {
  for (const m of messages) for (const [re, kind] of KINDS) if (re.test(m)) return kind;
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status === 403) return 'permission_denied';
  return 'unknown';
}

/** vaultMessages reads `errors` (and `warnings`) from an error body; [] when the body is not Vault's. */
export function vaultMessages(res: HttpResponse): string[] | undefined {
  try {
    const body = JSON.parse(res.text) as { errors?: unknown };
    if (body === null || typeof body !== 'object' || !Array.isArray(body.errors)) return undefined;
    return body.errors.filter((e): e is string => typeof e === 'string');
  } catch {
    return undefined;
  }
}

/** VaultCall names what was being done, for messages and hints. */
export type VaultCall =
  | { readonly op: 'login'; readonly mount: string; readonly role: string }
  | { readonly op: 'read'; readonly path: string }
  | { readonly op: 'revoke' };

function hintFor(kind: VaultErrorKind, call: VaultCall): string | undefined {
  switch (kind) {
    case 'invalid_audience':
      return "the role's bound_audiences must contain the token's aud: set `audience` to one of them (default vault), or add it to bound_audiences";
    case 'no_bound_audiences':
      return 'the token has an aud but the role binds none (rejected since Vault 1.17): set bound_audiences on the role';
    case 'bound_subject':
      return "the role's bound_subject must equal the token's sub exactly; compare it with the claims below";
    case 'bound_claims':
    case 'missing_claim':
      return "the token's claims do not satisfy the role's bound_claims (use bound_claims_type=glob for wildcards); compare with the claims below";
    case 'user_claim':
      return "the role's user_claim names a claim the token does not have; use sub or a claim the platform sends";
    case 'role_not_found':
      return call.op === 'login'
        ? `check \`role\` (${call.role}) and that it exists on auth/${call.mount} (\`path\`) in this namespace`
        : undefined;
    case 'missing_role':
      return 'set `role`';
    case 'expired':
    case 'not_yet_valid':
      return "the platform token's time claims are outside Vault's leeway; check the clocks, or request the token later";
    case 'invalid_issuer':
    case 'invalid_signature':
    case 'invalid_token':
      return "the auth mount's oidc_discovery_url / jwks_url and bound_issuer must name the platform's issuer; see `federate trust`";
    case 'no_route':
      return call.op === 'login'
        ? `no auth method is mounted at auth/${call.mount}: set \`path\` to the JWT mount (vault auth list)`
        : 'the secrets engine is not mounted at that path; check the mount name';
    case 'permission_denied':
      if (call.op === 'read')
        return `the token's policies do not grant read on ${call.path}; add a policy with path "${call.path}" { capabilities = ["read"] } to the role's token_policies`;
      if (call.op === 'login')
        return "the role's bound_cidrs or the namespace refuse this login; check `namespace` and the role";
      return undefined;
    case 'not_found':
      return call.op === 'read'
        ? 'no secret at that path: check the path, the mount and kv-version (KV v2 paths have data/ after the mount)'
        : undefined;
    case 'sealed':
      return 'Vault is sealed; an operator must unseal it';
    case 'rate_limited':
      return 'a Vault rate-limit quota refused the request; retry later or raise the quota';
    case 'standby':
      return 'the node is a standby; point url at the active node or the load balancer';
    case 'unknown':
      return undefined;
  }
}

function codeFor(kind: VaultErrorKind, status: number, call: VaultCall): ErrorCode {
  if (kind === 'sealed' || kind === 'standby') return 'ERR_EXCHANGE_SERVER';
  if (kind === 'rate_limited') return 'ERR_EXCHANGE_THROTTLED';
  if (kind === 'permission_denied' && call.op === 'read') return 'ERR_EXCHANGE_POLICY';
  return codeForStatus(status);
}

/** vaultError turns a non-2xx Vault answer into an ExchangeError with a kind and a hint. */
export function vaultError(res: HttpResponse, call: VaultCall): ExchangeError {
  const messages = vaultMessages(res);
  const kind = classifyVaultError(messages ?? [], res.status);
  const what =
    call.op === 'login'
      ? `Vault JWT login (auth/${call.mount}, role ${call.role})`
      : call.op === 'read'
        ? `Vault read of ${call.path}`
        : 'Vault token revoke-self';
  const detail =
    messages === undefined
      ? `HTTP ${res.status}${res.text ? `: ${clip(res.text)}` : ''}`
      : messages.length > 0
        ? `HTTP ${res.status}: ${clip(messages.join('; '))}`
        : `HTTP ${res.status}`;
  return new ExchangeError(codeFor(kind, res.status, call), TARGET, `${what} failed: ${detail}`, {
    status: res.status,
    serverCode: kind,
    ...optional('requestId', requestIdOf(res)),
    ...optional('hint', hintFor(kind, call)),
  });
}
