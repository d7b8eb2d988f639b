/**
 * github-action-clients.test.ts: the committed action bundle, run like the runner runs it, then a later
 * step that uses what it exported with each vendor's own client: google-auth-library (GCP, through
 * the external_account file), @azure/identity (Entra, through the federated token file over HTTPS),
 * and the AWS SDK against moto_server, the independent STS implementation.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type Entra,
  type GcpEmulator,
  type GitHubIssuer,
  startEntra,
  startGcp,
  startGitHubIssuer,
} from '@federate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionDir } from '../support/bundles.js';
import { Job, repoRoot, withoutMaskCommands } from '../support/github-runner.js';
import { LeakScanner } from '../support/leak-scanner.js';
import { startMoto } from '../support/moto.js';

const WIP = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/github';
const SA = 'deployer@my-proj.iam.gserviceaccount.com';
const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const req = createRequire(join(repoRoot, 'test', 'package.json'));
const moduleUrl = (name: string) => pathToFileURL(req.resolve(name)).href;

let github: GitHubIssuer;
let gcp: GcpEmulator;
let entra: Entra;
let action: string;

beforeAll(async () => {
  action = actionDir();
  github = await startGitHubIssuer({ claims: { repository: 'octo/app', ref: 'refs/heads/main' } });
  const trusted = [{ issuer: github.issuer }];
  gcp = await startGcp({
    trusted,
    providers: {
      [WIP]: { attributeMapping: { 'google.subject': 'sub', 'attribute.repository': 'repository' } },
    },
    serviceAccounts: {
      [SA]: {
        allowedPrincipals: [
          `principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/ci-pool/attribute.repository/octo/app`,
        ],
      },
    },
    projects: { '123456789': 'my-proj' },
  });
  entra = await startEntra({
    tenants: {
      [TENANT]: {
        apps: {
          [CLIENT]: {
            federatedCredentials: [
              {
                issuer: github.issuer,
                subject: 'repo:octo/app:ref:refs/heads/main',
                audiences: ['api://AzureADTokenExchange'],
              },
            ],
          },
        },
      },
    },
  });
});
afterAll(async () => {
  await Promise.allSettled([github?.close(), gcp?.close(), entra?.close()]);
});

function scan(step: { stdout: string; stderr: string; summary: string }, secrets: string[]): void {
  const s = new LeakScanner();
  s.secret(github.requestToken, 'runner request token');
  for (const v of secrets) s.secret(v, 'exported secret');
  s.scanText('stdout', withoutMaskCommands(step.stdout))
    .scanText('stderr', step.stderr)
    .scanText('summary', step.summary)
    .assertClean();
}

describe('actions/exchange, then the vendors’ own clients in a later step', () => {
  it('GCP: google-auth-library impersonates through the external_account file the action wrote', async () => {
    const job = new Job(github.env());
    const main = await job.runAction(action, 'main', {
      target: 'gcp',
      'workload-identity-provider': WIP,
      'service-account': SA,
      'sts-endpoint': gcp.url,
      'iam-credentials-endpoint': gcp.url,
      'project-id': 'my-proj',
    });
    expect(main.stdout).not.toMatch(/::error/);
    expect(main.status).toBe(0);
    expect(main.env['GOOGLE_APPLICATION_CREDENTIALS']?.startsWith(job.temp)).toBe(true);
    const step = await job.runScript(
      `import { GoogleAuth } from ${JSON.stringify(moduleUrl('google-auth-library'))};
       const client = await new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }).getClient();
       const { token } = await client.getAccessToken();
       const who = await fetch(${JSON.stringify(gcp.url)} + '/tokeninfo?access_token=' + encodeURIComponent(token)).then((r) => r.json());
       console.log(JSON.stringify({ email: who.email ?? who.sub ?? null }));`,
    );
    expect(step.stderr).toBe('');
    expect(JSON.parse(step.stdout).email).toBe(SA);
    scan(main, [main.outputs['gcp-access-token'] ?? '']);
  });

  it('Entra: @azure/identity re-exchanges from the federated token file the action wrote', async () => {
    const ca = join(mkdtempSync(join(tmpdir(), 'entra-ca-')), 'ca.pem');
    writeFileSync(ca, entra.caPem ?? '');
    const job = new Job({ ...github.env(), NODE_EXTRA_CA_CERTS: ca });
    const main = await job.runAction(action, 'main', {
      target: 'azure',
      'client-id': CLIENT,
      'tenant-id': TENANT,
      'authority-host': entra.url,
    });
    expect(main.stdout).not.toMatch(/::error/);
    expect(main.status).toBe(0);
    const step = await job.runScript(
      `import { WorkloadIdentityCredential } from ${JSON.stringify(moduleUrl('@azure/identity'))};
       const t = await new WorkloadIdentityCredential({ disableInstanceDiscovery: true }).getToken('https://management.azure.com/.default');
       console.log(JSON.stringify({ ok: typeof t.token === 'string' && t.token.length > 20 }));`,
    );
    expect(step.stderr).toBe('');
    expect(JSON.parse(step.stdout)).toEqual({ ok: true });
    expect(entra.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token')).length).toBe(2);
    scan(main, [main.outputs['azure-access-token'] ?? '']);
  });

  it('AWS: the exchange and the SDK work against moto_server, an independent STS', async (ctx) => {
    const moto = await startMoto();
    if (typeof moto === 'string') ctx.skip(moto);
    if (typeof moto === 'string') return;
    try {
      const job = new Job(github.env());
      const main = await job.runAction(action, 'main', {
        target: 'aws',
        'role-arn': 'arn:aws:iam::123456789012:role/any',
        region: 'us-east-1',
        endpoint: moto.url,
      });
      expect(main.stdout).not.toMatch(/::error/);
      expect(main.status).toBe(0);
      const step = await job.runScript(
        `import { STSClient, GetCallerIdentityCommand } from ${JSON.stringify(moduleUrl('@aws-sdk/client-sts'))};
         const out = await new STSClient({}).send(new GetCallerIdentityCommand({}));
         console.log(JSON.stringify({ arn: out.Arn }));`,
        { AWS_ENDPOINT_URL_STS: moto.url },
      );
      expect(step.stderr).toBe('');
      expect(JSON.parse(step.stdout).arn).toMatch(/assumed-role\/any\//);
      scan(main, [main.env['AWS_SECRET_ACCESS_KEY'] ?? '', main.env['AWS_SESSION_TOKEN'] ?? '']);
    } finally {
      moto.child.kill('SIGTERM');
    }
  });
});
