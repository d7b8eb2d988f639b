/**
 * azure.test.ts: `@azure/identity`'s WorkloadIdentityCredential keeps getting Entra tokens across
 * several expiries while `federate token --output-file` re-writes AZURE_FEDERATED_TOKEN_FILE.
 *
 * The SDK runs in a child Node process (NODE_EXTRA_CA_CERTS is read only at start, and the Entra
 * emulator is https). Two of its windows are fixed at 5 minutes: MSAL asks again 300 s before an
 * access token's expiry, and WorkloadIdentityCredential re-reads the token file only when its copy
 * is 5 minutes old. So the test moves a shared simulated clock instead of waiting: the child's Date,
 * the platform issuer's and Entra's clocks are the wall clock plus an offset, and each round advances
 * it by STEP_S. Against that clock the access token (ACCESS_S) and the platform token (PLATFORM_S)
 * both expire within every step, so every round needs a fresh file and exactly one exchange.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { type Clock, type GitHubIssuer, startGitHubIssuer } from '@federate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Entra, type EntraApp, startEntra } from '../../packages/testkit/src/servers/entra.js';
import { node24 } from '../support/github-runner.js';
import { buildCli, exportedEnv, runCli, stepEnv } from './cli.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const AUD = 'api://AzureADTokenExchange';
const SCOPE = 'https://management.azure.com/.default';
/** ACCESS_S: MSAL serves an access token from its cache for ACCESS_S - 300 s. */
const ACCESS_S = 360;
const PLATFORM_S = 120;
const STEP_S = 310;

const identityUrl = pathToFileURL(createRequire(import.meta.url).resolve('@azure/identity')).href;

// One JSON line in per round ({offsetMs, calls}), one JSON line out. Date is the simulated clock.
const CHILD = `
const RealDate = Date;
let offset = 0;
class SimDate extends RealDate {
  constructor(...args) { if (args.length === 0) super(RealDate.now() + offset); else super(...args); }
  static now() { return RealDate.now() + offset; }
}
globalThis.Date = SimDate;
const { WorkloadIdentityCredential } = await import(process.env.IDENTITY_URL);
const { createInterface } = await import('node:readline');
const credential = new WorkloadIdentityCredential({ disableInstanceDiscovery: true });
for await (const line of createInterface({ input: process.stdin })) {
  const round = JSON.parse(line);
  offset = round.offsetMs;
  try {
    const first = await credential.getToken(round.scope);
    const more = await Promise.all(Array.from({ length: round.calls - 1 }, () => credential.getToken(round.scope)));
    console.log(JSON.stringify({ ok: true, tokens: [first, ...more].map((t) => t.token) }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, name: e.name, message: String(e.message) }));
  }
}
`;

interface RoundResult {
  ok: boolean;
  tokens?: string[];
  name?: string;
  message?: string;
}

let offsetMs = 0;
const clock: Clock = { now: () => Date.now() + offsetMs };
let gh: GitHubIssuer;
let entra: Entra;
let app: EntraApp;
let dir: string;
let cli: string;
let caFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'federate-refresh-azure-'));
  cli = await buildCli(dir);
  gh = await startGitHubIssuer({ claims: { repository: 'acme/app' }, clock, lifetimeSec: PLATFORM_S });
  const sample = await gh.mintFor(AUD);
  const sub = JSON.parse(Buffer.from(sample.split('.')[1] ?? '', 'base64url').toString()).sub as string;
  app = { federatedCredentials: [{ issuer: gh.issuer, subject: sub, audiences: [AUD] }] };
  entra = await startEntra({
    tenants: { [TENANT]: { apps: { [CLIENT]: app } } },
    trusted: [{ issuer: gh.issuer, jwksUri: gh.jwksUri }],
    clock,
    tokenLifetimeSec: ACCESS_S,
    // An expired platform token must be refused, not waved through by Entra's few minutes of leeway.
    clockSkewSec: 0,
  });
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, entra.caPem ?? '');
}, 60_000);

afterAll(async () => {
  await entra?.close();
  await gh?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sdk is the long-lived child process holding one WorkloadIdentityCredential. */
class Sdk {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  constructor(env: Record<string, string>) {
    const script = join(dir, 'child.mjs');
    writeFileSync(script, CHILD);
    this.#child = spawn(node24(), [script], {
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_EXTRA_CA_CERTS: caFile,
        IDENTITY_URL: identityUrl,
        ...env,
      },
    });
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }
  async round(calls = 3): Promise<RoundResult> {
    this.#child.stdin.write(`${JSON.stringify({ offsetMs, calls, scope: SCOPE })}\n`);
    const next = await this.#lines.next();
    if (next.done) throw new Error('the SDK child exited');
    return JSON.parse(next.value) as RoundResult;
  }
  close(): void {
    this.#child.stdin.end();
    this.#child.kill();
  }
}

const tokenRequests = () => entra.count(`/${TENANT}/oauth2/v2.0/token`);
const lastAssertion = () =>
  entra.requests
    .filter((r) => r.method === 'POST')
    .at(-1)
    ?.form?.get('client_assertion') ?? '';

describe('refresh: @azure/identity WorkloadIdentityCredential with a re-written token file', () => {
  let exported: Record<string, string>;
  let sdk: Sdk;
  afterAll(() => sdk?.close());

  it('exports the AZURE_* variables and the federated token file', async () => {
    const step = { ...stepEnv(gh, dir), NODE_EXTRA_CA_CERTS: caFile };
    const r = await runCli(
      cli,
      [
        'exchange',
        '--target',
        'azure',
        '--client-id',
        CLIENT,
        '--tenant-id',
        TENANT,
        '--authority-host',
        entra.url,
        '--refresh-token-file',
        'true',
      ],
      step,
    );
    expect(r.status, r.stderr).toBe(0);
    exported = exportedEnv(step);
    expect(
      Object.keys(exported)
        .filter((k) => k.startsWith('AZURE_'))
        .sort(),
    ).toEqual(['AZURE_AUTHORITY_HOST', 'AZURE_CLIENT_ID', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_TENANT_ID']);
    expect(r.stdout + r.stderr).toContain('federate token --audience api://AzureADTokenExchange');
  });

  it('keeps getting tokens across several expiries, one exchange per expiry', async () => {
    const file = exported['AZURE_FEDERATED_TOKEN_FILE'] ?? '';
    sdk = new Sdk({
      AZURE_CLIENT_ID: exported['AZURE_CLIENT_ID'] ?? '',
      AZURE_TENANT_ID: exported['AZURE_TENANT_ID'] ?? '',
      AZURE_AUTHORITY_HOST: exported['AZURE_AUTHORITY_HOST'] ?? '',
      AZURE_FEDERATED_TOKEN_FILE: file,
    });
    const atStart = tokenRequests();
    const seen = new Set<string>();
    const expiries = 3;
    for (let round = 0; round <= expiries; round++) {
      if (round > 0) {
        offsetMs += STEP_S * 1000;
        const r = await runCli(cli, ['token', '--audience', AUD, '--output-file', file], stepEnv(gh, dir));
        expect(r.status, r.stderr).toBe(0);
      }
      const out = await sdk.round();
      expect(out.ok, out.message).toBe(true);
      // All callers of the round got the one token its single exchange returned.
      expect(new Set(out.tokens).size).toBe(1);
      seen.add(out.tokens?.[0] ?? '');
      expect(tokenRequests() - atStart).toBe(round + 1);
      // The exchange used what the file holds now: the SDK re-read it.
      expect(lastAssertion()).toBe(readFileSync(file, 'utf8'));
    }
    expect(seen.size).toBe(expiries + 1);
  }, 30_000);

  it('surfaces AADSTS700024 when the file was not re-written and its token has expired', async () => {
    offsetMs += STEP_S * 1000;
    const out = await sdk.round(1);
    expect(out.ok).toBe(false);
    expect(out.message).toContain('AADSTS700024');
    expect(out.message).not.toContain(readFileSync(exported['AZURE_FEDERATED_TOKEN_FILE'] ?? '', 'utf8'));
  });

  it('surfaces AADSTS70021 when the federated credential was removed', async () => {
    const file = exported['AZURE_FEDERATED_TOKEN_FILE'] ?? '';
    offsetMs += STEP_S * 1000;
    const r = await runCli(cli, ['token', '--audience', AUD, '--output-file', file], stepEnv(gh, dir));
    expect(r.status, r.stderr).toBe(0);
    app.federatedCredentials = [];
    const out = await sdk.round(1);
    expect(out.ok).toBe(false);
    expect(out.message).toContain('AADSTS70021');
    expect(out.message).not.toContain(readFileSync(file, 'utf8'));
  });
});
