/**
 * gcp.test.ts: external_account files whose credential_source lets google-auth-library refresh by
 * itself. The GCP emulator issues federated tokens that live LIFETIME_S seconds; the client keeps
 * getting tokens across several expiries, fetching a fresh subject token from the GitHub runner
 * endpoint (url source) once per expiry, and reports the runner's refusal as an error. With the
 * CLI bundle end to end: the executable source runs `federate token --format google-executable` once
 * per expiry, and the file source re-reads the subject token file `federate token --output-file`
 * re-writes.
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
import { buildCli, exportedEnv, runCli, stepEnv } from './cli.js';

const WIP = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/ci-oidc';
const AUD = `https://iam.googleapis.com/${WIP}`;
const LIFETIME_S = 2;

let gh: GitHubIssuer;
let gcp: GcpEmulator;
let dir: string;
let cli: string;

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
  cli = await buildCli(dir);
}, 60_000);
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

/** cliExchange runs `federate exchange --target gcp` as a GitHub step and returns what it exported. */
async function cliExchange(...extra: string[]): Promise<Record<string, string>> {
  const step = stepEnv(gh, dir);
  const r = await runCli(
    cli,
    ['exchange', '--target', 'gcp', '--workload-identity-provider', WIP, '--sts-endpoint', gcp.url, ...extra],
    step,
  );
  expect(r.status, r.stderr).toBe(0);
  return exportedEnv(step);
}

function clientFor(exported: Record<string, string>) {
  const json = JSON.parse(readFileSync(exported['GOOGLE_APPLICATION_CREDENTIALS'] ?? '', 'utf8'));
  const client = ExternalAccountClient.fromJSON({ ...json, eagerRefreshThresholdMillis: 0 });
  if (!client) throw new Error('google-auth-library did not accept the external_account file');
  return client;
}

async function untilExpired(client: ReturnType<typeof clientFor>): Promise<void> {
  const exp = client.credentials.expiry_date ?? 0;
  await new Promise((r) => setTimeout(r, Math.max(0, exp - Date.now()) + 100));
}

describe('credential-source: executable with google-auth-library and the CLI', () => {
  const saved = { ...process.env };
  afterAll(() => {
    process.env = saved;
  });

  it('runs `federate token` once per expiry and exchanges what it printed', async () => {
    const exported = await cliExchange('--credential-source', 'executable', '--allow-executables', 'true');
    expect(exported['GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES']).toBe('1');
    // The library runs the executable with its own environment: that of a later step of the job.
    process.env = { ...saved, ...stepEnv(gh, dir), ...exported };
    const client = clientFor(exported);
    const runnerAtStart = runnerCalls();
    const stsAtStart = stsCalls();
    const tokens = new Set<string>();
    const subjects = new Set<string>();
    const expiries = 3;
    for (let round = 1; round <= expiries; round++) {
      if (round > 1) await untilExpired(client);
      const got = await Promise.all([client.getAccessToken(), client.getAccessToken()]);
      for (const g of got) tokens.add(g.token ?? '');
      // One execution (one runner call) and one exchange per expiry, whatever the number of callers.
      expect(runnerCalls() - runnerAtStart).toBe(round);
      expect(stsCalls() - stsAtStart).toBe(round);
      const sent = gcp.requests.filter((r) => r.path === '/v1/token').at(-1);
      subjects.add(sent?.form?.get('subject_token') ?? '');
    }
    expect(tokens.size).toBe(expiries);
    // Each exchange sent the fresh platform token that round's execution printed.
    expect(subjects.size).toBe(expiries);
  }, 30_000);

  it('reports a failing `federate token` as the executable error, with its exit code and no secret', async () => {
    const exported = await cliExchange('--credential-source', 'executable', '--allow-executables', 'true');
    process.env = { ...saved, ...stepEnv(gh, dir), ...exported, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'revoked' };
    const error = await clientFor(exported)
      .getAccessToken()
      .then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
    expect(error?.code).toBe('3');
    expect(error?.message).toMatch(/ERR_PLATFORM_/);
    expect(error?.message).not.toContain(gh.requestToken);
  });
});

describe('credential-source: file re-written by `federate token --output-file`', () => {
  it('re-reads the subject token file on every expiry', async () => {
    const exported = await cliExchange();
    const client = clientFor(exported);
    const json = JSON.parse(readFileSync(exported['GOOGLE_APPLICATION_CREDENTIALS'] ?? '', 'utf8'));
    const file = json.credential_source.file as string;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stsAtStart = stsCalls();
    const expiries = 3;
    for (let round = 1; round <= expiries; round++) {
      if (round > 1) {
        await untilExpired(client);
        const r = await runCli(cli, ['token', '--audience', AUD, '--output-file', file], stepEnv(gh, dir));
        expect(r.status, r.stderr).toBe(0);
      }
      await Promise.all([client.getAccessToken(), client.getAccessToken()]);
      expect(stsCalls() - stsAtStart).toBe(round);
      // The exchange sent what the file holds now.
      const sent = gcp.requests.filter((r) => r.path === '/v1/token').at(-1);
      expect(sent?.form?.get('subject_token')).toBe(readFileSync(file, 'utf8'));
    }
  }, 30_000);
});
