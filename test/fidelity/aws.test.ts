/**
 * Fidelity of the aws target and the STS emulator against independent implementations: moto (a real
 * STS server in Python), the AWS SDK v3 (signing, credential providers, awsQuery error parsing) and
 * awscli v1 (botocore). The same exchange runs against moto and our emulator and must look the same;
 * the exported credentials must work in both SDK families; the SDK's own web-identity flow must work
 * against our emulator, which proves the emulator speaks what real clients send.
 */
import { startMoto } from '../support/moto.js';
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  fromIni,
  fromTemporaryCredentials,
  fromTokenFile,
  fromWebToken,
} from '@aws-sdk/credential-providers';
import type { Credentials } from '@federate/core';
import { type GitHubIssuer, startGitHubIssuer } from '@federate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsTarget } from '../../packages/targets/src/aws/index.js';
import { assumeRoleWithWebIdentityRequest } from '../../packages/targets/src/aws/request.js';
import { parseXml, type XmlElement, xmlChild, xmlShape } from '../../packages/targets/src/aws/response.js';
import { parseOptions, testContext } from '../../packages/targets/src/shared/test-context.js';
import { type AwsSts, startAwsSts } from '../../packages/testkit/src/servers/aws-sts.js';

const ROLE = 'arn:aws:iam::123456789012:role/ci';
const CHAIN = 'arn:aws:iam::123456789012:role/deploy';
const REGION = 'eu-west-1';

let gh: GitHubIssuer;
let sts: AwsSts;
let moto: { url: string; child: ChildProcess } | undefined;
let motoMissing = '';
let dir: string;

function cliEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    AWS_CONFIG_FILE: join(dir, 'none-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

function awsCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string; missing?: boolean }> {
  return new Promise((resolve) => {
    execFile('aws', args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT') resolve({ code: -1, stdout, stderr, missing: true });
      else resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr });
    });
  });
}

function envOf(creds: Credentials): Record<string, string> {
  return Object.fromEntries(creds.values.flatMap((v) => (v.env ? [[v.env, v.value]] : [])));
}

function keysOf(creds: Credentials) {
  const env = envOf(creds);
  return {
    accessKeyId: env['AWS_ACCESS_KEY_ID'] ?? '',
    secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? '',
    sessionToken: env['AWS_SESSION_TOKEN'] ?? '',
  };
}

async function exchangeAt(endpoint: string, token: string, extra: Record<string, string> = {}) {
  const options = parseOptions(awsTarget, { 'role-arn': ROLE, region: REGION, endpoint, ...extra });
  return awsTarget.exchange(testContext({ token }), options);
}

async function rawAnswer(endpoint: string, token: string): Promise<XmlElement> {
  const req = assumeRoleWithWebIdentityRequest(endpoint, {
    roleArn: ROLE,
    sessionName: 'fidelity-1',
    token,
    durationSeconds: 900,
  });
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/xml/);
  const doc = parseXml(await res.text());
  if (!doc) throw new Error('answer is not XML');
  return doc;
}

function names(el: XmlElement): string[] {
  return el.children.map((c) => c.name).sort();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'federate-aws-fidelity-'));
  gh = await startGitHubIssuer({ claims: { repository: 'acme/api', run_id: '777' } });
  sts = await startAwsSts({
    trusted: [{ issuer: gh.issuer }],
    roles: {
      [ROLE]: { conditions: { sub: 'repo:acme/api:*' } },
      [CHAIN]: { trustedPrincipals: ['arn:aws:sts::123456789012:assumed-role/ci/*'] },
    },
  });
  const started = await startMoto();
  if (typeof started === 'string') motoMissing = started;
  else moto = started;
}, 60_000);

afterAll(async () => {
  moto?.child.kill('SIGTERM');
  await sts?.close();
  await gh?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('aws fidelity', () => {
  it('the same exchange against moto and the emulator yields the same credentials shape', async (t) => {
    if (!moto) return t.skip(`skipped: ${motoMissing}`);
    const token = await gh.mintFor('sts.amazonaws.com');
    const fromMoto = await exchangeAt(moto.url, token, { duration: '15m' });
    const fromEmu = await exchangeAt(sts.url, token, { duration: '15m' });
    for (const creds of [fromMoto, fromEmu]) {
      expect(creds.principal).toBe('arn:aws:sts::123456789012:assumed-role/ci/federate-github-777');
      expect(keysOf(creds).accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
      expect(creds.expiresAt?.getTime()).toBeGreaterThan(Date.now());
    }
    const shape = (c: Credentials) => c.values.map((v) => [v.name, v.env, v.output, v.secret]);
    expect(shape(fromEmu)).toEqual(shape(fromMoto));
  });

  it("the emulator's XML has moto's element structure (plus AWS's web-identity fields)", async (t) => {
    if (!moto) return t.skip(`skipped: ${motoMissing}`);
    const token = await gh.mintFor('sts.amazonaws.com');
    const m = await rawAnswer(moto.url, token);
    const e = await rawAnswer(sts.url, token);
    expect(e.name).toBe(m.name);
    expect(names(e)).toEqual(names(m));
    const mr = xmlChild(m, 'AssumeRoleWithWebIdentityResult');
    const er = xmlChild(e, 'AssumeRoleWithWebIdentityResult');
    if (!mr || !er) throw new Error('no result element');
    for (const part of ['Credentials', 'AssumedRoleUser']) {
      const a = xmlChild(mr, part);
      const b = xmlChild(er, part);
      expect(a && xmlShape(a)).toBe(b && xmlShape(b));
    }
    // moto omits SubjectFromWebIdentityToken, Audience and Provider (reference §8.1); AWS sends them.
    expect(names(er)).toEqual(expect.arrayContaining(names(mr).filter((n) => n !== 'PackedPolicySize')));
    expect(names(er)).toEqual(
      expect.arrayContaining(['SubjectFromWebIdentityToken', 'Audience', 'Provider']),
    );
    expect(names(xmlChild(e, 'ResponseMetadata') ?? e)).toEqual(['RequestId']);
  });

  it('role chaining and the identity check work against moto and the emulator alike', async (t) => {
    if (!moto) return t.skip(`skipped: ${motoMissing}`);
    const token = await gh.mintFor('sts.amazonaws.com');
    const extra = {
      'role-chain': CHAIN,
      'check-identity': 'true',
      'session-tags': 'team=platform',
      'transitive-tag-keys': 'team',
    };
    const fromMoto = await exchangeAt(moto.url, token, extra);
    const fromEmu = await exchangeAt(sts.url, token, extra);
    expect(fromMoto.principal).toBe('arn:aws:sts::123456789012:assumed-role/deploy/federate-github-777');
    expect(fromEmu.principal).toBe(fromMoto.principal);
    expect(sts.sessions.at(-1)?.tags).toEqual({ team: 'platform' });
  });

  it('AWS SDK v3 GetCallerIdentity accepts the exported credentials at moto and at the emulator', async (t) => {
    const token = await gh.mintFor('sts.amazonaws.com');
    const endpoints = [sts.url, ...(moto ? [moto.url] : [])];
    for (const endpoint of endpoints) {
      const creds = await exchangeAt(endpoint, token);
      const client = new STSClient({ region: REGION, endpoint, credentials: keysOf(creds) });
      const who = await client.send(new GetCallerIdentityCommand({}));
      expect(who.Arn).toBe(creds.principal);
      expect(who.Account).toBe('123456789012');
      client.destroy();
    }
    // The emulator really verifies the SDK's signature: a wrong secret is refused.
    const creds = await exchangeAt(sts.url, token);
    const bad = new STSClient({
      region: REGION,
      endpoint: sts.url,
      credentials: { ...keysOf(creds), secretAccessKey: 'x'.repeat(40) },
      maxAttempts: 1,
    });
    await expect(bad.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    bad.destroy();
    if (!moto) t.skip(`moto part skipped: ${motoMissing}`);
  });

  it('the SDK reads the profile files the target writes', async () => {
    const token = await gh.mintFor('sts.amazonaws.com');
    const creds = await exchangeAt(sts.url, token, { profile: 'ci' });
    const filepath = join(dir, 'credentials');
    const configFilepath = join(dir, 'config');
    await writeFile(filepath, creds.files.find((f) => f.name === 'aws/credentials')?.content ?? '', {
      mode: 0o600,
    });
    await writeFile(configFilepath, creds.files.find((f) => f.name === 'aws/config')?.content ?? '', {
      mode: 0o600,
    });
    const client = new STSClient({
      region: REGION,
      endpoint: sts.url,
      credentials: fromIni({ profile: 'ci', filepath, configFilepath }),
    });
    expect((await client.send(new GetCallerIdentityCommand({}))).Arn).toBe(creds.principal);
    client.destroy();
  });

  it('awscli v1 (botocore) uses the exported env and profile against moto and the emulator', async (t) => {
    const token = await gh.mintFor('sts.amazonaws.com');
    const endpoints = [sts.url, ...(moto ? [moto.url] : [])];
    for (const endpoint of endpoints) {
      const creds = await exchangeAt(endpoint, token);
      const r = await awsCli(
        ['sts', 'get-caller-identity', '--output', 'json'],
        cliEnv({ ...envOf(creds), AWS_ENDPOINT_URL_STS: endpoint }),
      );
      if (r.missing) return t.skip('skipped: the aws CLI is not installed');
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({ Arn: creds.principal, Account: '123456789012' });
    }
    // The profile variant: AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE / AWS_PROFILE as exported.
    const creds = await exchangeAt(sts.url, token, { profile: 'ci' });
    const env: Record<string, string> = { ...envOf(creds), AWS_ENDPOINT_URL_STS: sts.url };
    for (const f of creds.files) {
      const path = join(dir, f.name.replace('/', '-'));
      await writeFile(path, f.content, { mode: f.mode ?? 0o600 });
      for (const name of f.env ?? []) env[name] = path;
    }
    const r = await awsCli(['sts', 'get-caller-identity', '--output', 'json'], cliEnv(env));
    expect(JSON.parse(r.stdout)).toMatchObject({ Arn: creds.principal });
    if (!moto) t.skip(`moto part skipped: ${motoMissing}`);
  }, 120_000);

  it("the SDK's fromTokenFile and fromWebToken complete the web-identity flow against the emulator", async () => {
    const tokenFile = join(dir, 'token');
    // The SDK sends the file byte for byte, so no trailing newline (reference finding 4).
    await writeFile(tokenFile, await gh.mintFor('sts.amazonaws.com'), { mode: 0o600 });
    const fromFile = await fromTokenFile({
      webIdentityTokenFile: tokenFile,
      roleArn: ROLE,
      roleSessionName: 'sdk-file',
      clientConfig: { endpoint: sts.url, region: REGION },
    })();
    expect(fromFile.accessKeyId).toBe(sts.sessions.at(-1)?.accessKeyId);
    expect(fromFile.expiration?.getTime()).toBe(sts.sessions.at(-1)?.expiresAt);
    const req = sts.server.requests.at(-1);
    expect(req?.header('authorization')).toBeUndefined();
    expect(req?.form?.get('RoleSessionName')).toBe('sdk-file');

    const web = await fromWebToken({
      webIdentityToken: await gh.mintFor('sts.amazonaws.com'),
      roleArn: ROLE,
      roleSessionName: 'sdk-web',
      durationSeconds: 900,
      clientConfig: { endpoint: sts.url, region: REGION },
    })();
    const client = new STSClient({ region: REGION, endpoint: sts.url, credentials: web });
    expect((await client.send(new GetCallerIdentityCommand({}))).Arn).toBe(
      'arn:aws:sts::123456789012:assumed-role/ci/sdk-web',
    );
    client.destroy();

    // The SDK signs AssumeRole itself: the emulator's SigV4 verification agrees with it.
    const chained = await fromTemporaryCredentials({
      masterCredentials: web,
      params: { RoleArn: CHAIN, RoleSessionName: 'sdk-chain' },
      clientConfig: { endpoint: sts.url, region: REGION },
    })();
    expect(sts.sessions.at(-1)).toMatchObject({ accessKeyId: chained.accessKeyId, chained: true });
  });

  it("the SDK parses the emulator's error answers into its modelled exceptions", async () => {
    const cases: Array<[string, () => Promise<string>, string, Record<string, unknown>]> = [
      [
        'wrong audience',
        () => gh.mintFor('https://github.com/acme'),
        ROLE,
        { name: 'InvalidIdentityTokenException', Code: 'InvalidIdentityToken', $fault: 'client' },
      ],
      [
        'expired',
        () =>
          gh.mintFor('sts.amazonaws.com', {
            iat: Math.floor(Date.now() / 1000) - 900,
            nbf: Math.floor(Date.now() / 1000) - 900,
            exp: Math.floor(Date.now() / 1000) - 600,
          }),
        ROLE,
        { name: 'ExpiredTokenException', Code: 'ExpiredTokenException' },
      ],
      [
        'trust conditions',
        () => gh.mintFor('sts.amazonaws.com', { sub: 'repo:acme/other:ref:refs/heads/main' }),
        ROLE,
        { name: 'AccessDenied', $metadata: expect.objectContaining({ httpStatusCode: 403 }) },
      ],
    ];
    for (const [, mint, roleArn, want] of cases) {
      const provider = fromWebToken({
        webIdentityToken: await mint(),
        roleArn,
        roleSessionName: 'sdk-err',
        clientConfig: { endpoint: sts.url, region: REGION, maxAttempts: 1 },
      });
      await expect(provider()).rejects.toMatchObject(want);
    }
  });
});
