/**
 * cloudbuild.test.ts: the Cloud Build step without Docker. The examples' federate steps are run
 * as the image would run them (ENTRYPOINT `node federate.mjs`, the step's args with substitutions
 * applied, the image's ENV), with FEDERATE_WORKSPACE standing in for /workspace and
 * GCE_METADATA_HOST pointing at the testkit metadata server; the following step is a separate
 * process that uses the files with a real client (the aws CLI, or the AWS SDK; node-vault).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliBundle } from '../support/bundles.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type GceMetadata, startGceMetadata } from '../../packages/testkit/src/index.js';
import { type AwsSts, startAwsSts } from '../../packages/testkit/src/servers/aws-sts.js';
import { type GcpEmulator, startGcp } from '../../packages/testkit/src/servers/gcp.js';
import { startVault, type VaultEmulator } from '../../packages/testkit/src/servers/vault.js';
import { LeakScanner } from '../support/leak-scanner.js';
import {
  baseEnv,
  CLI_BUNDLE,
  compileSchema,
  type GcpSeen,
  listFiles,
  modeOf,
  onPath,
  REPO,
  run,
  type Workspace,
  workspace,
  writeClients,
} from './wrapper-support.js';

const STEP_DIR = join(REPO, 'packages/cloudbuild-step');
const EXAMPLES = readdirSync(join(STEP_DIR, 'examples')).filter((f) => f.endsWith('.cloudbuild.yaml'));

interface Step {
  id?: string;
  name: string;
  args?: string[];
  env?: string[];
  entrypoint?: string;
}
interface BuildConfig {
  steps: Step[];
  substitutions?: Record<string, string>;
  serviceAccount?: string;
}

function stepById(config: BuildConfig, id: string): Step {
  const step = config.steps.find((s) => s.id === id);
  if (!step) throw new Error(`no step ${id}`);
  return step;
}

function example(file: string): BuildConfig {
  return parse(readFileSync(join(STEP_DIR, 'examples', file), 'utf8')) as BuildConfig;
}

/** substitute applies Cloud Build substitutions ($NAME and ${NAME}; `$$` is a literal `$`). */
function substitute(text: string, subs: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Z_][A-Z0-9_]*)\}|\$([A-Z_][A-Z0-9_]*)/g,
    (all, a?: string, b?: string) => {
      if (all === '$$') return '$';
      const name = (a ?? b) as string;
      const v = subs[name];
      if (v === undefined) throw new Error(`unknown substitution ${name}`);
      return v;
    },
  );
}

/** workspaceEnv maps a step's `env:` lines onto the test's stand-in for /workspace. */
function stepEnv(step: Step, subs: Record<string, string>, ws: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of step.env ?? []) {
    const at = line.indexOf('=');
    out[line.slice(0, at)] = substitute(line.slice(at + 1), subs).replaceAll('/workspace', ws);
  }
  return out;
}

/** dockerfileProblems is a small Dockerfile linter for the rules the step image must keep. */
function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const instr = lines.map((l) => ({
    op: (l.split(/\s+/)[0] ?? '').toUpperCase(),
    rest: l.slice(l.indexOf(' ') + 1).trim(),
  }));
  const from = instr.filter((i) => i.op === 'FROM');
  if (from.length !== 1) problems.push('exactly one FROM');
  for (const f of from) {
    if (!/^node:24\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/.test(f.rest))
      problems.push(`FROM not pinned: ${f.rest}`);
  }
  const users = instr.filter((i) => i.op === 'USER');
  const lastUser = users.at(-1)?.rest;
  if (!lastUser || lastUser === 'root' || lastUser === '0' || lastUser.startsWith('0:'))
    problems.push('must end as a non-root USER');
  const secretish =
    /(secret|token|password|passwd|credential|private[_-]?key|api[_-]?key|aws_access|\.pem\b|\.key\b|id_rsa)/i;
  for (const i of instr) {
    if (['ENV', 'ARG', 'COPY', 'ADD'].includes(i.op) && secretish.test(i.rest))
      problems.push(`${i.op} looks secret: ${i.rest}`);
    if (i.op === 'ADD' && /^https?:/.test(i.rest)) problems.push('ADD from a URL');
  }
  const entry = instr.filter((i) => i.op === 'ENTRYPOINT');
  if (entry.length !== 1) problems.push('exactly one ENTRYPOINT');
  else {
    try {
      const argv = JSON.parse(entry[0]?.rest ?? '') as unknown;
      if (!Array.isArray(argv) || argv[0] !== 'node')
        problems.push('ENTRYPOINT must be exec form running node');
    } catch {
      problems.push('ENTRYPOINT must be exec form (a JSON array)');
    }
  }
  if (!instr.some((i) => i.op === 'LABEL' && i.rest.includes('org.opencontainers.image.source')))
    problems.push('LABEL source');
  return problems;
}

/** imageEnv reads the Dockerfile's ENV lines (what every step of the image starts with). */
function imageEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.replace(/\\\n/g, ' ').matchAll(/^ENV\s+(.+)$/gm)) {
    for (const kv of (m[1] ?? '').trim().split(/\s+/)) {
      const at = kv.indexOf('=');
      if (at > 0) out[kv.slice(0, at)] = kv.slice(at + 1);
    }
  }
  return out;
}

describe('Cloud Build step', () => {
  const dockerfile = readFileSync(join(STEP_DIR, 'Dockerfile'), 'utf8');

  it('Dockerfile: pinned base, non-root, no secrets in layers, exec-form entrypoint', () => {
    expect(dockerfileProblems(dockerfile)).toEqual([]);
    expect(imageEnv(dockerfile)['FEDERATE_PLATFORM']).toBe('cloudbuild');
  });

  it('the Dockerfile checker catches what it must', () => {
    const bad = 'FROM node:24-slim\nENV AWS_SECRET_ACCESS_KEY=x\nENTRYPOINT node /opt/f.mjs\n';
    expect(dockerfileProblems(bad).length).toBeGreaterThanOrEqual(4);
  });

  it.each(EXAMPLES)(
    '%s validates against the Cloud Build schema subset and ends with a cleanup step',
    (file) => {
      const config = example(file);
      expect(compileSchema('cloudbuild.schema.json')(config)).toEqual([]);
      expect(
        config.serviceAccount,
        'a user-specified service account is required for ID tokens',
      ).toBeTruthy();
      const last = config.steps.at(-1);
      expect(last?.args).toEqual(['cleanup']);
      const federate = config.steps.filter((s) => s.name === last?.name);
      expect(federate[0]?.args?.[0]).toBe('exchange');
    },
  );

  it('the README documents the files later steps use', () => {
    const readme = readFileSync(join(STEP_DIR, 'README.md'), 'utf8');
    for (const text of [
      'AWS_SHARED_CREDENTIALS_FILE=/workspace/.federate/aws/credentials',
      '/workspace/.federate/env.sh',
      'ERR_PLATFORM_DEFAULT_SERVICE_ACCOUNT',
      'serviceAccount:',
    ])
      expect(readme).toContain(text);
  });

  describe('end to end', () => {
    // The CLI bundle is built on demand (with the shipped flags): these tests never skip for want of it.
    cliBundle();
    let md: GceMetadata;
    let defaultMd: GceMetadata;
    let sts: AwsSts;
    let vault: VaultEmulator;
    let gcp: GcpEmulator;
    const roleArn = 'arn:aws:iam::123456789012:role/cloudbuild-deploy';
    const gcpExample = example('gcp-impersonation.cloudbuild.yaml');
    const partnerProvider = gcpExample.substitutions?.['_PROVIDER'] as string;
    const partnerServiceAccount = gcpExample.substitutions?.['_SERVICE_ACCOUNT'] as string;
    const dbPassword = `pw-${randomBytes(12).toString('hex')}`;
    const env0 = imageEnv(dockerfile);

    beforeAll(async () => {
      md = await startGceMetadata({ serviceAccountEmail: 'deployer@my-project.iam.gserviceaccount.com' });
      defaultMd = await startGceMetadata({ defaultServiceAccount: true });
      const google = { issuer: 'https://accounts.google.com', jwksUri: md.jwksUri };
      sts = await startAwsSts({
        trusted: [google],
        roles: { [roleArn]: { audiences: ['sts.amazonaws.com'] } },
      });
      vault = await startVault({
        trusted: [google],
        mounts: {
          jwt: {
            roles: {
              'cloudbuild-migrate': {
                role_type: 'jwt',
                bound_audiences: ['vault'],
                user_claim: 'sub',
                bound_subject: md.serviceAccountId,
                token_policies: ['ci'],
              },
            },
          },
        },
        kv: { secret: { version: 2, data: { 'ci/db': { password: dbPassword } } } },
        policies: { ci: ['secret/data/ci/*'] },
      });
      // The partner's pool trusts accounts.google.com for this build's service account only.
      gcp = await startGcp({
        trusted: [google],
        providers: { [partnerProvider]: { attributeCondition: { sub: md.serviceAccountId } } },
        serviceAccounts: {
          [partnerServiceAccount]: {
            allowedPrincipals: [
              `principal://iam.googleapis.com/${partnerProvider.replace(/\/providers\/[^/]+$/, '')}/subject/${md.serviceAccountId}`,
            ],
          },
        },
        projects: { '987654321098': 'partner-project' },
      });
    });
    afterAll(async () => {
      await Promise.all([md?.close(), defaultMd?.close(), sts?.close(), vault?.close(), gcp?.close()]);
    });

    interface Build {
      ws: Workspace;
      workspaceDir: string;
      env: Record<string, string>;
      subs: Record<string, string>;
    }

    function newBuild(metadata: GceMetadata, extraSubs: Record<string, string>): Build {
      const ws = workspace('cb');
      const workspaceDir = ws.path('workspace');
      const env = {
        ...baseEnv(ws.path('home')),
        ...env0,
        ...metadata.env(),
        FEDERATE_WORKSPACE: workspaceDir,
        AWS_ENDPOINT_URL_STS: sts.url,
      };
      const subs = {
        PROJECT_ID: metadata.projectId,
        PROJECT_NUMBER: metadata.projectNumber,
        BUILD_ID: metadata.buildId,
        ...extraSubs,
      };
      return { ws, workspaceDir, env, subs };
    }

    /** runFederateStep runs one step of the federate image: ENTRYPOINT + args, in /workspace. */
    async function runFederateStep(b: Build, step: Step, scanner: LeakScanner) {
      const args = (step.args ?? []).map((a) => substitute(a, b.subs));
      mkdirSync(b.workspaceDir, { recursive: true });
      return run(process.execPath, [CLI_BUNDLE, ...args], {
        env: { ...b.env, ...stepEnv(step, b.subs, b.workspaceDir) },
        cwd: b.workspaceDir,
        scanner,
      });
    }

    function privateFiles(b: Build): string[] {
      return listFiles(join(b.workspaceDir, '.federate'));
    }

    it('aws example: exchange, then the aws CLI (or SDK) uses the shared credentials file; files are 0600', async () => {
      const scanner = new LeakScanner();
      const config = example('aws.cloudbuild.yaml');
      const b = newBuild(md, { ...config.substitutions, _ROLE_ARN: roleArn });
      try {
        const [exchange, use, cleanup] = [
          stepById(config, 'federate'),
          stepById(config, 'deploy'),
          stepById(config, 'federate-cleanup'),
        ];
        const before = sts.sessions.length;
        const res = await runFederateStep(b, exchange, scanner);
        expect(res.code, res.stderr).toBe(0);
        const session = sts.sessions[before];
        expect(session?.roleArn).toBe(roleArn);
        scanner.secret(session?.secretAccessKey ?? '', 'AWS secret key');
        scanner.secret(session?.sessionToken ?? '', 'AWS session token');

        const files = privateFiles(b);
        expect(files.map((f) => f.slice(b.workspaceDir.length))).toEqual(
          expect.arrayContaining(['/.federate/aws/credentials', '/.federate/env.sh']),
        );
        for (const f of files) expect(modeOf(f), f).toBe(0o600);
        expect(modeOf(join(b.workspaceDir, '.federate'))).toBe(0o700);

        // The next step is a different container: only the step's env lines and /workspace carry over.
        const useEnv = {
          ...baseEnv(b.ws.path('home2')),
          ...stepEnv(use, b.subs, b.workspaceDir),
          AWS_ENDPOINT_URL_STS: sts.url,
        };
        const aws = onPath('aws');
        const identity = aws
          ? await run(aws, [...(use.args ?? []), '--output', 'json'], {
              env: useEnv,
              cwd: b.workspaceDir,
              scanner,
            })
          : await run(process.execPath, [writeClients(b.ws.root).aws], {
              env: useEnv,
              cwd: b.workspaceDir,
              scanner,
            });
        expect(identity.code, identity.stderr).toBe(0);
        expect((JSON.parse(identity.stdout) as { Arn: string }).Arn).toBe(session?.assumedRoleArn);

        // A bash step that sources env.sh sees the same credentials.
        const clients = writeClients(b.ws.root);
        const sourced = await run(
          '/bin/bash',
          ['-c', '. "$1/.federate/env.sh" && node "$2"', 'bash', b.workspaceDir, clients.aws],
          {
            env: { ...baseEnv(b.ws.path('home3')), AWS_ENDPOINT_URL_STS: sts.url },
            cwd: b.workspaceDir,
            scanner,
          },
        );
        expect(sourced.code, sourced.stderr).toBe(0);
        expect((JSON.parse(sourced.stdout) as { Arn: string }).Arn).toBe(session?.assumedRoleArn);

        const done = await runFederateStep(b, cleanup, scanner);
        expect(done.code, done.stderr).toBe(0);
        expect(privateFiles(b)).toEqual([]);
        scanner.scanTree(b.ws.root, [join(b.workspaceDir, '.federate')]);
        scanner.assertClean();
      } finally {
        b.ws.dispose();
      }
    });

    it('vault example: exchange, a bash step sources env.sh and reads the secret, cleanup revokes', async () => {
      const scanner = new LeakScanner();
      scanner.secret(dbPassword, 'DB_PASSWORD');
      const config = example('vault.cloudbuild.yaml');
      const b = newBuild(md, { ...config.substitutions, _VAULT_ADDR: vault.url });
      try {
        const exchange = stepById(config, 'federate');
        const cleanup = stepById(config, 'federate-cleanup');
        const res = await runFederateStep(b, exchange, scanner);
        expect(res.code, res.stderr).toBe(0);
        const issued = vault.allTokens();
        expect(issued).toHaveLength(1);
        scanner.secret(issued[0]?.id ?? '', 'VAULT_TOKEN');
        for (const f of privateFiles(b)) expect(modeOf(f), f).toBe(0o600);

        const clients = writeClients(b.ws.root);
        const later = await run(
          '/bin/bash',
          ['-c', 'set +x; . "$1/.federate/env.sh" && node "$2"', 'bash', b.workspaceDir, clients.vault],
          {
            env: baseEnv(b.ws.path('home2')),
            cwd: b.workspaceDir,
            scanner,
          },
        );
        expect(later.code, later.stderr).toBe(0);
        const seen = JSON.parse(later.stdout) as { policies: string[]; dbPasswordSha: string };
        expect(seen.policies).toContain('ci');
        expect(seen.dbPasswordSha).toBe(createHash('sha256').update(dbPassword).digest('hex'));

        const done = await runFederateStep(b, cleanup, scanner);
        expect(done.code, done.stderr).toBe(0);
        expect(vault.allTokens()[0]?.revoked).toBe(true);
        scanner.scanTree(b.ws.root, [join(b.workspaceDir, '.federate')]);
        scanner.assertClean();
      } finally {
        b.ws.dispose();
      }
    });

    /** runGcpExchange runs the gcp-impersonation example's exchange step against the GCP emulator. */
    async function runGcpExchange(scanner: LeakScanner): Promise<Build> {
      const b = newBuild(md, { ...gcpExample.substitutions });
      // The example as written; only the Google endpoints are pointed at the emulator.
      b.env['FEDERATE_STS_ENDPOINT'] = gcp.url;
      b.env['FEDERATE_IAM_CREDENTIALS_ENDPOINT'] = gcp.url;
      const res = await runFederateStep(b, stepById(gcpExample, 'federate'), scanner);
      expect(res.code, res.stderr).toBe(0);
      const files = privateFiles(b).map((f) => f.slice(b.workspaceDir.length));
      expect(files).toEqual(
        expect.arrayContaining([
          '/.federate/gcp/credentials.json',
          '/.federate/gcp/subject-token',
          '/.federate/env.sh',
        ]),
      );
      for (const f of privateFiles(b)) expect(modeOf(f), f).toBe(0o600);
      scanner.secret(
        readFileSync(join(b.workspaceDir, '.federate/gcp/subject-token'), 'utf8'),
        'Google ID token',
      );
      const creds = JSON.parse(
        readFileSync(join(b.workspaceDir, '.federate/gcp/credentials.json'), 'utf8'),
      ) as {
        type: string;
        audience: string;
        token_url: string;
        service_account_impersonation_url: string;
      };
      expect(creds).toMatchObject({
        type: 'external_account',
        audience: `//iam.googleapis.com/${partnerProvider}`,
        token_url: gcp.tokenUrl,
      });
      expect(creds.service_account_impersonation_url).toBe(
        `${gcp.url}/v1/projects/-/serviceAccounts/${partnerServiceAccount}:generateAccessToken`,
      );
      return b;
    }

    /** finishGcp runs the cleanup step and scans the build; `ownState` are a client's own caches. */
    async function finishGcp(b: Build, scanner: LeakScanner, ownState: string[] = []): Promise<void> {
      const done = await runFederateStep(b, stepById(gcpExample, 'federate-cleanup'), scanner);
      expect(done.code, done.stderr).toBe(0);
      expect(privateFiles(b)).toEqual([]);
      scanner.scanTree(b.ws.root, [join(b.workspaceDir, '.federate'), ...ownState]);
      scanner.assertClean();
    }

    it('gcp-impersonation example: exchange, then the publish step uses the credentials file with google-auth-library', async () => {
      const scanner = new LeakScanner();
      const b = await runGcpExchange(scanner);
      try {
        const publish = stepById(gcpExample, 'publish');
        // A different container: only the step's env lines and /workspace carry over.
        const later = await run(process.execPath, [writeClients(b.ws.root).gcp], {
          env: {
            ...baseEnv(b.ws.path('home2')),
            ...stepEnv(publish, b.subs, b.workspaceDir),
            GOOGLE_CLOUD_PROJECT: 'partner-project',
            GCP_TOKENINFO_URL: `${gcp.url}/tokeninfo`,
          },
          cwd: b.workspaceDir,
          scanner,
        });
        expect(later.code, later.stderr).toBe(0);
        const seen = JSON.parse(later.stdout) as GcpSeen;
        expect(seen).toMatchObject({
          email: partnerServiceAccount,
          credentialType: 'IdentityPoolClient',
          project: 'partner-project',
        });
        await finishGcp(b, scanner);
      } finally {
        b.ws.dispose();
      }
    });

    it.skipIf(!onPath('gcloud'))(
      'gcp-impersonation example: gcloud auth print-access-token in the publish step gets an impersonated token',
      async () => {
        const scanner = new LeakScanner();
        const b = await runGcpExchange(scanner);
        try {
          const publish = stepById(gcpExample, 'publish');
          const config = b.ws.path('gcloud');
          mkdirSync(config);
          const gcloud = onPath('gcloud') as string;
          // gcloud prints the token on stdout by design: that stream is checked, then treated as a secret.
          const res = await run(gcloud, ['auth', 'print-access-token', '--verbosity=error'], {
            env: {
              ...baseEnv(config),
              PATH: process.env['PATH'] ?? '/usr/bin:/bin',
              ...stepEnv(publish, b.subs, b.workspaceDir),
              CLOUDSDK_CONFIG: config,
              CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
              CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
              CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
              CLOUDSDK_CORE_PROJECT: 'partner-project',
            },
            cwd: b.workspaceDir,
            timeoutMs: 120_000,
          });
          expect(res.code, res.stderr.slice(-600)).toBe(0);
          const token = scanner.secret(res.stdout.trim(), 'gcloud access token');
          scanner.scanText('stderr of gcloud', res.stderr);
          expect(gcp.lookup(token)).toMatchObject({ kind: 'service_account', email: partnerServiceAccount });
          // gcloud caches the token it printed in its own config directory (access_tokens.db, logs).
          await finishGcp(b, scanner, [config]);
        } finally {
          b.ws.dispose();
        }
      },
    );

    it('the default Cloud Build service account fails with ERR_PLATFORM_DEFAULT_SERVICE_ACCOUNT (exit 3)', async () => {
      const scanner = new LeakScanner();
      const config = example('aws.cloudbuild.yaml');
      const b = newBuild(defaultMd, { ...config.substitutions, _ROLE_ARN: roleArn });
      try {
        const exchange = stepById(config, 'federate');
        const res = await runFederateStep(b, exchange, scanner);
        expect(res.code).toBe(3);
        expect(res.stderr).toContain('ERR_PLATFORM_DEFAULT_SERVICE_ACCOUNT');
        expect(existsSync(join(b.workspaceDir, '.federate', 'env.sh'))).toBe(false);
        scanner.assertClean();
      } finally {
        b.ws.dispose();
      }
    });
  });
});
