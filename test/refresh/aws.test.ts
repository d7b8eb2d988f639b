/**
 * aws.test.ts: `refresh: credential-process` with the real AWS SDK v3. `federate exchange` (the
 * bundle, on the GitHub platform) writes the profile; the SDK's default chain runs the profile's
 * `credential_process` (the bundle again) whenever it needs credentials. STS never issues less than
 * 900 s and the SDK asks again 5 minutes before expiry, so a loopback proxy in front of the STS
 * emulator shortens each issued session to 5 minutes plus LIFETIME_S: every LIFETIME_S seconds the
 * credentials enter the refresh window, as an hour-long session does after 55 minutes.
 * `refresh: web-identity-file` runs the same way, with the SDK's own web-identity provider calling
 * AssumeRoleWithWebIdentity with the token file `federate token --output-file` re-writes.
 */
import { statSync, readFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromNodeProviderChain, fromTokenFile } from '@aws-sdk/credential-providers';
import {
  type AwsRoleConfig,
  type AwsSts,
  type GitHubIssuer,
  startAwsSts,
  startGitHubIssuer,
} from '@federate/testkit';
import { buildCli, stepEnv } from './cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node24, parseFileCommands, runProcess } from '../support/github-runner.js';

const ROLE = 'arn:aws:iam::123456789012:role/ci';
const LIFETIME_S = 5;
const REFRESH_WINDOW_MS = 300_000;
const PARALLEL = 3;

let gh: GitHubIssuer;
let sts: AwsSts;
let roles: Record<string, AwsRoleConfig>;
let proxy: Server;
let proxyUrl: string;
let dir: string;
let cli: string;
const saved = { ...process.env };

/** shortLived forwards to STS and rewrites each issued session to expire LIFETIME_S after the window opens. */
async function startShortLivedProxy(): Promise<void> {
  proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const upstream = await fetch(`${sts.url}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
      body: Buffer.concat(chunks),
    });
    let text = await upstream.text();
    const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(text)?.[1];
    const session = sts.sessions.find((s) => s.accessKeyId === key);
    if (session) {
      session.expiresAt = Math.floor(Date.now() / 1000) * 1000 + REFRESH_WINDOW_MS + LIFETIME_S * 1000;
      const iso = new Date(session.expiresAt).toISOString().replace('.000', '');
      text = text.replace(/<Expiration>[^<]+<\/Expiration>/, `<Expiration>${iso}</Expiration>`);
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/xml' });
    res.end(text);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const addr = proxy.address();
  proxyUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'federate-refresh-aws-'));
  cli = await buildCli(dir);
  gh = await startGitHubIssuer({ claims: { repository: 'acme/api', run_id: '777' } });
  roles = { [ROLE]: { conditions: { sub: 'repo:acme/api:*' } } };
  sts = await startAwsSts({ trusted: [{ issuer: gh.issuer, jwksUri: gh.jwksUri }], roles });
  await startShortLivedProxy();
}, 120_000);

afterAll(async () => {
  process.env = saved;
  await new Promise((r) => proxy?.close(r));
  await sts?.close();
  await gh?.close();
});

function jobEnv(): Record<string, string> {
  return stepEnv(gh, dir);
}

/** accessKeysUsed lists the access key of every GetCallerIdentity the emulator answered since `from`. */
function accessKeysUsed(from: number): string[] {
  return sts.server.requests
    .slice(from)
    .filter((r) => r.form?.get('Action') === 'GetCallerIdentity')
    .map((r) => /Credential=([A-Z0-9]+)\//.exec(r.header('authorization') ?? '')?.[1] ?? '');
}

async function untilRefreshDue(): Promise<void> {
  const exp = sts.sessions.at(-1)?.expiresAt ?? 0;
  const wait = exp - REFRESH_WINDOW_MS - Date.now() + 250;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/** callers are PARALLEL fresh SDK clients, each resolving credentials through the default chain. */
function callers() {
  return Array.from({ length: PARALLEL }, () =>
    new STSClient({ region: 'eu-west-1', endpoint: sts.url, credentials: fromNodeProviderChain() }).send(
      new GetCallerIdentityCommand({}),
    ),
  );
}

describe('refresh: credential-process with AWS SDK v3', () => {
  let env: Record<string, string>;

  it('exports a profile (not static keys) whose credential_process is the CLI, in private files', async () => {
    const job = jobEnv();
    const r = await runProcess(
      node24(),
      [
        cli,
        'exchange',
        '--target',
        'aws',
        '--role-arn',
        ROLE,
        '--region',
        'eu-west-1',
        '--endpoint',
        proxyUrl,
        '--refresh',
        'credential-process',
      ],
      { env: job },
    );
    expect(r.status, r.stderr).toBe(0);
    env = parseFileCommands(readFileSync(job['GITHUB_ENV'] ?? '', 'utf8'));
    expect(env['AWS_PROFILE']).toBe('federate');
    expect(env['AWS_ACCESS_KEY_ID']).toBeUndefined();
    expect(env['AWS_SECRET_ACCESS_KEY']).toBeUndefined();
    const config = readFileSync(env['AWS_CONFIG_FILE'] ?? '', 'utf8');
    expect(config).toMatch(/^\[profile federate\]\nregion = eu-west-1\ncredential_process = /);
    expect(config).toContain(' credential-process --role-arn ');
    const cache = /--cache-file '([^']+)'/.exec(config)?.[1] ?? '';
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    expect(statSync(env['AWS_CONFIG_FILE'] ?? '').mode & 0o777).toBe(0o600);
    // Neither the request token nor any key is in the profile the SDK runs through a shell.
    expect(config).not.toContain(gh.requestToken);
    expect(config).not.toContain(sts.sessions.at(-1)?.secretAccessKey ?? '!');
    expect(sts.count('AssumeRoleWithWebIdentity')).toBe(1);
  });

  it('keeps parallel SDK clients working across several expiries with one exchange per expiry', async () => {
    process.env = {
      ...saved,
      ...jobEnv(),
      AWS_CONFIG_FILE: env['AWS_CONFIG_FILE'] ?? '',
      AWS_PROFILE: env['AWS_PROFILE'] ?? '',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'])
      delete process.env[k];

    const exchangesAtStart = sts.count('AssumeRoleWithWebIdentity');
    const expiries = 3;
    for (let round = 0; round <= expiries; round++) {
      if (round > 0) await untilRefreshDue();
      const from = sts.server.requests.length;
      const answers = await Promise.all(callers());
      for (const a of answers)
        expect(a.Arn).toBe('arn:aws:sts::123456789012:assumed-role/ci/federate-github-777');
      // Every client of the round signed with the newest session: nobody kept expiring keys.
      expect(new Set(accessKeysUsed(from))).toEqual(new Set([sts.sessions.at(-1)?.accessKeyId]));
      // Round 0 answers from the cache the exchange seeded; each later round re-exchanges exactly once.
      expect(sts.count('AssumeRoleWithWebIdentity')).toBe(exchangesAtStart + round);
    }
    expect(sts.sessions.length).toBe(exchangesAtStart + expiries);
  }, 120_000);

  it('surfaces a failed refresh as the SDK error, with federate code and no secret', async () => {
    delete roles[ROLE];
    await untilRefreshDue();
    // fromIni is the chain link that runs credential_process; the chain itself only says none worked.
    const client = new STSClient({ region: 'eu-west-1', endpoint: sts.url, credentials: fromIni() });
    const error = await client.send(new GetCallerIdentityCommand({})).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe('CredentialsProviderError');
    expect(error?.message).toMatch(/ERR_EXCHANGE_REJECTED/);
    expect(error?.message).not.toContain(gh.requestToken);
  }, 60_000);
});

describe('refresh: web-identity-file with AWS SDK v3', () => {
  let env: Record<string, string>;
  beforeAll(() => {
    roles[ROLE] = { conditions: { sub: 'repo:acme/api:*' } };
  });

  it('exports the token file and role variables, not static keys', async () => {
    const job = jobEnv();
    const r = await runProcess(
      node24(),
      [
        cli,
        'exchange',
        '--target',
        'aws',
        '--role-arn',
        ROLE,
        '--region',
        'eu-west-1',
        '--endpoint',
        proxyUrl,
        '--refresh',
        'web-identity-file',
      ],
      { env: job },
    );
    expect(r.status, r.stderr).toBe(0);
    env = parseFileCommands(readFileSync(job['GITHUB_ENV'] ?? '', 'utf8'));
    expect(env['AWS_ROLE_ARN']).toBe(ROLE);
    expect(new URL(env['AWS_ENDPOINT_URL_STS'] ?? '').origin).toBe(proxyUrl);
    expect(env['AWS_ACCESS_KEY_ID']).toBeUndefined();
    expect(statSync(env['AWS_WEB_IDENTITY_TOKEN_FILE'] ?? '').mode & 0o777).toBe(0o600);
  });

  it('keeps one SDK client working across several expiries, re-reading the re-written token file', async () => {
    process.env = {
      ...saved,
      ...jobEnv(),
      AWS_WEB_IDENTITY_TOKEN_FILE: env['AWS_WEB_IDENTITY_TOKEN_FILE'] ?? '',
      AWS_ROLE_ARN: env['AWS_ROLE_ARN'] ?? '',
      AWS_ROLE_SESSION_NAME: env['AWS_ROLE_SESSION_NAME'] ?? '',
      AWS_ENDPOINT_URL_STS: env['AWS_ENDPOINT_URL_STS'] ?? '',
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
      delete process.env[k];
    const file = env['AWS_WEB_IDENTITY_TOKEN_FILE'] ?? '';
    const client = new STSClient({ region: 'eu-west-1', endpoint: sts.url, credentials: fromTokenFile() });
    const exchangesAtStart = sts.count('AssumeRoleWithWebIdentity');
    const expiries = 3;
    for (let round = 0; round <= expiries; round++) {
      if (round > 0) {
        await untilRefreshDue();
        const r = await runProcess(
          node24(),
          [cli, 'token', '--audience', 'sts.amazonaws.com', '--output-file', file],
          { env: jobEnv() },
        );
        expect(r.status, r.stderr).toBe(0);
      }
      const from = sts.server.requests.length;
      const answers = await Promise.all([1, 2, 3].map(() => client.send(new GetCallerIdentityCommand({}))));
      for (const a of answers) expect(a.Arn).toMatch(/^arn:aws:sts::123456789012:assumed-role\/ci\//);
      expect(new Set(accessKeysUsed(from))).toEqual(new Set([sts.sessions.at(-1)?.accessKeyId]));
      // One AssumeRoleWithWebIdentity per expiry (the SDK's first call is round 0), with the file as it is now.
      expect(sts.count('AssumeRoleWithWebIdentity')).toBe(exchangesAtStart + round + 1);
      const sent = sts.server.requests
        .filter((q) => q.form?.get('Action') === 'AssumeRoleWithWebIdentity')
        .at(-1);
      expect(sent?.form?.get('WebIdentityToken')).toBe(readFileSync(file, 'utf8'));
    }
  }, 60_000);
});
