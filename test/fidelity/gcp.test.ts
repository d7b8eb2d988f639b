/**
 * gcp.test.ts: proves the GCP emulator and the `gcp` target against two independent real clients.
 * The target runs against the emulator; its files are written the way a sink writes them; then
 * google-auth-library (Node) and gcloud (Python, google-auth 2.x) read our external_account file, read
 * the token file, call OUR STS and IAM Credentials, and the tokens they obtain are checked with the
 * emulator's tokeninfo. Any drift in our JSON, the token file, or the emulator's formats fails here.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Credentials } from '@federate/core';
import { gcpTarget } from '../../packages/targets/src/gcp/index.js';
import { type Issuer, startIssuer } from '@federate/testkit';
import { ExternalAccountClient, GoogleAuth, Impersonated } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFileRefs } from '../../packages/targets/src/gcp/external-account.js';
import { parseOptions, testContext } from '../../packages/targets/src/shared/test-context.js';
import { type GcpEmulator, startGcp } from '../../packages/testkit/src/servers/gcp.js';

const WIP = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/ci-oidc';
const SA = 'deployer@my-proj.iam.gserviceaccount.com';
const GCLOUD = '/usr/bin/gcloud';
const hasGcloud = (() => {
  try {
    return statSync(GCLOUD).isFile();
  } catch {
    return false;
  }
})();

/** writeLikeASink materialises a target's files in a private directory and resolves file references. */
function writeLikeASink(dir: string, creds: Credentials): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const file of creds.files) {
    const path = join(dir, file.name);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, resolveFileRefs(file.content, paths), { mode: file.mode ?? 0o600 });
    paths[file.name] = path;
  }
  return paths;
}

function run(
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

describe('gcp fidelity: google-auth-library and gcloud consume what we export', () => {
  let issuer: Issuer;
  let gcp: GcpEmulator;
  let dir: string;

  beforeAll(async () => {
    issuer = await startIssuer();
    gcp = await startGcp({
      trusted: [{ issuer: issuer.issuer }],
      providers: {
        [WIP]: { attributeMapping: { 'google.subject': 'sub', 'attribute.repository': 'repository' } },
      },
      serviceAccounts: {
        [SA]: {
          allowedPrincipals: [
            'principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/ci-pool/attribute.repository/octo/app',
          ],
        },
      },
      projects: { '123456789': 'my-proj' },
    });
    dir = mkdtempSync(join(tmpdir(), 'federate-gcp-fidelity-'));
  });
  afterAll(async () => {
    await gcp.close();
    await issuer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mint = () =>
    issuer.mint(
      {
        sub: 'repo:octo/app:ref:refs/heads/main',
        aud: `https://iam.googleapis.com/${WIP}`,
        repository: 'octo/app',
      },
      { lifetimeSec: 600 },
    );

  async function exported(raw: Record<string, string>, name: string) {
    const token = await mint();
    const options = parseOptions(gcpTarget, {
      'workload-identity-provider': WIP,
      'sts-endpoint': gcp.url,
      'iam-credentials-endpoint': gcp.url,
      ...raw,
    });
    const creds = await gcpTarget.exchange(testContext({ token }), options);
    const paths = writeLikeASink(join(dir, name), creds);
    const credentialsFile = paths['gcp/credentials.json'] as string;
    const tokenFile = paths['gcp/subject-token'] as string;
    return { token, creds, credentialsFile, tokenFile };
  }

  const subjectTokensSince = (start: number) =>
    gcp.requests
      .slice(start)
      .filter((r) => r.path === '/v1/token')
      .map((r) => r.form?.get('subject_token'));

  it('writes the token file byte for byte, without a trailing newline, mode 0600', async () => {
    const { token, tokenFile } = await exported({ 'service-account': SA }, 'file-check');
    expect(readFileSync(tokenFile, 'utf8')).toBe(token);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
  });

  it('google-auth-library: direct federation through GoogleAuth keyFile', async () => {
    const { token, credentialsFile } = await exported({}, 'gal-direct');
    const start = gcp.requests.length;
    const auth = new GoogleAuth({
      keyFile: credentialsFile,
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
    });
    const at = await auth.getAccessToken();
    expect(gcp.lookup(at as string)).toMatchObject({ kind: 'federated' });
    expect(subjectTokensSince(start)).toEqual([token]);
  });

  it('google-auth-library: impersonation through ExternalAccountClient.fromJSON', async () => {
    const { credentialsFile } = await exported({ 'service-account': SA }, 'gal-sa');
    const start = gcp.count('/v1/projects/-/serviceAccounts');
    const client = ExternalAccountClient.fromJSON(JSON.parse(readFileSync(credentialsFile, 'utf8')));
    expect(client).not.toBeNull();
    const { token } = await (client as NonNullable<typeof client>).getAccessToken();
    expect(gcp.lookup(token as string)).toMatchObject({ kind: 'service_account', email: SA });
    expect(gcp.count('/v1/projects/-/serviceAccounts') - start).toBe(1);
  });

  it('google-auth-library: the project lookup works through the Cloud Resource Manager stub', async () => {
    const { credentialsFile } = await exported({ 'service-account': SA }, 'gal-project');
    const json = JSON.parse(readFileSync(credentialsFile, 'utf8'));
    const auth = new GoogleAuth({
      credentials: { ...json, cloud_resource_manager_url: `${gcp.url}/v1/projects/` },
      scopes: ['https://www.googleapis.com/auth/cloud-platform'],
    });
    expect(await auth.getProjectId()).toBe('my-proj');
  });

  it('google-auth-library: an ID token through Impersonated.fetchIdToken', async () => {
    const { credentialsFile } = await exported({}, 'gal-id');
    const source = ExternalAccountClient.fromJSON(JSON.parse(readFileSync(credentialsFile, 'utf8')));
    const impersonated = new Impersonated({
      sourceClient: source as NonNullable<typeof source>,
      targetPrincipal: SA,
      targetScopes: ['https://www.googleapis.com/auth/cloud-platform'],
      endpoint: gcp.url,
    });
    const idToken = await impersonated.fetchIdToken('https://svc.example', { includeEmail: true });
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1] as string, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ aud: 'https://svc.example', email: SA, sub: gcp.uniqueIdOf(SA) });
  });

  describe.skipIf(!hasGcloud)('gcloud', () => {
    const gcloudEnv = (name: string, extra: Record<string, string>) => {
      const config = join(dir, `gcloud-${name}`);
      mkdirSync(config, { recursive: true });
      return {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: config,
        CLOUDSDK_CONFIG: config,
        CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
        CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
        CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
        CLOUDSDK_CORE_PROJECT: 'my-proj',
        ...extra,
      };
    };

    it('prints an impersonated access token from our credentials file', async () => {
      const { credentialsFile } = await exported({ 'service-account': SA }, 'gcloud-sa');
      const r = await run(
        GCLOUD,
        ['auth', 'print-access-token', '--verbosity=error'],
        gcloudEnv('sa', { CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE: credentialsFile }),
      );
      expect(r.code, r.stderr.slice(-600)).toBe(0);
      expect(gcp.lookup(r.stdout.trim())).toMatchObject({ kind: 'service_account', email: SA });
    });

    it('prints the federated token with --credential-file-override for direct federation', async () => {
      const { credentialsFile, token } = await exported({}, 'gcloud-direct');
      const start = gcp.requests.length;
      const r = await run(
        GCLOUD,
        ['auth', 'print-access-token', `--credential-file-override=${credentialsFile}`, '--verbosity=error'],
        gcloudEnv('direct', {}),
      );
      expect(r.code, r.stderr.slice(-600)).toBe(0);
      expect(gcp.lookup(r.stdout.trim())).toMatchObject({ kind: 'federated' });
      expect(subjectTokensSince(start)).toEqual([token]);
    });

    it('prints an ID token minted by our generateIdToken', async () => {
      const { credentialsFile } = await exported({}, 'gcloud-id');
      const r = await run(
        GCLOUD,
        [
          'auth',
          'print-identity-token',
          '--audiences=https://svc.example',
          `--impersonate-service-account=${SA}`,
          '--include-email',
          '--verbosity=error',
        ],
        gcloudEnv('id', {
          CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE: credentialsFile,
          CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS: `${gcp.url}/`,
        }),
      );
      expect(r.code, r.stderr.slice(-600)).toBe(0);
      const claims = JSON.parse(
        Buffer.from(r.stdout.trim().split('.')[1] as string, 'base64url').toString('utf8'),
      );
      expect(claims).toMatchObject({ aud: 'https://svc.example', sub: gcp.uniqueIdOf(SA) });
    });
  });
});
