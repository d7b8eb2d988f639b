import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJwt } from '../verify.js';
import { type CircleCIIssuer, startCircleCIIssuer } from './circleci.js';

const run = promisify(execFile);

describe('startCircleCIIssuer', () => {
  let cc: CircleCIIssuer;
  let dir: string;
  const orgId = 'c5a4d6e2-1111-4a4a-9999-0123456789ab';
  beforeAll(async () => {
    cc = await startCircleCIIssuer({ orgId, contextIds: ['ctx-1'] });
    dir = await mkdtemp(join(tmpdir(), 'testkit-circleci-'));
  });
  afterAll(async () => {
    await cc.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is org-scoped: iss and discovery live under /org/<id>', async () => {
    expect(cc.issuer).toBe(`${cc.url}/org/${orgId}`);
    const doc = (await (await fetch(`${cc.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(doc['issuer']).toBe(cc.issuer);
    expect(doc['jwks_uri']).toBe(`${cc.issuer}/.well-known/jwks-pub.json`);
  });

  it('jobEnv carries V1 and V2 tokens with the org id as aud', async () => {
    const env = await cc.jobEnv();
    expect(env).toMatchObject({ CIRCLECI: 'true', CIRCLE_PROJECT_ID: cc.projectId, CIRCLE_BRANCH: 'main' });
    const trusted = [{ issuer: cc.issuer }];
    const v1 = await verifyJwt(env['CIRCLE_OIDC_TOKEN'] ?? '', { trusted, audience: orgId });
    const v2 = await verifyJwt(env['CIRCLE_OIDC_TOKEN_V2'] ?? '', { trusted, audience: orgId });
    expect(v1.ok && v1.claims.sub).toBe(`org/${orgId}/project/${cc.projectId}/user/${cc.userId}`);
    expect(v2.ok && v2.claims.sub).toBe(
      `org/${orgId}/project/${cc.projectId}/user/${cc.userId}/vcs-origin/github.com/my-org/my-repo/vcs-ref/refs/heads/main`,
    );
    expect(v2.ok && v2.claims).toMatchObject({
      'oidc.circleci.com/project-id': cc.projectId,
      'oidc.circleci.com/context-ids': ['ctx-1'],
      'oidc.circleci.com/vcs-origin': 'github.com/my-org/my-repo',
      'oidc.circleci.com/vcs-ref': 'refs/heads/main',
      'oidc.circleci.com/ssh-rerun': false,
    });
    expect(v2.ok && (v2.claims.exp ?? 0) - (v2.claims.iat ?? 0)).toBe(3600);
  });

  it('the circleci shim mints a fresh V2 token with the requested aud', async () => {
    const shim = await cc.writeCircleciShim(dir);
    expect((await stat(shim)).mode & 0o111).not.toBe(0);
    const { stdout } = await run(shim, ['run', 'oidc', 'get', '--claims', '{"aud":"sts.amazonaws.com"}']);
    const token = stdout.trim();
    const result = await verifyJwt(token, {
      trusted: [{ issuer: cc.issuer }],
      audience: 'sts.amazonaws.com',
    });
    expect(result.ok && result.claims.sub).toMatch(/\/vcs-ref\/refs\/heads\/main$/);

    const { stdout: noClaims } = await run(shim, ['run', 'oidc', 'get']);
    expect((await verifyJwt(noClaims.trim(), { trusted: [{ issuer: cc.issuer }], audience: orgId })).ok).toBe(
      true,
    );
  });

  it('the shim fails like the CLI on unknown commands and non-aud claims', async () => {
    const shim = await cc.writeCircleciShim(dir);
    await expect(run(shim, ['bogus'])).rejects.toMatchObject({ code: 1 });
    await expect(run(shim, ['run', 'oidc', 'get', '--claims', '{"sub":"x"}'])).rejects.toMatchObject({
      code: 1,
    });
    await expect(run(shim, ['run', 'oidc', 'get', '--claims', 'not json'])).rejects.toMatchObject({
      code: 1,
    });
  });

  it('the shim substitutes env vars', async () => {
    const shim = await cc.writeCircleciShim(dir);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell-style text for the shim to expand.
    const { stdout } = await run(shim, ['env', 'subst', 'role-$ROLE_X/${ROLE_Y}'], {
      env: { ...process.env, ROLE_X: 'a', ROLE_Y: 'b' },
    });
    expect(stdout).toBe('role-a/b');
  });

  it('the mint endpoint rejects callers without the shim secret', async () => {
    const res = await fetch(`${cc.url}/__testkit/circleci/oidc`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
  });
});
