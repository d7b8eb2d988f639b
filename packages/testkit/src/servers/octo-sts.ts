/**
 * octo-sts.ts: an octo-sts emulator (https://github.com/octo-sts/app) plus the slice of the GitHub
 * REST API its tokens are used and revoked at. The exchange answers grpc-gateway's shapes: 200
 * `{"token": "ghs_…"}`, errors `{"code": <gRPC code>, "message": "…", "details": []}`. Trust policies
 * are checked the way `trust_policy.go` does: exact or anchored-regex issuer and subject, audience
 * (the service domain when the policy names none), and anchored-regex claim patterns.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../clock.js';
import { type RecordedRequest, sendJson, startServer, type TestServer } from '../http-server.js';
import { type TrustedIssuer, verifyJwt } from '../verify.js';

/** OctoStsPolicy is one `.github/chainguard/<identity>.sts.yaml`. */
export interface OctoStsPolicy {
  issuer?: string;
  issuer_pattern?: string;
  subject?: string;
  subject_pattern?: string;
  audience?: string;
  audience_pattern?: string;
  /** claim_pattern values are anchored regular expressions; booleans compare as "true"/"false". */
  claim_pattern?: Record<string, string>;
  permissions: Record<string, string>;
  /** repositories limits an org-level policy's token; a repo-level policy is limited to its repo. */
  repositories?: string[];
}

/** OctoStsEmulatorOptions configures startOctoSts. */
export interface OctoStsEmulatorOptions {
  trusted: TrustedIssuer[];
  /** policies by scope (`owner/repo` or `owner`), then by identity. */
  policies: Record<string, Record<string, OctoStsPolicy>>;
  /** domain is STS_DOMAIN, the audience required when a policy names none; default `octo-sts.dev`. */
  domain?: string;
  clock?: Clock;
  ca?: string | string[];
}

/** OctoStsToken is one installation token the emulator minted. */
export interface OctoStsToken {
  token: string;
  scope: string;
  identity: string;
  permissions: Record<string, string>;
  /** repositories are `owner/repo` names the token may read. */
  repositories: string[];
  /** owner is the installation's account; an org-level token without repositories reaches all of its repos. */
  owner: string;
  expiresAt: number;
  revoked: boolean;
}

/** OctoStsEmulator is a running octo-sts plus its GitHub API stub. */
export interface OctoStsEmulator {
  url: string;
  domain: string;
  server: TestServer;
  requests: TestServer['requests'];
  count: TestServer['count'];
  faults: TestServer['faults'];
  /** github is the GitHub REST API stub (`GET /repos/{owner}/{repo}`, `DELETE /installation/token`). */
  github: TestServer;
  /** githubApiUrl is the stub's base URL, to pass as the target's `github-api-url`. */
  githubApiUrl: string;
  /** tokens lists live installation tokens (not revoked, not expired). */
  tokens(): OctoStsToken[];
  allTokens(): OctoStsToken[];
  close(): Promise<void>;
}

const GRPC = {
  InvalidArgument: 3,
  NotFound: 5,
  PermissionDenied: 7,
  Unauthenticated: 16,
  Internal: 13,
} as const;
const HTTP_OF: Record<number, number> = { 3: 400, 5: 404, 7: 403, 16: 401, 13: 500 };

function grpcError(res: ServerResponse, code: number, message: string): void {
  sendJson(res, HTTP_OF[code] ?? 500, { code, message, details: [] });
}

function anchored(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

function claimText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return undefined;
}

/** checkPolicy returns why a token's claims do not satisfy a policy, or undefined when they do. */
export function checkPolicy(
  policy: OctoStsPolicy,
  claims: Record<string, unknown>,
  domain: string,
): string | undefined {
  const iss = String(claims['iss'] ?? '');
  if (policy.issuer_pattern !== undefined) {
    if (!anchored(policy.issuer_pattern).test(iss))
      return `trust policy: issuer_pattern "${policy.issuer_pattern}" did not match "${iss}"`;
  } else if (policy.issuer !== iss)
    return `trust policy: issuer "${iss}" did not match "${policy.issuer ?? ''}"`;
  const sub = String(claims['sub'] ?? '');
  if (policy.subject_pattern !== undefined) {
    if (!anchored(policy.subject_pattern).test(sub))
      return `trust policy: subject_pattern "${policy.subject_pattern}" did not match "${sub}"`;
  } else if (policy.subject !== sub)
    return `trust policy: subject "${sub}" did not match "${policy.subject ?? ''}"`;
  const aud = (Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']]).filter(
    (a): a is string => typeof a === 'string',
  );
  if (policy.audience_pattern !== undefined) {
    const re = anchored(policy.audience_pattern);
    if (!aud.some((a) => re.test(a)))
      return `trust policy: audience_pattern "${policy.audience_pattern}" did not match any of [${aud.join(' ')}]`;
  } else {
    const want = policy.audience ?? domain;
    if (!aud.includes(want))
      return `trust policy: audience "${want}" did not match any of [${aud.join(' ')}]`;
  }
  for (const [name, pattern] of Object.entries(policy.claim_pattern ?? {})) {
    const value = claimText(claims[name]);
    if (value === undefined) return `trust policy: expected claim "${name}" not found`;
    if (!anchored(pattern).test(value)) return `trust policy: claim "${name}" did not match "${value}"`;
  }
  return undefined;
}

/** startOctoSts starts the exchange service and the GitHub API stub on loopback. */
export async function startOctoSts(opts: OctoStsEmulatorOptions): Promise<OctoStsEmulator> {
  const clock = opts.clock ?? systemClock;
  const domain = opts.domain ?? 'octo-sts.dev';
  const tokens = new Map<string, OctoStsToken>();
  const live = (t: OctoStsToken) => !t.revoked && t.expiresAt > clock.now();

  const exchange = async (req: RecordedRequest, res: ServerResponse): Promise<void> => {
    if (req.path !== '/sts/exchange')
      return sendJson(res, 404, { code: 5, message: 'Not Found', details: [] });
    let scope = req.query.get('scope') ?? '';
    let identity = req.query.get('identity') ?? '';
    if (req.method === 'POST') {
      const body = (req.json ?? {}) as Record<string, unknown>;
      if (typeof body['scope'] === 'string') scope = body['scope'];
      if (typeof body['identity'] === 'string') identity = body['identity'];
    } else if (req.method !== 'GET') {
      return sendJson(res, 405, { code: 12, message: 'Method Not Allowed', details: [] });
    }
    const auth = req.header('authorization') ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    if (!bearer) return grpcError(res, GRPC.Unauthenticated, 'expected exactly one authorization header');
    const verified = await verifyJwt(bearer, {
      trusted: opts.trusted,
      clock,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
    });
    if (!verified.ok) {
      if (verified.reason === 'malformed')
        return grpcError(res, GRPC.InvalidArgument, 'invalid bearer token');
      if (verified.reason === 'untrusted_issuer')
        return grpcError(res, GRPC.InvalidArgument, 'unable to fetch or create the provider');
      return grpcError(res, GRPC.Unauthenticated, 'unable to verify bearer token');
    }
    if (scope === '') return grpcError(res, GRPC.InvalidArgument, 'scope must be provided');
    if (identity === '') return grpcError(res, GRPC.InvalidArgument, 'identity must be provided');
    const scopes = req.query.getAll('scopes').flatMap((s) => s.split(','));
    if (scope.includes(',') || scopes.some((s) => s !== '' && s !== scope))
      return grpcError(res, GRPC.InvalidArgument, 'multiple scopes not supported');
    const forScope = Object.hasOwn(opts.policies, scope) ? opts.policies[scope] : undefined;
    const policy = forScope && Object.hasOwn(forScope, identity) ? forScope[identity] : undefined;
    if (!policy) return grpcError(res, GRPC.NotFound, `unable to find trust policy for "${identity}"`);
    const why = checkPolicy(policy, verified.claims as Record<string, unknown>, domain);
    if (why) return grpcError(res, GRPC.PermissionDenied, why);
    const [owner = '', repo] = scope.split('/');
    const token: OctoStsToken = {
      token: `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x')}`,
      scope,
      identity,
      permissions: { ...policy.permissions },
      repositories: repo ? [scope] : (policy.repositories ?? []).map((r) => `${owner}/${r}`),
      owner,
      expiresAt: clock.now() + 3600_000,
      revoked: false,
    };
    tokens.set(token.token, token);
    sendJson(res, 200, { token: token.token });
  };

  const github = async (req: RecordedRequest, res: ServerResponse): Promise<void> => {
    const auth = req.header('authorization') ?? '';
    const presented = /^(?:Bearer|token)\s+(\S+)$/i.exec(auth)?.[1];
    const t = presented ? tokens.get(presented) : undefined;
    const badCredentials = () =>
      sendJson(res, 401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
    if (req.path === '/installation/token') {
      if (req.method !== 'DELETE') return sendJson(res, 404, { message: 'Not Found', status: '404' });
      if (!t || !live(t)) return badCredentials();
      t.revoked = true;
      res.writeHead(204);
      res.end();
      return;
    }
    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)$/.exec(req.path);
    if (repoMatch && req.method === 'GET') {
      if (!t || !live(t)) return badCredentials();
      const full = `${repoMatch[1]}/${repoMatch[2]}`;
      const reachable =
        t.repositories.includes(full) || (t.repositories.length === 0 && repoMatch[1] === t.owner);
      if (!reachable)
        return sendJson(res, 404, {
          message: 'Not Found',
          documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository',
          status: '404',
        });
      return sendJson(res, 200, {
        id: 1,
        name: repoMatch[2],
        full_name: full,
        owner: { login: repoMatch[1], type: 'Organization' },
        private: true,
      });
    }
    sendJson(res, 404, { message: 'Not Found', status: '404' });
  };

  const server = await startServer(exchange);
  const api = await startServer(github);
  return {
    url: server.url,
    domain,
    server,
    requests: server.requests,
    count: (p) => server.count(p),
    faults: server.faults,
    github: api,
    githubApiUrl: api.url,
    tokens: () => [...tokens.values()].filter(live).map((t) => ({ ...t })),
    allTokens: () => [...tokens.values()].map((t) => ({ ...t })),
    close: async () => {
      await Promise.all([server.close(), api.close()]);
    },
  };
}
