/**
 * trust-roundtrip.test.ts: `federate trust` output fed straight back into `federate doctor
 * --trust-policy`, with tokens from the testkit's issuers carrying the real platforms' issuer names:
 * the named workload is accepted, its neighbours are rejected (exit 5).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GitHubIssuer, type Issuer, startGitHubIssuer, startGitLabIssuer } from '@federate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBundle } from '../support/bundles.js';
import { node24, runProcess } from '../support/github-runner.js';

let cli: string;
let github: GitHubIssuer;
let gitlab: Issuer & { mintFor(aud: string, o?: Record<string, unknown>): Promise<string> };
const dir = mkdtempSync(join(tmpdir(), 'federate-trust-'));

beforeAll(async () => {
  cli = cliBundle();
  github = await startGitHubIssuer({
    issuer: 'https://token.actions.githubusercontent.com',
    claims: { repository: 'acme/app', ref: 'refs/heads/main' },
  });
  gitlab = (await startGitLabIssuer({ issuer: 'https://gitlab.com' })) as typeof gitlab;
});
afterAll(async () => {
  await Promise.allSettled([github?.close(), gitlab?.close()]);
});

async function federate(args: string[]) {
  return runProcess(node24(), [cli, ...args], { env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' } });
}

/** Verdict is doctor's exit code and the report lines that failed (what a user reads to fix the policy). */
interface Verdict {
  status: number | null;
  failed: string[];
}

async function verdict(policyFile: string, token: string, audience: string): Promise<Verdict> {
  const file = join(dir, `t-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, token);
  const r = await federate([
    'doctor',
    '--platform',
    'file',
    '--token-file',
    file,
    '--audience',
    audience,
    '--no-verify',
    '--trust-policy',
    policyFile,
  ]);
  return { status: r.status, failed: r.stdout.split('\n').filter((l) => /^\s*FAIL\b/.test(l)) };
}

/** accepted: exit 0 and no failed line. rejectedFor: exit 5 and a failed line naming `condition`. */
const accepted = { status: 0, failed: [] };
function rejectedFor(condition: RegExp) {
  return { status: 5, failed: expect.arrayContaining([expect.stringMatching(condition)]) };
}

describe('federate trust → federate doctor round trip', () => {
  it('GitHub → AWS: accepts main of acme/app, rejects another branch, another repo, a pull request, another audience', async () => {
    const gen = await federate([
      'trust',
      '--platform',
      'github',
      '--target',
      'aws',
      '--repository',
      'acme/app',
      '--branch',
      'main',
      '--account-id',
      '123456789012',
      '--role-name',
      'deploy',
      '--format',
      'json',
    ]);
    expect(gen.status).toBe(0);
    const doc = JSON.parse(gen.stdout) as Record<string, unknown>;
    const policy = join(dir, 'aws-github.json');
    writeFileSync(
      policy,
      JSON.stringify((doc['trustPolicy'] ?? doc['assumeRolePolicyDocument'] ?? doc) as object),
    );
    expect(await verdict(policy, await github.mintFor('sts.amazonaws.com'), 'sts.amazonaws.com')).toEqual(
      accepted,
    );
    expect(
      await verdict(
        policy,
        await github.mintFor('sts.amazonaws.com', {
          ref: 'refs/heads/dev',
          sub: 'repo:acme/app:ref:refs/heads/dev',
        }),
        'sts.amazonaws.com',
      ),
    ).toMatchObject(
      rejectedFor(/StringEquals token\.actions\.githubusercontent\.com:sub .*refs\/heads\/dev → no match/),
    );
    expect(
      await verdict(
        policy,
        await github.mintFor('sts.amazonaws.com', {
          repository: 'acme/other',
          sub: 'repo:acme/other:ref:refs/heads/main',
        }),
        'sts.amazonaws.com',
      ),
    ).toMatchObject(rejectedFor(/:sub .*repo:acme\/other:ref:refs\/heads\/main → no match/));
    expect(
      await verdict(
        policy,
        await github.mintFor('sts.amazonaws.com', {
          sub: 'repo:acme/app:pull_request',
          event_name: 'pull_request',
        }),
        'sts.amazonaws.com',
      ),
    ).toMatchObject(rejectedFor(/:sub .*repo:acme\/app:pull_request → no match/));
    expect(
      await verdict(policy, await github.mintFor('https://github.com/acme'), 'https://github.com/acme'),
    ).toMatchObject(rejectedFor(/:aud .*https:\/\/github\.com\/acme/));
  });

  it('GitLab → Vault: accepts the protected main branch of the project, rejects another project', async () => {
    const gen = await federate([
      'trust',
      '--platform',
      'gitlab',
      '--target',
      'vault',
      '--project-path',
      'acme/app',
      '--ref',
      'main',
      '--ref-type',
      'branch',
      '--role',
      'ci',
      '--policies',
      'deploy',
      '--format',
      'json',
    ]);
    expect(gen.status).toBe(0);
    const doc = JSON.parse(gen.stdout) as Record<string, unknown>;
    const policy = join(dir, 'vault-gitlab.json');
    writeFileSync(policy, JSON.stringify((doc['role'] ?? doc) as object));
    const claims = { project_path: 'acme/app', ref: 'main', ref_type: 'branch', ref_protected: 'true' };
    expect(await verdict(policy, await gitlab.mintFor('vault', claims), 'vault')).toEqual(accepted);
    expect(
      await verdict(
        policy,
        await gitlab.mintFor('vault', {
          ...claims,
          project_path: 'acme/other',
          sub: 'project_path:acme/other:ref_type:branch:ref:main',
        }),
        'vault',
      ),
    ).toMatchObject(rejectedFor(/project_path/));
  });
});
