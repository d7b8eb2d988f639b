/**
 * gcp.test.ts: external_account files whose credential_source lets google-auth-library refresh by
 * itself. The GCP emulator issues federated tokens that live LIFETIME_S seconds; the client keeps
 * getting tokens across several expiries, fetching a fresh subject token from the GitHub runner
 * endpoint (url source) once per expiry, and reports the runner's refusal as an error.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Credentials, resolveFileRefs } from '@federate/core';
import { gcpTarget } from '@federate/targets';
import { type GcpEmulator, type GitHubIssuer, startGcp, startGitHubIssuer } from '@federate/testkit';
import { ExternalAccountClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptions, testContext } from '../../packages/targets/src/shared/test-context.js';

const WIP = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/ci-oidc';
const AUD = `https://iam.googleapis.com/${WIP}`;
const LIFETIME_S = 2;

let gh: GitHubIssuer;
let gcp: GcpEmulator;
let dir: string;

beforeAll(async () => {
  gh = await startGitHubIssuer({ claims: { repository: 'octo/app' } });
  gcp = await startGcp({
    trusted: [{ issuer: gh.issuer, jwksUri: gh.jwksUri }],
    providers: { [WIP]: { attributeMapping: { 'google.subject': 'sub' } } },
    serviceAccounts: {},
    projects: { '123456789': 'my-proj' },
    federatedLifetimeSec: LIFETIME_S,
  });
  dir = mkdtempSync(join(tmpdir(), 'federate-refresh-gcp-'));
});
afterAll(async () => {
  await gcp?.close();
  await gh?.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeLikeASink(creds: Credentials): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const file of creds.files) {
    const path = join(dir, file.name);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, resolveFileRefs(file.content, paths), { mode: file.mode ?? 0o600 });
    paths[file.name] = path;
  }
  return paths;
}

async function exchange(raw: Record<string, string>, env: Record<string, string>) {
  const base = testContext({ token: await gh.mintFor(AUD), env });
  // The GitHub platform names itself; a bare token from a loopback issuer would decode as `unknown`.
  const ctx = { ...base, identity: { ...base.identity, platform: 'github' as const } };
  const options = parseOptions(gcpTarget, {
    'workload-identity-provider': WIP,
    'sts-endpoint': gcp.url,
    ...raw,
  });
  return gcpTarget.exchange(ctx, options);
}

const runnerCalls = () => gh.server.requests.filter((r) => r.path.endsWith('/idtoken')).length;
const stsCalls = () => gcp.requests.filter((r) => r.path === '/v1/token').length;

describe('credential-source: url with google-auth-library', () => {
  it('writes the runner endpoint and its request token into a secret 0600 file', async () => {
    const creds = await exchange({ 'credential-source': 'url' }, gh.env());
    const file = creds.files.find((f) => f.name === 'gcp/credentials.json');
    expect(file?.secret).toBe(true);
    expect(creds.files.map((f) => f.name)).toEqual(['gcp/credentials.json']);
    const json = JSON.parse(file?.content ?? '{}');
    expect(json.credential_source).toEqual({
      url: `${gh.requestUrl}&audience=${encodeURIComponent(AUD)}`,
      headers: { Authorization: `Bearer ${gh.requestToken}` },
      format: { type: 'json', subject_token_field_name: 'value' },
    });
    const path = writeLikeASink(creds)['gcp/credentials.json'] ?? '';
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('keeps a client working across several expiries, one runner call and one exchange per expiry', async () => {
    const creds = await exchange({ 'credential-source': 'url' }, gh.env());
    const path = writeLikeASink(creds)['gcp/credentials.json'] ?? '';
    const client = ExternalAccountClient.fromJSON({
      ...JSON.parse(readFileSync(path, 'utf8')),
      eagerRefreshThresholdMillis: 0,
    });
    if (!client) throw new Error('google-auth-library did not accept the external_account file');
    const runnerAtStart = runnerCalls();
    const stsAtStart = stsCalls();
    const tokens = new Set<string>();
    const expiries = 3;
    for (let round = 1; round <= expiries; round++) {
      // Several callers in the same instant share the one refresh the library starts.
      const got = await Promise.all([
        client.getAccessToken(),
        client.getAccessToken(),
        client.getAccessToken(),
      ]);
      for (const g of got) tokens.add(g.token ?? '');
      expect(runnerCalls() - runnerAtStart).toBe(round);
      expect(stsCalls() - stsAtStart).toBe(round);
      const exp = client.credentials.expiry_date ?? 0;
      await new Promise((r) => setTimeout(r, Math.max(0, exp - Date.now()) + 100));
    }
    expect(tokens.size).toBe(expiries);
  }, 60_000);

  it('reports the runner refusing a fresh token as the client error', async () => {
    const creds = await exchange(
      { 'credential-source': 'url' },
      { ...gh.env(), ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'revoked' },
    );
    const path = writeLikeASink(creds)['gcp/credentials.json'] ?? '';
    const client = ExternalAccountClient.fromJSON(JSON.parse(readFileSync(path, 'utf8')));
    const error = await client?.getAccessToken().then(
      () => undefined,
      (e: unknown) => e as { status?: number; response?: { status?: number } },
    );
    expect(error?.status ?? error?.response?.status).toBe(401);
  });

  it('refuses url off GitHub and executable without the CLI, with a config error', async () => {
    const noRunner = await exchange({ 'credential-source': 'url' }, {}).catch((e: { code?: string }) => e);
    expect((noRunner as { code?: string }).code).toBe('ERR_CONFIG_INVALID');
    const noCli = await exchange({ 'credential-source': 'executable' }, {}).catch(
      (e: { code?: string }) => e,
    );
    expect((noCli as { code?: string }).code).toBe('ERR_CONFIG_INVALID');
  });

  it('writes an executable source running `federate token`, exporting the opt-in only when asked', async () => {
    const env = { FEDERATE_SELF_COMMAND: JSON.stringify(['/opt/node 24/bin/node', '/opt/federate.mjs']) };
    const creds = await exchange({ 'credential-source': 'executable', 'allow-executables': 'true' }, env);
    const json = JSON.parse(creds.files[0]?.content ?? '{}');
    expect(json.credential_source.executable).toEqual({
      command: `"/opt/node 24/bin/node" /opt/federate.mjs token --audience ${AUD} --format google-executable --platform github`,
      timeout_millis: 30_000,
    });
    expect(creds.values.find((v) => v.env === 'GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES')?.value).toBe('1');
    const quiet = await exchange({ 'credential-source': 'executable' }, env);
    expect(quiet.values.some((v) => v.env === 'GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES')).toBe(false);
  });
});
