/**
 * vault.test.ts: `federate renew` keeps the Vault token an exchange exported alive while the job
 * runs, up to the role's max TTL; past it the command fails with ERR_EXCHANGE_REJECTED and a new
 * `federate exchange` logs in again. The emulator renews for token_ttl but knows no token_max_ttl,
 * so a loopback proxy in front of it applies Vault's max-TTL rule: a renewal is capped at what is
 * left of the max TTL (with Vault's warning), and once that is used up the token is gone (403).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GitHubIssuer, startGitHubIssuer, startVault, type VaultEmulator } from '@federate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, exportedEnv, runCli, stepEnv } from './cli.js';

const TTL_S = 3;
const MAX_TTL_S = 5;

let gh: GitHubIssuer;
let vault: VaultEmulator;
let proxy: Server;
let proxyUrl: string;
let dir: string;
let cli: string;
/** loggedInAt is when the proxy saw each token's login (ms), for its max TTL. */
const loggedInAt = new Map<string, number>();

async function startMaxTtlProxy(): Promise<void> {
  proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const token = req.headers['x-vault-token'];
    const renew = req.url === '/v1/auth/token/renew-self' && typeof token === 'string';
    const left = renew ? (loggedInAt.get(token) ?? 0) + MAX_TTL_S * 1000 - Date.now() : 0;
    if (renew && left <= 0) {
      // Vault revokes a token when its max TTL ends: afterwards it is simply unknown.
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: ['permission denied'] }));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    const upstream = await fetch(`${vault.url}${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body.length ? { body } : {}),
    });
    let text = await upstream.text();
    if (upstream.ok && req.url?.endsWith('/login')) {
      const issued = (JSON.parse(text) as { auth?: { client_token?: string } }).auth?.client_token;
      if (issued) loggedInAt.set(issued, Date.now());
    }
    if (upstream.ok && renew) {
      const answer = JSON.parse(text) as { auth: { lease_duration: number }; warnings: string[] | null };
      const asked = Number.parseInt(String(JSON.parse(body.toString() || '{}').increment ?? TTL_S), 10);
      answer.auth.lease_duration = asked;
      const cap = Math.floor(left / 1000);
      if (asked > cap) {
        answer.auth.lease_duration = cap;
        answer.warnings = [
          `TTL of "${asked}s" exceeded the effective max_ttl of "${cap}s"; TTL value is capped accordingly`,
        ];
      }
      text = JSON.stringify(answer);
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(text);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const addr = proxy.address();
  proxyUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'federate-refresh-vault-'));
  cli = await buildCli(dir);
  gh = await startGitHubIssuer({ claims: { repository: 'acme/app' } });
  vault = await startVault({
    trusted: [{ issuer: gh.issuer, jwksUri: gh.jwksUri }],
    mounts: {
      jwt: {
        roles: {
          ci: {
            bound_audiences: ['vault'],
            bound_claims: { repository: 'acme/app' },
            token_policies: ['ci'],
            token_ttl: TTL_S,
          },
        },
      },
    },
    kv: { secret: { version: 2, data: { 'ci/db': { password: 'renew-test-password' } } } },
    policies: { ci: ['secret/data/ci/*'] },
  });
  await startMaxTtlProxy();
}, 60_000);

afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  await vault?.close();
  await gh?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** login runs `federate exchange --target vault` as a step and returns what it exported. */
async function login(): Promise<Record<string, string>> {
  const step = stepEnv(gh, dir);
  const r = await runCli(
    cli,
    [
      'exchange',
      '--target',
      'vault',
      '--url',
      proxyUrl,
      '--role',
      'ci',
      '--secrets',
      'secret/data/ci/db password',
    ],
    step,
  );
  expect(r.status, r.stderr).toBe(0);
  const env = exportedEnv(step);
  expect(env['VAULT_TOKEN']).toMatch(/^hvs\./);
  return env;
}

function renew(exported: Record<string, string>, ...args: string[]) {
  const env = {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    NO_COLOR: '1',
    VAULT_ADDR: exported['VAULT_ADDR'] ?? '',
    VAULT_TOKEN: exported['VAULT_TOKEN'] ?? '',
  };
  return runCli(cli, ['renew', ...args], env);
}

const expiryOf = (token: string | undefined) => vault.tokens().find((t) => t.id === token)?.expiresAt;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('federate renew with the Vault emulator', () => {
  it('renews the exported token, so it outlives its first TTL', async () => {
    const exported = await login();
    const token = exported['VAULT_TOKEN'];
    const first = expiryOf(token) ?? 0;
    expect(first).toBeGreaterThan(0);
    await sleep(1_000);
    const renewsBefore = vault.count('/v1/auth/token/renew-self');
    const r = await renew(exported);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(token);
    expect(vault.count('/v1/auth/token/renew-self') - renewsBefore).toBe(1);
    // Vault moved the expiry on from the renewal, past where the login had put it.
    expect(expiryOf(token) ?? 0).toBeGreaterThan(first);
    await sleep(Math.max(0, first - Date.now()) + 200);
    expect(vault.tokens().some((t) => t.id === token)).toBe(true);
  });

  it('caps a renewal at the max TTL, then fails with ERR_EXCHANGE_REJECTED; a new exchange logs in again', async () => {
    const exported = await login();
    const token = exported['VAULT_TOKEN'] ?? '';
    const capped = await renew(exported, '--increment', '60s');
    expect(capped.status, capped.stderr).toBe(0);
    expect(capped.stderr).toMatch(/max.TTL/);

    await sleep(Math.max(0, (loggedInAt.get(token) ?? 0) + MAX_TTL_S * 1000 - Date.now()) + 200);
    const refused = await renew(exported, '--increment', '60s');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('ERR_EXCHANGE_REJECTED');
    expect(refused.stderr).toContain('federate exchange');
    expect(refused.stderr).not.toContain(token);

    const again = await login();
    expect(again['VAULT_TOKEN']).not.toBe(token);
    const renewed = await renew(again);
    expect(renewed.status, renewed.stderr).toBe(0);
  });

  it('refuses to run without a token, as a configuration error', async () => {
    const env = { PATH: process.env['PATH'] ?? '', HOME: dir, NO_COLOR: '1', VAULT_ADDR: proxyUrl };
    const r = await runCli(cli, ['renew'], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ERR_CONFIG_REQUIRED');
  });
});
