import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../clock.js';
import { verifyJwt } from '../verify.js';
import { type PingOneEmulator, startPingOne } from './pingone.js';

const clock = fakeClock(Date.UTC(2030, 0, 1));
let p1: PingOneEmulator;

beforeAll(async () => {
  p1 = await startPingOne({
    tenants: ['acme'],
    clock,
    workloads: [
      {
        tenant: 'acme',
        namespace: 'ci',
        name: 'deploy',
        apiKey: 'key-deploy-0001',
        aws: { accountIds: ['123456789012'] },
        gcp: { projectIds: ['acme-prod'] },
        policy: {},
      },
      {
        tenant: 'acme',
        namespace: 'ci',
        name: 'azure',
        apiKey: 'key-azure-0002',
        azure: { scope: 'https://management.azure.com' },
        policy: { start: Date.UTC(2030, 0, 1), end: Date.UTC(2030, 0, 2) },
      },
      { tenant: 'acme', namespace: 'ci', name: 'nopolicy', apiKey: 'key-none-0003' },
    ],
  });
});
afterAll(async () => {
  await p1.close();
});

const get = (path: string, key?: string, method = 'GET') =>
  fetch(`${p1.url}${path}`, { method, headers: key ? { authorization: `Bearer ${key}` } : {} });

describe('PingOne Privilege emulator', () => {
  it('issues a signed 60-minute token carrying the selected clouds’ credentials', async () => {
    const res = await get(p1.tokenPath('acme', 'ci', 'deploy'), 'key-deploy-0001');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; expiresIn: number };
    expect(body.expiresIn).toBe(3600);
    const claims = decodeJwt(body.token) as Record<string, unknown>;
    expect(claims['exp']).toBe((claims['iat'] as number) + 3600);
    expect(claims).toMatchObject({ sub: 'ci/deploy', aud: 'acme' });
    const issued = p1.issued().at(-1);
    expect(claims['aws']).toMatchObject({ ...issued?.aws, accountIds: ['123456789012'] });
    expect(claims['gcp']).toMatchObject({ accessToken: issued?.gcp?.accessToken });
    expect(claims['azure']).toBeUndefined();
    expect(issued?.aws?.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const verified = await verifyJwt(body.token, {
      trusted: [{ issuer: String(claims['iss']), jwksUri: p1.jwksUrl }],
      audience: 'acme',
      clock,
    });
    expect(verified.ok).toBe(true);
  });

  it.each([
    ['no API key', ['acme', 'ci', 'deploy'], undefined, 401, 'UNAUTHORIZED'],
    ['another workload’s key', ['acme', 'ci', 'deploy'], 'key-azure-0002', 401, 'UNAUTHORIZED'],
    ['an unknown tenant', ['globex', 'ci', 'deploy'], 'key-deploy-0001', 404, 'TENANT_NOT_FOUND'],
    ['an unknown workload', ['acme', 'ci', 'ghost'], 'key-deploy-0001', 404, 'WORKLOAD_NOT_FOUND'],
    ['no workload policy', ['acme', 'ci', 'nopolicy'], 'key-none-0003', 403, 'NO_POLICY'],
  ] as const)('answers %s', async (_n, [t, ns, w], key, status, code) => {
    const res = await get(p1.tokenPath(t, ns, w), key);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ code });
  });

  it('enforces the policy window on its clock', async () => {
    expect((await get(p1.tokenPath('acme', 'ci', 'azure'), 'key-azure-0002')).status).toBe(200);
    clock.advance(24 * 3600 * 1000);
    const res = await get(p1.tokenPath('acme', 'ci', 'azure'), 'key-azure-0002');
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'POLICY_NOT_ACTIVE' });
    clock.set(Date.UTC(2030, 0, 1));
  });

  it('refuses other methods and injects faults', async () => {
    expect((await get(p1.tokenPath('acme', 'ci', 'deploy'), 'key-deploy-0001', 'POST')).status).toBe(405);
    p1.faults.add({ kind: 'status', status: 429 });
    expect((await get(p1.tokenPath('acme', 'ci', 'deploy'), 'key-deploy-0001')).status).toBe(429);
  });

  it('answers a bare JWT when asked', async () => {
    const bare = await startPingOne({
      tenants: ['t'],
      workloads: [
        { tenant: 't', namespace: 'n', name: 'w', apiKey: 'k-0000', aws: { accountIds: [] }, policy: {} },
      ],
      bare: true,
      tokenLifetimeSec: 120,
    });
    try {
      const res = await fetch(`${bare.url}${bare.tokenPath('t', 'n', 'w')}`, {
        headers: { authorization: 'Bearer k-0000' },
      });
      expect(res.headers.get('content-type')).toBe('application/jwt');
      const claims = decodeJwt(await res.text());
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
    } finally {
      await bare.close();
    }
  });
});
