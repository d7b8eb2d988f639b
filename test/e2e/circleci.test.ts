/**
 * circleci.test.ts: the orb, run the way CircleCI runs it. The orb is packed with its own
 * pack.mjs and validated against the CircleCI schema subset; each command's `run` step gets the
 * environment CircleCI would build from its `environment:` map (parameters substituted, booleans
 * as 1/0), a fresh $BASH_ENV, the testkit issuer's job variables and its `circleci` shim first on
 * PATH, and runs under `bash -eo pipefail`; a later step sources $BASH_ENV and uses the credentials
 * with the real AWS SDK or node-vault against the testkit emulators.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cliBundle } from '../support/bundles.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CircleCIIssuer, startCircleCIIssuer } from '../../packages/testkit/src/index.js';
import { type AwsSts, startAwsSts } from '../../packages/testkit/src/servers/aws-sts.js';
import { type GcpEmulator, startGcp } from '../../packages/testkit/src/servers/gcp.js';
import { type OAuthServer, startOAuthServer } from '../../packages/testkit/src/servers/oauth.js';
import { startVault, type VaultEmulator } from '../../packages/testkit/src/servers/vault.js';
import { LeakScanner } from '../support/leak-scanner.js';
import {
  baseEnv,
  CLI_BUNDLE,
  compileSchema,
  type GcpSeen,
  hostile,
  hostileMultiline,
  ORB_DIR,
  type OrbCommand as CommandDef,
  type OrbRunStep as RunStep,
  onPath,
  orbRunSteps as runSteps,
  orbStepEnvironment as stepEnvironment,
  type PackedOrb,
  PARAM_REF,
  packOrb,
  REPO,
  run,
  type RunResult,
  type Workspace,
  WHOLE_PARAM_REF,
  workspace,
  writeClients,
} from './wrapper-support.js';

const SCRIPTS = join(ORB_DIR, 'src/scripts');

/** exchangeStepOf finds the `federate/exchange` step's parameters in an orb example's usage. */
function exchangeStepOf(usage: unknown): Record<string, string | boolean> {
  const jobs = (usage as { jobs: Record<string, { steps: unknown[] }> }).jobs;
  for (const job of Object.values(jobs)) {
    for (const step of job.steps) {
      if (step && typeof step === 'object' && 'federate/exchange' in step)
        return (step as Record<string, Record<string, string | boolean>>)['federate/exchange'] ?? {};
    }
  }
  throw new Error('the example has no federate/exchange step');
}

interface Job {
  ws: Workspace;
  env: Record<string, string>;
  bashEnv: string;
  project: string;
  privateDir: string;
  clients: ReturnType<typeof writeClients>;
}

describe('CircleCI orb', () => {
  let packed: { orb: PackedOrb; yaml: string };
  beforeAll(async () => {
    packed = await packOrb();
  });

  it('packs into an orb that validates against the CircleCI schema subset', () => {
    const errors = compileSchema('circleci-orb.schema.json')(packed.orb);
    expect(errors).toEqual([]);
    expect(Object.keys(packed.orb.commands).sort()).toEqual(['cleanup', 'doctor', 'exchange']);
    expect(Object.keys(packed.orb.examples).length).toBeGreaterThanOrEqual(3);
    // The packed text must read back to the same object (what `circleci orb publish` uploads).
    expect(packed.yaml).toContain('version: 2.1');
  });

  it('follows the orb conventions orb-tools/review checks, and never splices a parameter into a command', () => {
    for (const [name, cmd] of Object.entries(packed.orb.commands)) {
      expect(cmd.description, `${name} description`).toBeTruthy();
      for (const [p, def] of Object.entries(cmd.parameters ?? {})) {
        expect(p, 'snake_case parameter').toMatch(/^[a-z][a-z0-9_]*$/);
        expect(def.description, `${name}.${p} description`).toBeTruthy();
        expect(def.default, `${name}.${p} default`).not.toBeUndefined();
        if (def.type === 'enum') expect(def.enum).toContain(def.default);
      }
      for (const step of runSteps(cmd)) {
        expect(step.name, `${name}: every run has a name`).toBeTruthy();
        expect(step.command, `${name}: no parameter in command text`).not.toMatch(/<<|>>/);
        for (const [k, v] of Object.entries(step.environment ?? {})) {
          expect(k).toMatch(/^FEDERATE_[A-Z0-9_]+$/);
          // Either a fixed literal or exactly one whole parameter: nothing is assembled from parts.
          if (typeof v === 'string' && v.includes('<<')) expect(v).toMatch(WHOLE_PARAM_REF);
        }
        const used = [...JSON.stringify(step).matchAll(PARAM_REF)].map((m) => m[1]);
        for (const u of used) expect(Object.keys(cmd.parameters ?? {})).toContain(u);
      }
    }
    const executor = packed.orb.executors['default'];
    expect(executor?.docker[0]?.image).toBe('cimg/node:<< parameters.tag >>');
    expect(String(executor?.parameters?.['tag']?.default)).toMatch(/^24\.\d+\.\d+$/);
    for (const [name, ex] of Object.entries(packed.orb.examples)) {
      expect(JSON.stringify(ex.usage), `example ${name} uses the orb`).toContain('federate/federate@0.1');
    }
  });

  it('runs every command through the one run-cli.sh, naming its subcommand, pinned to the CLI release', () => {
    const script = readFileSync(join(SCRIPTS, 'run-cli.sh'), 'utf8');
    for (const command of ['exchange', 'doctor', 'cleanup']) {
      const doc = parse(readFileSync(join(ORB_DIR, 'src/commands', `${command}.yml`), 'utf8')) as {
        steps: Array<{ run: { command: string; environment: Record<string, string> } }>;
      };
      const run = doc.steps.map((st) => st.run).find((r) => r?.command?.includes('<<include('));
      expect(run?.command, command).toBe('<<include(scripts/run-cli.sh)>>');
      expect(run?.environment['FEDERATE_ORB_COMMAND'], command).toBe(command);
      expect(script).toContain(`  ${command})`);
    }
    const cliVersion = (
      JSON.parse(readFileSync(join(REPO, 'packages/cli/package.json'), 'utf8')) as { version: string }
    ).version;
    expect(script).toContain(`federate_cli_version="${cliVersion}"`);
  });

  it('passes shellcheck', async (ctx) => {
    const shellcheck = onPath('shellcheck');
    if (!shellcheck) {
      ctx.skip('shellcheck is not installed (apt-get install shellcheck); skipped');
      return;
    }
    const files = readdirSync(SCRIPTS).filter((f) => f.endsWith('.sh'));
    const res = await run(
      shellcheck,
      ['--shell=bash', '--severity=style', ...files.map((f) => join(SCRIPTS, f))],
      {
        env: { PATH: process.env['PATH'] ?? '' },
      },
    );
    expect(res.stdout + res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('fails with exit 2 and names the fix when Node.js is missing', async () => {
    const ws = workspace('orb-nonode');
    try {
      const step = runSteps(packed.orb.commands['exchange'] as CommandDef)[0] as RunStep;
      const script = ws.path('step.sh');
      writeFileSync(script, step.command);
      const env = {
        ...stepEnvironment(step, packed.orb.commands['exchange']?.parameters ?? {}, { target: 'aws' }),
        // An empty PATH directory: the script needs only bash builtins to report the problem.
        PATH: ws.path('empty-bin'),
        HOME: ws.root,
        BASH_ENV: ws.path('bash_env'),
        CIRCLECI: 'true',
      };
      mkdirSync(ws.path('empty-bin'));
      const res = await run('/bin/bash', ['-eo', 'pipefail', script], { env });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/executor: federate\/default/);
    } finally {
      ws.dispose();
    }
  });

  describe('end to end', () => {
    // The CLI bundle is built on demand (with the shipped flags): these tests never skip for want of it.
    cliBundle();
    let cc: CircleCIIssuer;
    let sts: AwsSts;
    let vault: VaultEmulator;
    let gcp: GcpEmulator;
    let oauth: OAuthServer;
    const roleArn = 'arn:aws:iam::123456789012:role/circleci-deploy';
    const oauthClientSecret = `cs-$HOME-${randomBytes(12).toString('hex')}`;
    const hostileRoleArn = 'arn:aws:iam::123456789012:role/circleci-hostile';
    let marker: string;
    let markerWs: Workspace | undefined;
    let hostileAudience: string;
    const dbPassword = `pw-${randomBytes(12).toString('hex')}`;

    beforeAll(async () => {
      markerWs = workspace('orb-marker');
      marker = markerWs.path('pwned');
      hostileAudience = hostile(marker);
      cc = await startCircleCIIssuer();
      sts = await startAwsSts({
        trusted: [{ issuer: cc.issuer }],
        roles: {
          [roleArn]: { audiences: [cc.orgId] },
          [hostileRoleArn]: { audiences: [hostileAudience] },
        },
      });
      vault = await startVault({
        trusted: [{ issuer: cc.issuer }],
        mounts: {
          jwt: {
            roles: {
              'circleci-ci': {
                role_type: 'jwt',
                bound_audiences: ['vault'],
                user_claim: 'sub',
                bound_claims: { 'oidc.circleci.com/project-id': cc.projectId },
                token_policies: ['ci'],
              },
            },
          },
        },
        kv: { secret: { version: 2, data: { 'ci/db': { password: dbPassword } } } },
        policies: { ci: ['secret/data/ci/*'] },
      });
      const gcpExample = exchangeStepOf(packed.orb.examples['gcp']?.usage);
      gcp = await startGcp({
        trusted: [{ issuer: cc.issuer }],
        providers: { [String(gcpExample['workload_identity_provider'])]: {} },
        serviceAccounts: { [String(gcpExample['service_account'])]: {} },
      });
      oauth = await startOAuthServer({
        trusted: [{ issuer: cc.issuer }],
        clients: { 'circleci-ci': oauthClientSecret },
        acceptAudience: [cc.orgId],
      });
    });
    afterAll(async () => {
      await Promise.all([cc?.close(), sts?.close(), vault?.close(), gcp?.close(), oauth?.close()]);
      markerWs?.dispose();
    });

    async function newJob(scanner: LeakScanner): Promise<Job> {
      const ws = workspace('orb-job');
      const shimDir = ws.path('shim');
      await cc.writeCircleciShim(shimDir);
      const project = ws.path('project');
      const tmp = ws.path('tmp');
      mkdirSync(project, { recursive: true });
      mkdirSync(tmp, { recursive: true });
      const bashEnv = ws.path('bash_env'); // CircleCI's $BASH_ENV lives outside the project too
      writeFileSync(bashEnv, '');
      const jobEnv = await cc.jobEnv();
      scanner.secret(jobEnv['CIRCLE_OIDC_TOKEN'] ?? '', 'CIRCLE_OIDC_TOKEN');
      scanner.secret(jobEnv['CIRCLE_OIDC_TOKEN_V2'] ?? '', 'CIRCLE_OIDC_TOKEN_V2');
      const jobId = randomUUID();
      const base = baseEnv(ws.root);
      const env = {
        ...base,
        ...jobEnv,
        CIRCLECI: 'true',
        CIRCLE_WORKFLOW_JOB_ID: jobId,
        PATH: `${shimDir}:${base['PATH']}`,
        BASH_ENV: bashEnv,
        TMPDIR: tmp,
        FEDERATE_CLI: CLI_BUNDLE,
        AWS_ENDPOINT_URL_STS: sts.url,
      };
      return {
        ws,
        env,
        bashEnv,
        project,
        privateDir: join(tmp, `federate-${jobId}`),
        clients: writeClients(ws.root),
      };
    }

    async function runCommand(
      job: Job,
      command: string,
      given: Record<string, string | boolean | number>,
      scanner: LeakScanner,
      opts: { xtrace?: boolean } = {},
    ): Promise<RunResult> {
      const cmd = packed.orb.commands[command] as CommandDef;
      let last: RunResult = { code: 0, stdout: '', stderr: '' };
      for (const step of runSteps(cmd)) {
        const script = join(job.ws.root, `step-${command}.sh`);
        writeFileSync(script, step.command);
        const env = { ...job.env, ...stepEnvironment(step, cmd.parameters ?? {}, given) };
        const shell = opts.xtrace ? ['-x', '-eo', 'pipefail', script] : ['-eo', 'pipefail', script];
        last = await run('/bin/bash', shell, { env, cwd: job.project, scanner });
        if (last.code !== 0) return last;
      }
      return last;
    }

    function laterStep(job: Job, program: string, scanner: LeakScanner): Promise<RunResult> {
      return run('/bin/bash', ['-c', 'source "$BASH_ENV"; node "$0"', program], {
        env: job.env,
        cwd: job.project,
        scanner,
      });
    }

    function scanJob(job: Job, scanner: LeakScanner): void {
      // Everything a user could see or archive: the job's tree minus $BASH_ENV and the private dir.
      scanner.scanTree(job.ws.root, [job.bashEnv, job.privateDir]);
      scanner.assertClean();
    }

    it('exchanges for AWS with CIRCLE_OIDC_TOKEN_V2 and a later step calls STS with the SDK', async () => {
      const scanner = new LeakScanner();
      const job = await newJob(scanner);
      try {
        const before = sts.sessions.length;
        // CircleCI's AWS guide uses the organization ID as the audience: the job's own V2 token fits.
        const res = await runCommand(
          job,
          'exchange',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` for `circleci env subst`.
          { target: 'aws', audience: '${CIRCLE_ORGANIZATION_ID}', role_arn: roleArn, region: 'us-east-1' },
          scanner,
        );
        expect(res.code, res.stderr).toBe(0);
        const session = sts.sessions[before];
        expect(session?.roleArn).toBe(roleArn);
        const v2 = job.env['CIRCLE_OIDC_TOKEN_V2'] ?? '';
        const v2Claims = JSON.parse(Buffer.from(v2.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
          jti: string;
        };
        expect(session?.claims?.['jti']).toBe(v2Claims.jti);
        scanner.secret(session?.secretAccessKey ?? '', 'AWS secret key');
        scanner.secret(session?.sessionToken ?? '', 'AWS session token');

        const later = await laterStep(job, job.clients.aws, scanner);
        expect(later.code, later.stderr).toBe(0);
        expect(JSON.parse(later.stdout)).toMatchObject({
          Account: '123456789012',
          Arn: session?.assumedRoleArn,
        });

        const cleanup = await runCommand(job, 'cleanup', {}, scanner);
        expect(cleanup.code, cleanup.stderr).toBe(0);
        scanJob(job, scanner);
      } finally {
        job.ws.dispose();
      }
    });

    it('mints a custom-audience token with `circleci run oidc get` from a hostile audience, under set -x, without running it', async () => {
      const scanner = new LeakScanner();
      const job = await newJob(scanner);
      try {
        const before = sts.sessions.length;
        const res = await runCommand(
          job,
          'exchange',
          {
            target: 'aws',
            role_arn: hostileRoleArn,
            audience: hostileAudience,
            region: 'us-east-1',
            check_identity: true,
          },
          scanner,
          { xtrace: true },
        );
        expect(res.code, res.stderr).toBe(0);
        expect(existsSync(marker)).toBe(false);
        const session = sts.sessions[before];
        expect(session?.roleArn).toBe(hostileRoleArn);
        expect(session?.claims?.['aud']).toBe(hostileAudience);
        scanner.secret(session?.secretAccessKey ?? '', 'AWS secret key');
        scanner.secret(session?.sessionToken ?? '', 'AWS session token');
        const later = await laterStep(job, job.clients.aws, scanner);
        expect(later.code, later.stderr).toBe(0);
        expect(JSON.parse(later.stdout)).toMatchObject({ Arn: session?.assumedRoleArn });
        expect(existsSync(marker)).toBe(false);
        scanJob(job, scanner);
      } finally {
        job.ws.dispose();
      }
    });

    it('refuses hostile values in validated parameters with exit 2 and runs none of them', async () => {
      const scanner = new LeakScanner();
      const job = await newJob(scanner);
      try {
        for (const bad of [hostile(marker), hostileMultiline(marker)]) {
          const res = await runCommand(
            job,
            'exchange',
            { target: 'aws', role_arn: bad, session_name: bad },
            scanner,
          );
          expect(res.code).toBe(2);
          expect(existsSync(marker)).toBe(false);
        }
        expect(readFileSync(job.bashEnv, 'utf8')).toBe('');
        scanJob(job, scanner);
      } finally {
        job.ws.dispose();
      }
    });

    it('logs in to Vault, exports a secret, and cleanup revokes the Vault token', async () => {
      const scanner = new LeakScanner();
      scanner.secret(dbPassword, 'DB_PASSWORD');
      const job = await newJob(scanner);
      try {
        job.env['VAULT_ADDR_FOR_TEST'] = vault.url;
        const res = await runCommand(
          job,
          'exchange',
          {
            target: 'vault',
            audience: 'vault',
            // `${VAR}` is substituted by `circleci env subst`, as in CircleCI's own orbs.
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` for `circleci env subst`.
            vault_url: '${VAULT_ADDR_FOR_TEST}',
            vault_role: 'circleci-ci',
            secrets: 'secret/data/ci/db password | DB_PASSWORD',
          },
          scanner,
        );
        expect(res.code, res.stderr).toBe(0);
        const live = vault.tokens();
        expect(live).toHaveLength(1);
        const token = live[0];
        scanner.secret(token?.id ?? '', 'VAULT_TOKEN');

        const later = await laterStep(job, job.clients.vault, scanner);
        expect(later.code, later.stderr).toBe(0);
        const seen = JSON.parse(later.stdout) as { policies: string[]; dbPasswordSha: string };
        expect(seen.policies).toContain('ci');
        expect(seen.dbPasswordSha).toBe(createHash('sha256').update(dbPassword).digest('hex'));

        const cleanup = await runCommand(job, 'cleanup', {}, scanner);
        expect(cleanup.code, cleanup.stderr).toBe(0);
        expect(vault.allTokens().find((t) => t.id === token?.id)?.revoked).toBe(true);
        scanJob(job, scanner);
      } finally {
        job.ws.dispose();
      }
    });

    it('gcp example: impersonates through the GCP emulator and a later step uses GOOGLE_APPLICATION_CREDENTIALS with google-auth-library', async () => {
      const scanner = new LeakScanner();
      const job = await newJob(scanner);
      try {
        const params = exchangeStepOf(packed.orb.examples['gcp']?.usage);
        const res = await runCommand(
          job,
          'exchange',
          // The example as written, plus the endpoint overrides that point it at the emulator.
          { ...params, sts_endpoint: gcp.url, iam_credentials_endpoint: gcp.url },
          scanner,
        );
        expect(res.code, res.stderr).toBe(0);
        const subject = readFileSync(join(job.privateDir, 'gcp', 'subject-token'), 'utf8');
        scanner.secret(subject, 'CircleCI OIDC token (custom audience)');

        job.env['GCP_TOKENINFO_URL'] = `${gcp.url}/tokeninfo`;
        const later = await laterStep(job, job.clients.gcp, scanner);
        expect(later.code, later.stderr).toBe(0);
        const seen = JSON.parse(later.stdout) as GcpSeen;
        expect(seen.email).toBe(params['service_account']);
        expect(seen.credentialType).toBe('IdentityPoolClient');
        expect(seen.project).toBe(String(params['service_account']).split('@')[1]?.split('.')[0]);
        // token_format access_token impersonated once in the step, the library once more.
        expect(gcp.count('/v1/projects/-/serviceAccounts')).toBe(2);

        const cleanup = await runCommand(job, 'cleanup', {}, scanner);
        expect(cleanup.code, cleanup.stderr).toBe(0);
        expect(existsSync(join(job.privateDir, 'gcp', 'credentials.json'))).toBe(false);
        scanJob(job, scanner);
      } finally {
        job.ws.dispose();
      }
    });

    it('oauth: client_secret_env names the secret variable; under set -x it reaches the server intact and is never printed', async () => {
      const scanner = new LeakScanner();
      scanner.secret(oauthClientSecret, 'oauth client secret');
      const job = await newJob(scanner);
      try {
        // A project variable, as CircleCI injects it; its `$HOME` must not be substituted.
        job.env['OAUTH_CLIENT_SECRET'] = oauthClientSecret;
        const before = oauth.issued.length;
        const res = await runCommand(
          job,
          'exchange',
          {
            target: 'oauth',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` for `circleci env subst`.
            audience: '${CIRCLE_ORGANIZATION_ID}',
            token_url: oauth.tokenUrl,
            client_id: 'circleci-ci',
            client_secret_env: 'OAUTH_CLIENT_SECRET',
          },
          scanner,
          { xtrace: true },
        );
        expect(res.code, res.stderr).toBe(0);
        const issued = oauth.issued[before];
        expect(issued?.clientId).toBe('circleci-ci');
        scanner.secret(issued?.accessToken ?? '', 'oauth access token');
        expect(readFileSync(job.bashEnv, 'utf8')).not.toContain('FEDERATE_CLIENT_SECRET');

        const program = job.ws.path('oauth-client.mjs');
        writeFileSync(
          program,
          "import { createHash } from 'node:crypto';\nprocess.stdout.write(createHash('sha256').update(process.env.FEDERATE_OAUTH_TOKEN ?? '').digest('hex'));\n",
        );
        const later = await laterStep(job, program, scanner);
        expect(later.code, later.stderr).toBe(0);
        expect(later.stdout).toBe(
          createHash('sha256')
            .update(issued?.accessToken ?? '-')
            .digest('hex'),
        );
        scanJob(job, scanner);
      } finally {
        job.ws.dispose();
      }
    });

    it('dry_run prints the doctor report (Verification) and exchanges and exports nothing', async () => {
      const scanner = new LeakScanner();
      const job = await newJob(scanner);
      try {
        const before = sts.sessions.length;
        const res = await runCommand(
          job,
          'exchange',
          {
            target: 'aws',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` for `circleci env subst`.
            audience: '${CIRCLE_ORGANIZATION_ID}',
            role_arn: roleArn,
            region: 'us-east-1',
            dry_run: true,
          },
          scanner,
        );
        expect(res.code, res.stderr).toBe(0);
        expect(res.stderr).toContain('Verification:');
        expect(res.stderr).toContain(cc.projectId);
        expect(sts.sessions.length).toBe(before);
        expect(readFileSync(job.bashEnv, 'utf8')).toBe('');
        scanJob(job, scanner);
      } finally {
        job.ws.dispose();
      }
    });

    it('runs doctor on the job token without printing it', async () => {
      const scanner = new LeakScanner();
      const job = await newJob(scanner);
      try {
        const res = await runCommand(
          job,
          'doctor',
          { expect: `oidc.circleci.com/project-id=${cc.projectId}` },
          scanner,
        );
        expect(res.code, res.stderr).toBe(0);
        expect(res.stdout + res.stderr).toContain(cc.projectId);
        scanJob(job, scanner);
      } finally {
        job.ws.dispose();
      }
    });
  });
});
