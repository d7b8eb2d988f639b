import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sendJson } from '../http-server.js';
import { type Issuer, type IssuerOptions, startIssuer } from './issuer.js';

/** CircleCIIssuerOptions configures startCircleCIIssuer. */
export interface CircleCIIssuerOptions extends IssuerOptions {
  /** orgId is the organization UUID: part of `iss` and the default `aud`. */
  orgId?: string;
  projectId?: string;
  userId?: string;
  /** vcsOrigin is e.g. `github.com/my-org/repo`; null models a custom-webhook trigger (claim absent). */
  vcsOrigin?: string | null;
  /** vcsRef is e.g. `refs/heads/main`; null models a custom-webhook trigger (claim absent). */
  vcsRef?: string | null;
  contextIds?: string[];
  sshRerun?: boolean;
  /** claims adds or overrides claims in every token. */
  claims?: Record<string, unknown>;
  /** project fills CIRCLE_PROJECT_USERNAME/REPONAME in jobEnv; default from vcsOrigin. */
  project?: { username: string; reponame: string };
}

/** CircleCITokenVersion picks the `sub` format: v1 (CIRCLE_OIDC_TOKEN) or v2 (CIRCLE_OIDC_TOKEN_V2). */
export type CircleCITokenVersion = 1 | 2;

/** CircleCIIssuer is an org-scoped Issuer plus job environment and a `circleci` CLI shim. */
export interface CircleCIIssuer extends Issuer {
  orgId: string;
  projectId: string;
  userId: string;
  /** claims is the claim set before `sub`/`aud` (mutable between mints). */
  claims: Record<string, unknown>;
  mintFor(
    aud?: string | string[],
    overrides?: Record<string, unknown>,
    version?: CircleCITokenVersion,
  ): Promise<string>;
  /** jobEnv is what a job sees, including freshly minted CIRCLE_OIDC_TOKEN and CIRCLE_OIDC_TOKEN_V2. */
  jobEnv(): Promise<Record<string, string>>;
  /**
   * writeCircleciShim writes an executable `circleci` into `dir` that answers
   * `circleci run oidc get [--claims '{"aud":…}']` with a fresh V2 token from this issuer, and
   * `circleci env subst`. Returns the shim's path.
   */
  writeCircleciShim(dir: string): Promise<string>;
}

/** CIRCLECI_MINT_PATH is the shim's loopback endpoint; it requires the shim's bearer secret. */
export const CIRCLECI_MINT_PATH = '/__testkit/circleci/oidc';

/** startCircleCIIssuer emulates `https://oidc.circleci.com/org/<org-id>`. */
export async function startCircleCIIssuer(opts: CircleCIIssuerOptions = {}): Promise<CircleCIIssuer> {
  const orgId = opts.orgId ?? randomUUID();
  const projectId = opts.projectId ?? randomUUID();
  const userId = opts.userId ?? randomUUID();
  const vcsOrigin = opts.vcsOrigin === undefined ? 'github.com/my-org/my-repo' : opts.vcsOrigin;
  const vcsRef = opts.vcsRef === undefined ? 'refs/heads/main' : opts.vcsRef;
  const shimSecret = randomBytes(24).toString('base64url');
  let cc: CircleCIIssuer | undefined;

  const base = await startIssuer({
    issuerPath: `/org/${orgId}`,
    jwksPath: `/org/${orgId}/.well-known/jwks-pub.json`,
    // exp = iat + 1 hour (circleci-docs openid-connect-tokens.adoc).
    lifetimeSec: 3600,
    ...opts,
    routes: async (req, res, issuer) => {
      if (opts.routes && (await opts.routes(req, res, issuer))) return true;
      if (req.path !== CIRCLECI_MINT_PATH) return false;
      if (req.method !== 'POST' || req.header('authorization') !== `Bearer ${shimSecret}`) {
        sendJson(res, 401, { message: 'unauthorized' });
        return true;
      }
      const body = req.json as { claims?: unknown } | undefined;
      const claims = body?.claims ?? {};
      if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
        sendJson(res, 400, { message: 'claims must be a JSON object' });
        return true;
      }
      // Only `aud` can be customised (circleci-docs oidc-tokens-with-custom-claims.adoc).
      const extra = Object.keys(claims).filter((k) => k !== 'aud');
      if (extra.length > 0) {
        sendJson(res, 400, { message: `only the aud claim can be customized, got: ${extra.join(', ')}` });
        return true;
      }
      const aud = (claims as { aud?: unknown }).aud;
      if (
        aud !== undefined &&
        typeof aud !== 'string' &&
        !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))
      ) {
        sendJson(res, 400, { message: 'aud must be a string or an array of strings' });
        return true;
      }
      sendJson(res, 200, { token: await cc!.mintFor(aud as string | string[] | undefined) });
      return true;
    },
  });

  const claims: Record<string, unknown> = {
    'oidc.circleci.com/org-id': orgId,
    'oidc.circleci.com/project-id': projectId,
    'oidc.circleci.com/context-ids': opts.contextIds ?? [],
    'oidc.circleci.com/ssh-rerun': opts.sshRerun ?? false,
    'oidc.circleci.com/pipeline-id': randomUUID(),
    'oidc.circleci.com/pipeline-definition-id': randomUUID(),
    'oidc.circleci.com/workflow-id': randomUUID(),
    'oidc.circleci.com/job-id': randomUUID(),
    ...(vcsOrigin === null ? {} : { 'oidc.circleci.com/vcs-origin': vcsOrigin }),
    ...(vcsRef === null ? {} : { 'oidc.circleci.com/vcs-ref': vcsRef }),
    ...opts.claims,
  };
  const sha = randomBytes(20).toString('hex');
  const originParts = (vcsOrigin ?? '').split('/');

  const issuer: CircleCIIssuer = Object.assign(base, {
    orgId,
    projectId,
    userId,
    claims,
    mintFor(
      aud?: string | string[],
      overrides: Record<string, unknown> = {},
      version: CircleCITokenVersion = 2,
    ) {
      const v1 = `org/${orgId}/project/${projectId}/user/${userId}`;
      // For custom-webhook triggers the docs leave the vcs segments unspecified; they stay empty here.
      const v2 = `${v1}/vcs-origin/${vcsOrigin ?? ''}/vcs-ref/${vcsRef ?? ''}`;
      return base.mint({ sub: version === 1 ? v1 : v2, aud: aud ?? orgId, ...issuer.claims, ...overrides });
    },
    async jobEnv() {
      const username = opts.project?.username ?? originParts[1] ?? 'my-org';
      const reponame = opts.project?.reponame ?? originParts[2] ?? 'my-repo';
      const env: Record<string, string> = {
        CI: 'true',
        CIRCLECI: 'true',
        CIRCLE_OIDC_TOKEN: await issuer.mintFor(undefined, {}, 1),
        CIRCLE_OIDC_TOKEN_V2: await issuer.mintFor(undefined, {}, 2),
        CIRCLE_ORGANIZATION_ID: orgId,
        CIRCLE_PROJECT_ID: projectId,
        CIRCLE_PROJECT_USERNAME: username,
        CIRCLE_PROJECT_REPONAME: reponame,
        CIRCLE_SHA1: sha,
        CIRCLE_BUILD_NUM: '101',
        CIRCLE_JOB: 'deploy',
        CIRCLE_USERNAME: 'circle-user',
        CIRCLE_WORKFLOW_ID: String(issuer.claims['oidc.circleci.com/workflow-id'] ?? ''),
        CIRCLE_PIPELINE_ID: String(issuer.claims['oidc.circleci.com/pipeline-id'] ?? ''),
        CIRCLE_WORKING_DIRECTORY: '~/project',
      };
      if (vcsOrigin !== null) env['CIRCLE_REPOSITORY_URL'] = `https://${vcsOrigin}`;
      if (vcsRef?.startsWith('refs/heads/')) env['CIRCLE_BRANCH'] = vcsRef.slice('refs/heads/'.length);
      if (vcsRef?.startsWith('refs/tags/')) env['CIRCLE_TAG'] = vcsRef.slice('refs/tags/'.length);
      return env;
    },
    async writeCircleciShim(dir: string) {
      await mkdir(dir, { recursive: true });
      const path = join(dir, 'circleci');
      await writeFile(path, shimSource(`${base.url}${CIRCLECI_MINT_PATH}`, shimSecret, base.caPem), {
        mode: 0o755,
      });
      await chmod(path, 0o755);
      return path;
    },
  });
  cc = issuer;
  return issuer;
}

function shimSource(endpoint: string, secret: string, caPem: string | undefined): string {
  return `#!/usr/bin/env node
// circleci shim written by @federate/testkit: emulates the job-internal CLI's
// \`run oidc get\` and \`env subst\`. Not the public CircleCI CLI.
'use strict';
const ENDPOINT = ${JSON.stringify(endpoint)};
const SECRET = ${JSON.stringify(secret)};
const CA = ${JSON.stringify(caPem ?? null)};
const args = process.argv.slice(2);

function usage(msg) {
  process.stderr.write('Error: ' + msg + '\\n');
  process.exit(1);
}

function envSubst(text) {
  return text.replace(/\\$\\{([A-Za-z_][A-Za-z0-9_]*)\\}|\\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => process.env[a || b] || '');
}

async function oidcGet(rest) {
  let claimsText;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--claims') {
      if (i + 1 >= rest.length) usage('flag needs an argument: --claims');
      claimsText = rest[++i];
    } else if (a.startsWith('--claims=')) {
      claimsText = a.slice('--claims='.length);
    } else {
      usage('unknown flag: ' + a);
    }
  }
  let claims = {};
  if (claimsText !== undefined) {
    try {
      claims = JSON.parse(claimsText);
    } catch {
      usage('--claims is not valid JSON');
    }
  }
  const url = new URL(ENDPOINT);
  const mod = url.protocol === 'https:' ? require('node:https') : require('node:http');
  const body = JSON.stringify({ claims });
  await new Promise((resolve) => {
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: { authorization: 'Bearer ' + SECRET, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        ...(CA ? { ca: CA } : {}),
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          let parsed;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            usage('unexpected response from the OIDC service (HTTP ' + res.statusCode + ')');
          }
          if (res.statusCode !== 200 || typeof parsed.token !== 'string') {
            usage((parsed && parsed.message) || 'OIDC token request failed (HTTP ' + res.statusCode + ')');
          }
          process.stdout.write(parsed.token + '\\n');
          resolve();
        });
      },
    );
    req.on('error', (e) => usage('cannot reach the OIDC service: ' + e.code));
    req.end(body);
  });
}

async function main() {
  if (args[0] === 'run' && args[1] === 'oidc' && args[2] === 'get') return oidcGet(args.slice(3));
  if (args[0] === 'env' && args[1] === 'subst') {
    if (args.length > 2) {
      process.stdout.write(envSubst(args.slice(2).join(' ')));
      return;
    }
    const chunks = [];
    for await (const c of process.stdin) chunks.push(c);
    process.stdout.write(envSubst(Buffer.concat(chunks).toString('utf8')));
    return;
  }
  usage('unknown command "' + args.join(' ') + '" for "circleci"');
}

main();
`;
}
