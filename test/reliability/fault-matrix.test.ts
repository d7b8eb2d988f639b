/**
 * fault-matrix.test.ts: every target × every fault a real network or server produces, run through
 * the core's `federate()` against the testkit emulators with a recording sink. Each cell asserts the
 * outcome (success after N attempts, or one fast failure with the right code, server code and a
 * hint), how many requests the server saw, that a failed run exported nothing at all, and that no
 * known secret reached a log line, an error or the summary.
 */
import {
  AggregateExchangeError,
  type ErrorCode,
  ExchangeError,
  FederateError,
  federate,
  formatError,
  InputReader,
  type RawInputs,
  type RunOutcome,
  type Target,
  throwIfIssues,
  type Transport,
} from '@federate/core';
import { transportFor } from '@federate/platforms';
import { TARGETS } from '@federate/targets';
import {
  type Fault,
  type GitHubIssuer,
  startAwsSts,
  startEntra,
  startGcp,
  startGitHubIssuer,
  startOAuthServer,
  startOctoSts,
  startVault,
  type TestServer,
} from '@federate/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testContext } from '../../packages/targets/src/shared/test-context.js';
import { LeakScanner } from '../support/leak-scanner.js';
import {
  fastDeps,
  type MutableClock,
  mutableClock,
  platformFor,
  recordingSink,
  startProxy,
  type TestProxy,
} from './support.js';

const SUB = 'repo:acme/app:ref:refs/heads/main';
const ROLE = 'arn:aws:iam::123456789012:role/ci';
const WIP = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/ci-oidc';
const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const ENTRA_AUD = 'api://AzureADTokenExchange';
const WRONG_AUD = 'https://wrong-audience.example';

type TargetName = 'aws' | 'gcp' | 'azure' | 'vault' | 'oauth' | 'octo-sts';

/** Rejections are the server codes each emulator answers for one kind of bad token. */
interface Rejections {
  audience: string;
  signature: string;
  expired: string;
}

/** Fixture is one target against its running emulator. */
interface Fixture {
  name: TargetName;
  target: Target<never>;
  options: never;
  audience: string;
  server: TestServer;
  /** path is the token exchange endpoint's path: faults are aimed there and requests counted there. */
  path: string;
  /** throttle queues the server's own throttling answer `times` times. */
  throttle(times: number): Fault;
  rejections: Rejections;
}

let gh: GitHubIssuer;
let clock: MutableClock;
const fixtures = new Map<TargetName, Fixture>();
const closers: Array<() => Promise<void>> = [];

function parse(target: Target<unknown>, raw: RawInputs): never {
  const reader = new InputReader(raw);
  const options = target.parse(reader, {});
  throwIfIssues(reader.issues);
  return options as never;
}

function fixture(
  name: TargetName,
  server: TestServer,
  path: string,
  raw: RawInputs,
  rejections: Rejections,
  throttle?: (times: number) => Fault,
): Fixture {
  const target = TARGETS[name] as Target<never>;
  const options = parse(target as Target<unknown>, raw);
  return {
    name,
    target,
    options,
    audience: (target as Target<unknown>).audience(options),
    server,
    path,
    throttle:
      throttle ??
      ((times) => ({
        kind: 'status',
        status: 429,
        body: '{"message":"slow down"}',
        headers: { 'content-type': 'application/json' },
        times,
        path,
      })),
    rejections,
  };
}

beforeAll(async () => {
  clock = mutableClock();
  gh = await startGitHubIssuer({
    claims: { repository: 'acme/app', repository_owner: 'acme', ref: 'refs/heads/main', sub: SUB },
  });
  closers.push(() => gh.close());
  const trusted = [{ issuer: gh.issuer, jwksUri: gh.jwksUri }];

  const aws = await startAwsSts({
    trusted,
    clock,
    roles: { [ROLE]: { conditions: { sub: 'repo:acme/app:*' } } },
  });
  closers.push(() => aws.close());
  fixtures.set(
    'aws',
    fixture(
      'aws',
      aws.server,
      '/',
      { 'role-arn': ROLE, region: 'eu-west-1', endpoint: aws.url },
      {
        audience: 'InvalidIdentityToken',
        signature: 'InvalidIdentityToken',
        expired: 'ExpiredTokenException',
      },
      (times) => ({
        kind: 'status',
        status: 400,
        body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
        headers: { 'content-type': 'text/xml' },
        times,
      }),
    ),
  );

  const gcp = await startGcp({ trusted, clock, providers: { [WIP]: {} } });
  closers.push(() => gcp.close());
  fixtures.set(
    'gcp',
    fixture(
      'gcp',
      gcp.server,
      '/v1/token',
      { 'workload-identity-provider': WIP, 'sts-endpoint': gcp.url, 'iam-credentials-endpoint': gcp.url },
      { audience: 'invalid_grant', signature: 'invalid_grant', expired: 'invalid_grant' },
    ),
  );

  const entra = await startEntra({
    https: false,
    clock,
    trusted,
    tenants: {
      [TENANT]: {
        apps: {
          [CLIENT]: { federatedCredentials: [{ issuer: gh.issuer, subject: SUB, audiences: [ENTRA_AUD] }] },
        },
      },
    },
  });
  closers.push(() => entra.close());
  fixtures.set(
    'azure',
    fixture(
      'azure',
      entra.server,
      `/${TENANT}/oauth2/v2.0/token`,
      { 'client-id': CLIENT, 'tenant-id': TENANT, 'authority-host': entra.url },
      { audience: 'AADSTS700212', signature: 'AADSTS700027', expired: 'AADSTS700024' },
    ),
  );

  const vault = await startVault({
    trusted,
    clock,
    mounts: {
      jwt: {
        roles: {
          ci: { bound_audiences: ['vault'], user_claim: 'sub', token_policies: ['default'], token_ttl: 600 },
        },
      },
    },
  });
  closers.push(() => vault.close());
  fixtures.set(
    'vault',
    fixture(
      'vault',
      vault.server,
      '/v1/auth/jwt/login',
      { url: vault.url, role: 'ci', revoke: 'false' },
      { audience: 'invalid_audience', signature: 'invalid_signature', expired: 'expired' },
    ),
  );

  const oauth = await startOAuthServer({ trusted, clock });
  closers.push(() => oauth.close());
  fixtures.set(
    'oauth',
    fixture(
      'oauth',
      oauth.server,
      '/token',
      { 'token-url': oauth.tokenUrl, audience: oauth.tokenUrl },
      { audience: 'invalid_request', signature: 'invalid_request', expired: 'invalid_request' },
    ),
  );

  const octo = await startOctoSts({
    trusted,
    clock,
    domain: 'octo.test',
    policies: {
      'acme/app': { deploy: { issuer: gh.issuer, subject: SUB, permissions: { contents: 'read' } } },
    },
  });
  closers.push(() => octo.close());
  fixtures.set(
    'octo-sts',
    fixture(
      'octo-sts',
      octo.server,
      '/sts/exchange',
      {
        scope: 'acme/app',
        identity: 'deploy',
        domain: 'octo.test',
        url: octo.url,
        'github-api-url': octo.githubApiUrl,
      },
      { audience: 'PermissionDenied', signature: 'Unauthenticated', expired: 'Unauthenticated' },
    ),
  );
});

afterAll(async () => {
  await Promise.allSettled(closers.map((c) => c()));
});

afterEach(() => {
  clock.skew(0);
  for (const f of fixtures.values()) f.server.faults.clear();
});

/** RunResult is one federate() run as the matrix sees it. */
interface RunResult {
  outcome: RunOutcome | undefined;
  error: FederateError | undefined;
  requests: number;
  sink: ReturnType<typeof recordingSink>;
  scanner: LeakScanner;
}

interface RunOptions {
  /** mint overrides the platform token (default: a fresh token for the requested audience). */
  mint?: (audience: string) => Promise<string>;
  audience?: string;
  timeoutMs?: number;
  transport?: Transport;
}

async function run(fx: Fixture, opts: RunOptions = {}): Promise<RunResult> {
  const sink = recordingSink();
  const lines: string[] = [];
  const scanner = new LeakScanner();
  const mint =
    opts.mint ??
    (async (audience: string) => {
      return gh.mintFor(audience);
    });
  const platform = platformFor(sink, async (audience) =>
    scanner.secret(await mint(audience), 'platform token'),
  );
  const deps = fastDeps(lines, opts.transport ? { transport: opts.transport } : {});
  const before = fx.server.count(fx.path);
  let outcome: RunOutcome | undefined;
  let error: FederateError | undefined;
  try {
    outcome = await federate({
      platform,
      deps,
      config: {
        exchanges: [
          {
            id: fx.name,
            target: fx.target,
            audience: opts.audience ?? fx.audience,
            options: fx.options,
            exportEnv: true,
          },
        ],
        exportEnv: true,
        outputs: true,
        cleanup: true,
        dryRun: false,
        timeoutMs: opts.timeoutMs ?? 5_000,
      },
    });
  } catch (e) {
    if (!(e instanceof FederateError)) throw e;
    error = e;
  }
  const requests = fx.server.count(fx.path) - before;
  for (const v of outcome?.env ?? []) if (v.secret) scanner.secret(v.value, `exported ${v.name}`);
  for (const v of deps.secrets.values()) scanner.secret(v, 'registered secret');
  scanner.scanText('log', lines.join('\n'));
  for (const s of sink.summaries) scanner.scanText('summary', s);
  if (error)
    scanner.scanText('error', formatError(error, deps.secrets)).scanText('raw error message', error.message);
  return { outcome, error, requests, sink, scanner };
}

/** the single error behind an aggregate (one exchange per run here). */
function inner(error: FederateError | undefined): FederateError | undefined {
  return error instanceof AggregateExchangeError ? error.errors[0] : error;
}

function expectOk(r: RunResult, requests: number): void {
  expect(r.error?.code, r.error && `${r.error.code}: ${r.error.message}`).toBeUndefined();
  expect(r.outcome?.summary.exchanges[0]?.ok).toBe(true);
  expect(r.sink.exports().length).toBeGreaterThan(0);
  expect(r.requests).toBe(requests);
  r.scanner.assertClean();
}

function expectFailure(r: RunResult, code: ErrorCode, requests: number, serverCode?: string): void {
  expect(r.outcome).toBeUndefined();
  const e = inner(r.error);
  expect(e?.code, e?.message).toBe(code);
  expect(r.error?.code).toBe(code);
  if (serverCode !== undefined) {
    expect(e).toBeInstanceOf(ExchangeError);
    expect((e as ExchangeError).serverCode).toBe(serverCode);
  }
  expect(e?.hint, `${code} from ${e?.message} carries a hint`).toEqual(expect.any(String));
  expect(r.requests).toBe(requests);
  // Nothing half-exported: no file, variable, output or cleanup record reached the sink.
  expect(r.sink.exports()).toEqual([]);
  r.scanner.assertClean();
}

const NAMES: TargetName[] = ['aws', 'gcp', 'azure', 'vault', 'oauth', 'octo-sts'];
const fx = (name: TargetName): Fixture => fixtures.get(name) as Fixture;
const now = () => Math.floor(Date.now() / 1000);

describe.each(NAMES)('%s under faults', (name) => {
  it('baseline: succeeds with exactly one request', async () => {
    expectOk(await run(fx(name)), 1);
  });

  it('throttled twice, then success: 3 requests', async () => {
    const f = fx(name);
    f.server.faults.add({ ...f.throttle(2), path: f.path });
    expectOk(await run(f), 3);
  });

  it('persistent throttling: ERR_EXCHANGE_THROTTLED after 5 attempts', async () => {
    const f = fx(name);
    f.server.faults.add({ ...f.throttle(Number.POSITIVE_INFINITY), path: f.path });
    expectFailure(await run(f), 'ERR_EXCHANGE_THROTTLED', 5);
  });

  it('HTTP 500 once, then success: 2 requests', async () => {
    const f = fx(name);
    f.server.faults.add({ kind: 'status', status: 500, path: f.path });
    expectOk(await run(f), 2);
  });

  it('HTTP 502 twice, then success: 3 requests', async () => {
    const f = fx(name);
    f.server.faults.add({ kind: 'status', status: 502, times: 2, path: f.path });
    expectOk(await run(f), 3);
  });

  it('HTTP 503 persistently: ERR_EXCHANGE_SERVER after 5 attempts', async () => {
    const f = fx(name);
    f.server.faults.add({ kind: 'status', status: 503, times: Number.POSITIVE_INFINITY, path: f.path });
    expectFailure(await run(f), 'ERR_EXCHANGE_SERVER', 5);
  });

  it('connection reset once, then success: 2 requests', async () => {
    const f = fx(name);
    f.server.faults.add({ kind: 'reset', path: f.path });
    expectOk(await run(f), 2);
  });

  it('connection reset persistently: ERR_HTTP_NETWORK after 5 attempts', async () => {
    const f = fx(name);
    f.server.faults.add({ kind: 'reset', times: Number.POSITIVE_INFINITY, path: f.path });
    expectFailure(await run(f), 'ERR_HTTP_NETWORK', 5);
  });

  it('answer slower than the whole deadline: ERR_HTTP_TIMEOUT after 1 request', async () => {
    const f = fx(name);
    f.server.faults.add({ kind: 'delay', ms: 1_500, path: f.path });
    expectFailure(await run(f, { timeoutMs: 600 }), 'ERR_HTTP_TIMEOUT', 1);
  });

  it('answer slower than the per-attempt timeout once, then success: 2 requests', async () => {
    const f = fx(name);
    f.server.faults.add({ kind: 'delay', ms: 800, path: f.path });
    const ctx = testContext({
      token: await gh.mintFor(f.audience),
      attemptTimeoutMs: 250,
      deadlineMs: 5_000,
      maxAttempts: 3,
    });
    const before = f.server.count(f.path);
    const creds = await f.target.exchange(ctx, f.options);
    expect(creds.values.length).toBeGreaterThan(0);
    expect(f.server.count(f.path) - before).toBe(2);
    const scanner = new LeakScanner();
    for (const v of ctx.secrets.values()) scanner.secret(v);
    scanner.scanText('log', ctx.lines.join('\n')).assertClean();
  });

  it('malformed (truncated) body: ERR_EXCHANGE_BAD_RESPONSE after 1 request', async () => {
    const f = fx(name);
    f.server.faults.add({ kind: 'malformed', path: f.path });
    expectFailure(await run(f), 'ERR_EXCHANGE_BAD_RESPONSE', 1);
  });

  it('an HTML page with HTTP 200 (captive proxy): ERR_EXCHANGE_BAD_RESPONSE after 1 request', async () => {
    const f = fx(name);
    f.server.faults.add({ kind: 'content-type', contentType: 'text/html; charset=utf-8', path: f.path });
    expectFailure(await run(f), 'ERR_EXCHANGE_BAD_RESPONSE', 1);
  });

  it('expired platform token: ERR_PLATFORM_TOKEN_EXPIRED before any request', async () => {
    const f = fx(name);
    const r = await run(f, {
      mint: (aud) => gh.mintFor(aud, { iat: now() - 900, nbf: now() - 900, exp: now() - 300 }),
    });
    expectFailure(r, 'ERR_PLATFORM_TOKEN_EXPIRED', 0);
  });

  it('platform token for another audience: ERR_PLATFORM_AUDIENCE_MISMATCH before any request', async () => {
    const f = fx(name);
    const r = await run(f, { mint: () => gh.mintFor(WRONG_AUD) });
    expectFailure(r, 'ERR_PLATFORM_AUDIENCE_MISMATCH', 0);
  });

  it('an audience the server does not accept: ERR_EXCHANGE_REJECTED with its code after 1 request', async () => {
    const f = fx(name);
    const r = await run(f, { audience: WRONG_AUD });
    expectFailure(r, 'ERR_EXCHANGE_REJECTED', 1, f.rejections.audience);
  });

  it('a token signed with a revoked key: ERR_EXCHANGE_REJECTED with its code after 1 request', async () => {
    const f = fx(name);
    const token = await gh.mintFor(f.audience);
    const old = gh.keys.currentKid;
    await gh.rotateKeys();
    gh.revokeKey(old);
    const r = await run(f, { mint: async () => token });
    expectFailure(r, 'ERR_EXCHANGE_REJECTED', 1, f.rejections.signature);
    // New tokens, signed with the new key, are accepted again.
    expectOk(await run(f), 1);
  });

  it('server clock 30 s ahead: accepted within the leeway', async () => {
    const f = fx(name);
    clock.skew(30);
    expectOk(
      await run(f, { mint: (aud) => gh.mintFor(aud, { iat: now(), nbf: now(), exp: now() + 240 }) }),
      1,
    );
  });

  it('server clock 10 min ahead: ERR_EXCHANGE_REJECTED as expired after 1 request', async () => {
    const f = fx(name);
    clock.skew(600);
    const r = await run(f, { mint: (aud) => gh.mintFor(aud, { iat: now(), nbf: now(), exp: now() + 240 }) });
    expectFailure(r, 'ERR_EXCHANGE_REJECTED', 1, f.rejections.expired);
  });

  describe('through a proxy', () => {
    let proxy: TestProxy;
    beforeAll(async () => {
      proxy = await startProxy();
    });
    afterAll(async () => {
      await proxy.close();
    });

    it('HTTP(S)_PROXY with an empty NO_PROXY: the proxy carries the exchange', async () => {
      const f = fx(name);
      // undici's EnvHttpProxyAgent has no implicit loopback bypass; NO_PROXY is set empty on purpose.
      const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: '' };
      const seenBefore = proxy.seen.length;
      // The product's own transport choice: npm undici's EnvHttpProxyAgent when a proxy is set.
      expectOk(await run(f, { transport: transportFor(env) }), 1);
      const host = new URL(f.server.url).host;
      // undici's ProxyAgent tunnels plain-http destinations with CONNECT too; either form proves the path.
      const carried = proxy.seen.slice(seenBefore);
      expect(
        carried.some((s) => s === `CONNECT ${host}` || s === `POST ${host}${f.path}`),
        carried.join(', '),
      ).toBe(true);
    });
  });
});
