// azure.test.ts: @azure/identity (the real Azure SDK credential chain) gets tokens from our Entra
// emulator, and consumes exactly what azureTarget exports (AZURE_* variables and the federated token
// file). @azure/identity refuses http authorities and NODE_EXTRA_CA_CERTS is read only at process
// start, so the SDK runs in a child node process that trusts the emulator's CA.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Credentials, createHttpClient } from '@federate/core';
import { azureTarget } from '@federate/targets';
import { type Issuer, startIssuer, verifyJwt } from '@federate/testkit';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Entra, startEntra } from '../../packages/testkit/src/servers/entra.js';
import { parseOptions, testContext } from '../../packages/targets/src/shared/test-context.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SUB = 'repo:octo/app:environment:prod';
const AUD = 'api://AzureADTokenExchange';
const SCOPE = 'https://management.azure.com/.default';

const identityUrl = pathToFileURL(createRequire(import.meta.url).resolve('@azure/identity')).href;

// The child prints one JSON line: the token and its expiry, or the error's name and message.
const CHILD = `
const { ClientAssertionCredential, WorkloadIdentityCredential } = await import(process.env.IDENTITY_URL);
const input = JSON.parse(process.env.CHILD_INPUT);
try {
  let credential;
  if (input.kind === 'workload') {
    credential = new WorkloadIdentityCredential({ disableInstanceDiscovery: true });
  } else {
    credential = new ClientAssertionCredential(input.tenantId, input.clientId, async () => input.assertion, {
      authorityHost: input.authorityHost,
      disableInstanceDiscovery: true,
    });
  }
  const t = await credential.getToken(input.scope);
  console.log(JSON.stringify({ ok: true, token: t.token, expiresOnTimestamp: t.expiresOnTimestamp }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: e.name, message: String(e.message) }));
}
`;

interface ChildResult {
  ok: boolean;
  token?: string;
  expiresOnTimestamp?: number;
  name?: string;
  message?: string;
}

describe('@azure/identity against the Entra emulator', () => {
  let issuer: Issuer;
  let entra: Entra;
  let dir: string;
  let caFile: string;
  let script: string;

  beforeAll(async () => {
    issuer = await startIssuer();
    entra = await startEntra({
      tenants: {
        [TENANT]: {
          apps: {
            [CLIENT]: { federatedCredentials: [{ issuer: issuer.issuer, subject: SUB, audiences: [AUD] }] },
          },
        },
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'federate-azure-fidelity-'));
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, entra.caPem ?? '');
    script = join(dir, 'child.mjs');
    writeFileSync(script, CHILD);
  });
  afterAll(async () => {
    await entra.close();
    await issuer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function runChild(env: Record<string, string>, input: Record<string, unknown>): Promise<ChildResult> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [script],
        {
          env: {
            PATH: process.env['PATH'] ?? '',
            NODE_EXTRA_CA_CERTS: caFile,
            IDENTITY_URL: identityUrl,
            CHILD_INPUT: JSON.stringify(input),
            ...env,
          },
          timeout: 30_000,
        },
        (error, stdout, stderr) => {
          const line = stdout.trim().split('\n').at(-1) ?? '';
          try {
            resolve(JSON.parse(line) as ChildResult);
          } catch {
            reject(new Error(`child failed: ${error?.message ?? ''} ${stderr.slice(0, 500)}`));
          }
        },
      );
    });
  }

  async function verifyEntraToken(token: string | undefined): Promise<boolean> {
    const result = await verifyJwt(token ?? '', {
      trusted: [{ issuer: entra.issuerFor(TENANT) }],
      audience: 'https://management.azure.com',
      ca: entra.caPem ?? '',
    });
    return result.ok;
  }

  it('ClientAssertionCredential gets a token with the platform token as assertion', async () => {
    const assertion = await issuer.mint({ sub: SUB, aud: AUD });
    const out = await runChild(
      {},
      {
        kind: 'assertion',
        tenantId: TENANT,
        clientId: CLIENT,
        assertion,
        authorityHost: entra.url,
        scope: SCOPE,
      },
    );
    expect(out.ok).toBe(true);
    expect(await verifyEntraToken(out.token)).toBe(true);
    const post = entra.requests.filter((r) => r.method === 'POST').at(-1);
    // MSAL sends its telemetry parameters too; the emulator ignores them as Entra does.
    expect(post?.form?.get('client_assertion')).toBe(assertion);
    expect(post?.form?.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
  });

  it('ClientAssertionCredential surfaces the AADSTS code of a subject mismatch', async () => {
    const assertion = await issuer.mint({ sub: 'repo:octo/app:ref:refs/heads/dev', aud: AUD });
    const out = await runChild(
      {},
      {
        kind: 'assertion',
        tenantId: TENANT,
        clientId: CLIENT,
        assertion,
        authorityHost: entra.url,
        scope: SCOPE,
      },
    );
    expect(out.ok).toBe(false);
    expect(out.message).toContain('700213');
  });

  it('WorkloadIdentityCredential works from exactly what azureTarget exports', async () => {
    // azureTarget talks to the https emulator through the core HTTP helper with the emulator's CA.
    const dispatcher = new Agent({ connect: { ca: entra.caPem ?? '' } });
    const caFetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
      undiciFetch(
        input as never,
        { ...(init as object), dispatcher } as never,
      ) as unknown as Promise<Response>) as typeof fetch;
    const token = await issuer.mint({ sub: SUB, aud: AUD });
    const ctx = {
      ...testContext({ token }),
      http: createHttpClient({
        fetch: caFetch,
        now: Date.now,
        sleep: async () => {},
        random: Math.random,
        userAgent: 'federate-fidelity',
      }),
    };
    const options = parseOptions(azureTarget, {
      'client-id': CLIENT,
      'tenant-id': TENANT,
      'authority-host': entra.url,
    });
    const creds: Credentials = await azureTarget.exchange(ctx, options);
    expect(await verifyEntraToken(creds.values.find((v) => v.output === 'azure-access-token')?.value)).toBe(
      true,
    );
    await dispatcher.close();

    // Do what a sink does: write the file (0600, content as given) and export the variables.
    const env: Record<string, string> = {};
    for (const v of creds.values) if (v.env) env[v.env] = v.value;
    for (const f of creds.files) {
      const path = join(dir, f.name.replace(/\//g, '-'));
      writeFileSync(path, f.content, { mode: f.mode ?? 0o600 });
      for (const name of f.env ?? []) env[name] = path;
    }
    expect(Object.keys(env).sort()).toEqual([
      'AZURE_AUTHORITY_HOST',
      'AZURE_CLIENT_ID',
      'AZURE_FEDERATED_TOKEN_FILE',
      'AZURE_TENANT_ID',
    ]);
    expect(readFileSync(env['AZURE_FEDERATED_TOKEN_FILE'] ?? '', 'utf8')).toBe(token);

    const before = entra.count(`/${TENANT}/oauth2/v2.0/token`);
    const out = await runChild(env, { kind: 'workload', scope: SCOPE });
    expect(out.ok).toBe(true);
    expect(await verifyEntraToken(out.token)).toBe(true);
    expect(entra.count(`/${TENANT}/oauth2/v2.0/token`) - before).toBe(1);
    const post = entra.requests.filter((r) => r.method === 'POST').at(-1);
    expect(post?.form?.get('client_assertion')).toBe(token);
    expect(post?.form?.get('client_id')).toBe(CLIENT);
  });
});
