/**
 * vault.ts: a Vault / OpenBao emulator for the JWT auth method, KV v1/v2 reads and token self
 * operations. It validates platform tokens for real (signature via the issuer's JWKS, time, audience,
 * subject, bound claims) and answers with Vault's envelopes and error texts, taken from
 * hashicorp/vault-plugin-auth-jwt `path_login.go` / `claims.go` and the KV v2 API docs. ACLs are kept
 * simple: a policy is a list of path globs the token may read (Vault's `*` suffix and `+` segment).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../clock.js';
import { type RecordedRequest, sendJson, startServer, type TestServer } from '../http-server.js';
import { type TrustedIssuer, verifyJwt } from '../verify.js';

/** VaultRole is a JWT auth role, with the fields CI logins use. */
export interface VaultRole {
  role_type?: 'jwt' | 'oidc';
  bound_audiences?: string[];
  bound_subject?: string;
  /** bound_claims maps a claim (or a JSON pointer like `/a/b`) to allowed values (any may match). */
  bound_claims?: Record<string, string | string[]>;
  /** bound_claims_type `glob` lets values use `*` (go-glob: `*` only). Default `string`. */
  bound_claims_type?: 'string' | 'glob';
  user_claim?: string;
  token_policies?: string[];
  /** token_ttl in seconds; default 3600. */
  token_ttl?: number;
  token_type?: 'service' | 'batch';
  token_no_default_policy?: boolean;
}

/** VaultJwtMount is one enabled JWT auth method. */
export interface VaultJwtMount {
  roles: Record<string, VaultRole>;
  default_role?: string;
  /** bound_issuer, when set, must equal the token's iss. */
  bound_issuer?: string;
  /** trusted overrides the server-wide trusted issuers for this mount. */
  trusted?: TrustedIssuer[];
}

/** VaultKvMount is one KV secrets engine and its secrets (path under the mount → key/value map). */
export interface VaultKvMount {
  version: 1 | 2;
  data: Record<string, Record<string, unknown>>;
}

/** VaultEmulatorOptions configures startVault. */
export interface VaultEmulatorOptions {
  trusted: TrustedIssuer[];
  /** mounts are JWT auth mounts by path (`jwt`, `gitlab`, `ci/github`). */
  mounts: Record<string, VaultJwtMount>;
  kv?: Record<string, VaultKvMount>;
  /** policies map a policy name to the API paths (globs) it may read; `root` may read everything. */
  policies?: Record<string, string[]>;
  /** namespaces enables Vault Enterprise / OpenBao namespaces; tokens are bound to their namespace. */
  namespaces?: string[];
  clock?: Clock;
  https?: boolean;
  /** ca is passed to the verifier for https issuers. */
  ca?: string | string[];
}

/** VaultTokenInfo describes one token the emulator issued. */
export interface VaultTokenInfo {
  id: string;
  accessor: string;
  policies: string[];
  namespace: string;
  mount: string;
  role: string;
  entityId: string;
  displayName: string;
  type: 'service' | 'batch';
  issuedAt: number;
  ttl: number;
  /** expiresAt in ms since the epoch; undefined when the TTL is 0. */
  expiresAt: number | undefined;
  revoked: boolean;
  meta: Record<string, string>;
}

/** VaultEmulator is a running emulator. */
export interface VaultEmulator {
  url: string;
  caPem?: string;
  server: TestServer;
  requests: TestServer['requests'];
  count: TestServer['count'];
  faults: TestServer['faults'];
  /** tokens lists the live tokens (not revoked, not expired). */
  tokens(): VaultTokenInfo[];
  /** allTokens lists every token issued, revoked and expired ones included. */
  allTokens(): VaultTokenInfo[];
  setSecret(mount: string, path: string, data: Record<string, unknown>): void;
  deleteSecret(mount: string, path: string): void;
  seal(): void;
  unseal(): void;
  close(): Promise<void>;
}

/** ENVELOPE_DEFAULTS are the fields every Vault success body carries. */
function envelope(fields: {
  data?: unknown;
  auth?: unknown;
  lease_duration?: number;
  renewable?: boolean;
  warnings?: string[] | null;
}): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: fields.renewable ?? false,
    lease_duration: fields.lease_duration ?? 0,
    data: fields.data ?? null,
    wrap_info: null,
    warnings: fields.warnings ?? null,
    auth: fields.auth ?? null,
  };
}

function errors(res: ServerResponse, status: number, ...messages: string[]): void {
  sendJson(res, status, { errors: messages }, { 'cache-control': 'no-store' });
}

// Vault wraps ACL failures in a go-multierror, so the text has this shape on KV reads.
const ACL_DENIED = '1 error occurred:\n\t* permission denied\n\n';

/** goGlobMatch is ryanuber/go-glob, which Vault uses for bound_claims_type=glob: only `*` is special. */
export function goGlobMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!value.startsWith(first)) return false;
  let rest = value.slice(first.length);
  for (const part of parts.slice(1, -1)) {
    const i = rest.indexOf(part);
    if (i < 0) return false;
    rest = rest.slice(i + part.length);
  }
  return rest.length >= last.length && rest.endsWith(last);
}

/** aclPathMatch applies Vault's policy path rules: a trailing `*` is a prefix, `+` one whole segment. */
export function aclPathMatch(pattern: string, path: string): boolean {
  const prefix = pattern.endsWith('*');
  const pat = (prefix ? pattern.slice(0, -1) : pattern).split('/');
  const segs = path.split('/');
  if (!prefix && pat.length !== segs.length) return false;
  if (prefix && segs.length < pat.length) return false;
  for (let i = 0; i < pat.length; i++) {
    const p = pat[i] as string;
    const s = segs[i] as string;
    const last = i === pat.length - 1;
    if (p === '+') {
      if (s === '' || s === undefined) return false;
      continue;
    }
    if (last && prefix) return s.startsWith(p);
    if (p !== s) return false;
  }
  return true;
}

function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (!name.startsWith('/')) return claims[name];
  let cur: unknown = claims;
  for (const raw of name.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function scalars(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list
    .filter((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')
    .map(String);
}

function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

/** startVault starts the emulator on loopback. */
export async function startVault(opts: VaultEmulatorOptions): Promise<VaultEmulator> {
  const clock = opts.clock ?? systemClock;
  const tokens = new Map<string, VaultTokenInfo>();
  const entities = new Map<string, string>();
  const kv = new Map<string, VaultKvMount>(
    Object.entries(opts.kv ?? {}).map(([m, v]) => [m, { version: v.version, data: { ...v.data } }]),
  );
  const versions = new Map<string, { version: number; created: string }>();
  const namespaces = opts.namespaces?.map((n) => n.replace(/^\/+|\/+$/g, ''));
  let sealed = false;

  const live = (t: VaultTokenInfo) => !t.revoked && (t.expiresAt === undefined || t.expiresAt > clock.now());

  function namespaceOf(req: RecordedRequest, apiPath: string): { ns: string; path: string } | undefined {
    let ns = (req.header('x-vault-namespace') ?? '').replace(/^\/+|\/+$/g, '');
    let path = apiPath;
    if (!namespaces) return { ns: '', path };
    // A namespace may also be given as a path prefix (/v1/<ns>/auth/...); the header comes first.
    for (const candidate of [...namespaces].sort((a, b) => b.length - a.length)) {
      if (path.startsWith(`${candidate}/`)) {
        ns = ns ? `${ns}/${candidate}` : candidate;
        path = path.slice(candidate.length + 1);
        break;
      }
    }
    if (ns !== '' && !namespaces.includes(ns)) return undefined;
    return { ns, path };
  }

  function tokenOf(req: RecordedRequest, ns: string): VaultTokenInfo | undefined {
    const header = req.header('x-vault-token') ?? req.header('authorization')?.replace(/^Bearer\s+/i, '');
    if (!header) return undefined;
    const t = tokens.get(header);
    if (!t || !live(t) || t.namespace !== ns) return undefined;
    return t;
  }

  function authBlock(t: VaultTokenInfo): Record<string, unknown> {
    return {
      client_token: t.id,
      accessor: t.accessor,
      policies: t.policies,
      token_policies: t.policies,
      identity_policies: null,
      metadata: t.meta,
      lease_duration: t.ttl,
      renewable: t.type === 'service',
      entity_id: t.entityId,
      token_type: t.type,
      orphan: true,
      mfa_requirement: null,
      num_uses: 0,
    };
  }

  async function login(
    req: RecordedRequest,
    res: ServerResponse,
    mountPath: string,
    mount: VaultJwtMount,
    ns: string,
  ): Promise<void> {
    const body = req.json as Record<string, unknown> | undefined;
    if (req.body.length > 0 && (body === undefined || typeof body !== 'object' || body === null))
      return errors(res, 400, 'failed to parse JSON input: invalid character');
    const roleName =
      typeof body?.['role'] === 'string' && body['role'] !== '' ? body['role'] : mount.default_role;
    if (!roleName) return errors(res, 400, 'missing role');
    const role = Object.hasOwn(mount.roles, roleName) ? mount.roles[roleName] : undefined;
    if (!role) return errors(res, 400, `role "${roleName}" could not be found`);
    if (role.role_type === 'oidc') return errors(res, 400, 'role with oidc role_type is not allowed');
    const jwt = body?.['jwt'];
    if (typeof jwt !== 'string' || jwt === '') return errors(res, 400, 'missing token');

    // Vault's expiration_leeway and not_before_leeway default to 150 s.
    const verified = await verifyJwt(jwt, {
      trusted: mount.trusted ?? opts.trusted,
      clockSkewSec: 150,
      clock,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
    });
    if (!verified.ok) {
      const text: Record<string, string> = {
        malformed: 'error validating token: malformed JWT',
        untrusted_issuer: 'error validating token: invalid issuer (iss) claim',
        discovery_failed: 'error validating token: error fetching keys: failed to fetch discovery document',
        jwks_failed: 'error validating token: error fetching keys: failed to fetch JWKS',
        signature:
          'error validating token: error verifying token signature: no known key successfully validated the token signature',
        expired: 'error validating token: invalid expiration time (exp) claim: token is expired',
        not_yet_valid: 'error validating token: invalid not before (nbf) claim: token not yet valid',
        missing_claim: 'error validating token: invalid expiration time (exp) claim: token is missing exp',
        audience: 'error validating token: invalid audience (aud) claim',
      };
      return errors(res, 400, text[verified.reason] ?? 'error validating token');
    }
    const claims = verified.claims as Record<string, unknown>;
    if (mount.bound_issuer && claims['iss'] !== mount.bound_issuer)
      return errors(res, 400, 'error validating token: invalid issuer (iss) claim');
    const aud = scalars(claims['aud']);
    const bound = role.bound_audiences ?? [];
    if (bound.length > 0 && !aud.some((a) => bound.includes(a)))
      return errors(
        res,
        400,
        'error validating token: invalid audience (aud) claim: audience claim does not match any expected audience',
      );
    if (role.bound_subject && claims['sub'] !== role.bound_subject)
      return errors(res, 400, 'error validating token: invalid subject (sub) claim');
    if (bound.length === 0 && aud.length > 0)
      return errors(res, 400, 'audience claim found in JWT but no audiences bound to the role');
    const userClaim = role.user_claim ?? 'sub';
    const user = scalars(claimAt(claims, userClaim))[0];
    if (user === undefined) return errors(res, 400, `claim "${userClaim}" not found in token`);
    for (const [name, expected] of Object.entries(role.bound_claims ?? {})) {
      const actual = claimAt(claims, name);
      if (actual === undefined)
        return errors(res, 400, `error validating claims: claim "${name}" is missing`);
      const want = Array.isArray(expected) ? expected : [expected];
      const have = scalars(actual);
      const ok = have.some((h) =>
        want.some((w) => (role.bound_claims_type === 'glob' ? goGlobMatch(w, h) : w === h)),
      );
      if (!ok)
        return errors(
          res,
          400,
          `error validating claims: claim "${name}" does not match any associated bound claim values`,
        );
    }

    const entityKey = `${ns}\u0000${mountPath}\u0000${user}`;
    let entityId = entities.get(entityKey);
    if (!entityId) {
      entityId = randomUUID();
      entities.set(entityKey, entityId);
    }
    const policies = [
      ...new Set([...(role.token_no_default_policy ? [] : ['default']), ...(role.token_policies ?? [])]),
    ].sort();
    const type = role.token_type ?? 'service';
    const ttl = role.token_ttl ?? 3600;
    const t: VaultTokenInfo = {
      id: randomToken(type === 'batch' ? 'hvb.' : 'hvs.'),
      accessor: randomBytes(12).toString('base64url'),
      policies,
      namespace: ns,
      mount: mountPath,
      role: roleName,
      entityId,
      displayName: `${mountPath.replace(/\//g, '-')}-${user}`,
      type,
      issuedAt: clock.now(),
      ttl,
      expiresAt: ttl > 0 ? clock.now() + ttl * 1000 : undefined,
      revoked: false,
      meta: { role: roleName },
    };
    tokens.set(t.id, t);
    sendJson(res, 200, envelope({ auth: authBlock(t) }));
  }

  function tokenSelf(req: RecordedRequest, res: ServerResponse, op: string, ns: string) {
    const t = tokenOf(req, ns);
    if (!t) return errors(res, 403, 'permission denied');
    const now = clock.now();
    if (op === 'lookup-self' && req.method === 'GET') {
      const ttl = t.expiresAt === undefined ? 0 : Math.max(0, Math.floor((t.expiresAt - now) / 1000));
      sendJson(
        res,
        200,
        envelope({
          data: {
            accessor: t.accessor,
            creation_time: Math.floor(t.issuedAt / 1000),
            creation_ttl: t.ttl,
            display_name: t.displayName,
            entity_id: t.entityId,
            expire_time: t.expiresAt === undefined ? null : new Date(t.expiresAt).toISOString(),
            explicit_max_ttl: 0,
            id: t.id,
            issue_time: new Date(t.issuedAt).toISOString(),
            meta: t.meta,
            num_uses: 0,
            orphan: true,
            path: `auth/${t.mount}/login`,
            policies: t.policies,
            renewable: t.type === 'service',
            ttl,
            type: t.type,
          },
        }),
      );
      return;
    }
    if (op === 'renew-self' && (req.method === 'POST' || req.method === 'PUT')) {
      if (t.type === 'batch') return errors(res, 400, 'batch tokens cannot be renewed');
      t.expiresAt = t.ttl > 0 ? now + t.ttl * 1000 : undefined;
      sendJson(res, 200, envelope({ auth: authBlock(t) }));
      return;
    }
    if (op === 'revoke-self' && (req.method === 'POST' || req.method === 'PUT')) {
      if (t.type === 'batch') return errors(res, 400, 'batch tokens cannot be revoked');
      t.revoked = true;
      res.writeHead(204, { 'cache-control': 'no-store' });
      res.end();
      return;
    }
    errors(res, 405, '1 error occurred:\n\t* unsupported operation\n\n');
  }

  function readKv(req: RecordedRequest, res: ServerResponse, apiPath: string, ns: string): boolean {
    for (const [mountPath, mount] of kv) {
      if (!apiPath.startsWith(`${mountPath}/`)) continue;
      let rest = apiPath.slice(mountPath.length + 1);
      if (mount.version === 2) {
        if (!rest.startsWith('data/')) return false;
        rest = rest.slice('data/'.length);
      }
      if (req.method !== 'GET') {
        errors(res, 405, '1 error occurred:\n\t* unsupported operation\n\n');
        return true;
      }
      const t = tokenOf(req, ns);
      if (!t) {
        errors(res, 403, 'permission denied');
        return true;
      }
      const allowed =
        t.policies.includes('root') ||
        t.policies.some((p) => (opts.policies?.[p] ?? []).some((g) => aclPathMatch(g, apiPath)));
      if (!allowed) {
        errors(res, 403, ACL_DENIED);
        return true;
      }
      const secret = Object.hasOwn(mount.data, rest) ? mount.data[rest] : undefined;
      if (!secret) {
        errors(res, 404);
        return true;
      }
      if (mount.version === 1) {
        sendJson(res, 200, envelope({ data: secret, lease_duration: 2764800 }));
        return true;
      }
      const meta = versions.get(`${mountPath}/${rest}`) ?? {
        version: 1,
        created: new Date(clock.now()).toISOString(),
      };
      versions.set(`${mountPath}/${rest}`, meta);
      sendJson(
        res,
        200,
        envelope({
          data: {
            data: secret,
            metadata: {
              created_time: meta.created,
              custom_metadata: null,
              deletion_time: '',
              destroyed: false,
              version: meta.version,
            },
          },
        }),
      );
      return true;
    }
    return false;
  }

  const handler = async (req: RecordedRequest, res: ServerResponse): Promise<void> => {
    if (!req.path.startsWith('/v1/')) return errors(res, 404);
    const raw = decodeURIComponent(req.path.slice('/v1/'.length)).replace(/\/+$/, '');
    if (raw === 'sys/health') {
      sendJson(res, sealed ? 503 : 200, {
        initialized: true,
        sealed,
        standby: false,
        performance_standby: false,
        server_time_utc: Math.floor(clock.now() / 1000),
        version: '1.17.0',
        cluster_name: 'federate-testkit',
      });
      return;
    }
    if (sealed) return errors(res, 503, 'Vault is sealed');
    const scoped = namespaceOf(req, raw);
    if (!scoped) return errors(res, 404, `no handler for route "${raw}". route entry not found.`);
    const { ns, path } = scoped;

    const tokenOp = /^auth\/token\/(lookup-self|renew-self|revoke-self)$/.exec(path);
    if (tokenOp) return tokenSelf(req, res, tokenOp[1] as string, ns);
    const loginMatch = /^auth\/(.+)\/login$/.exec(path);
    if (loginMatch) {
      const mountPath = loginMatch[1] as string;
      const mount = Object.hasOwn(opts.mounts, mountPath) ? opts.mounts[mountPath] : undefined;
      if (!mount) return errors(res, 404, `no handler for route "${path}". route entry not found.`);
      if (req.method !== 'POST' && req.method !== 'PUT')
        return errors(res, 405, '1 error occurred:\n\t* unsupported operation\n\n');
      return login(req, res, mountPath, mount, ns);
    }
    if (readKv(req, res, path, ns)) return;
    errors(res, 404, `no handler for route "${path}". route entry not found.`);
  };

  const server = await startServer(handler, opts.https ? { https: true } : {});
  const emulator: VaultEmulator = {
    url: server.url,
    server,
    requests: server.requests,
    count: (p) => server.count(p),
    faults: server.faults,
    tokens: () => [...tokens.values()].filter(live).map((t) => ({ ...t })),
    allTokens: () => [...tokens.values()].map((t) => ({ ...t })),
    setSecret(mount, path, data) {
      const m = kv.get(mount);
      if (!m) throw new TypeError(`startVault: no KV mount ${mount}`);
      m.data[path] = data;
      const key = `${mount}/${path}`;
      const prev = versions.get(key);
      versions.set(key, {
        version: (prev?.version ?? 0) + 1,
        created: new Date(clock.now()).toISOString(),
      });
    },
    deleteSecret(mount, path) {
      const m = kv.get(mount);
      if (m) delete m.data[path];
    },
    seal() {
      sealed = true;
    },
    unseal() {
      sealed = false;
    },
    close: () => server.close(),
  };
  if (server.caPem !== undefined) emulator.caPem = server.caPem;
  return emulator;
}
