/**
 * github-action.test.ts: the committed action bundle run the way the runner runs it, against the
 * testkit, with a later step using the credentials through real clients (the AWS SDK and node-vault),
 * the post step cleaning up, and the leak scanner watching everything a user could see.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Scenario, startScenario } from '@federate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job, maskedValues, repoRoot, withoutMaskCommands } from '../support/github-runner.js';
import { LeakScanner } from '../support/leak-scanner.js';

const action = join(repoRoot, 'actions', 'exchange');
let world: Scenario;

beforeAll(async () => {
  world = await startScenario();
});
afterAll(async () => {
  await world?.close();
});

/** scannerFor registers every secret the world can produce: tokens, issued keys, Vault values. */
function scannerFor(): LeakScanner {
  const s = new LeakScanner();
  s.secret(world.github.requestToken, 'runner request token');
  for (const v of Object.values(world.vaultSecrets)) s.secret(v, 'vault secret');
  for (const session of world.aws.sessions) {
    s.secret(session.secretAccessKey, 'aws secret key');
    s.secret(session.sessionToken, 'aws session token');
  }
  for (const t of world.vault.allTokens()) s.secret(t.id, 'vault token');
  return s;
}

function checkMaskedBeforeUse(stdout: string, secrets: string[]): void {
  const masks = maskedValues(stdout);
  for (const secret of secrets) {
    const mask = masks.find((m) => m.value === secret);
    expect(mask, 'every secret is registered with ::add-mask::').toBeDefined();
    // ...before it appears anywhere in the log (the runner masks only what follows the command).
    expect(stdout.slice(0, mask?.index ?? 0).includes(secret), 'masked before first use').toBe(false);
  }
}

describe('actions/exchange on a simulated runner', () => {
  it('exchanges at AWS and Vault in one step, exports, and a later step uses the credentials', async () => {
    const job = new Job(world.github.env());
    const main = await job.runAction(action, 'main', {
      exchanges: [
        '- target: aws',
        `  role-arn: ${world.roleArn}`,
        '  region: eu-west-1',
        `  endpoint: ${world.aws.url}`,
        '- target: vault',
        `  url: ${world.vault.url}`,
        '  role: ci',
        '  secrets: |',
        '    secret/data/ci/app db_password | DB_PASSWORD',
        '    secret/data/ci/app api_key | API_KEY',
      ].join('\n'),
    });
    expect(main.stderr + main.stdout).not.toMatch(/::error/);
    expect(main.status).toBe(0);
    expect(Object.keys(main.env).sort()).toEqual(
      [
        'API_KEY',
        'AWS_ACCESS_KEY_ID',
        'AWS_DEFAULT_REGION',
        'AWS_REGION',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'DB_PASSWORD',
        'VAULT_ADDR',
        'VAULT_TOKEN',
      ].sort(),
    );
    const session = world.aws.sessions.at(-1);
    expect(main.env['AWS_ACCESS_KEY_ID']).toBe(session?.accessKeyId);
    expect(main.env['DB_PASSWORD']).toBe(world.vaultSecrets['db_password']);
    // Every secret was masked, and nothing else a user can read carries one.
    checkMaskedBeforeUse(main.stdout, [
      session?.secretAccessKey ?? '',
      session?.sessionToken ?? '',
      main.env['VAULT_TOKEN'] ?? '',
      ...Object.values(world.vaultSecrets),
    ]);
    const scan = scannerFor();
    scan
      .scanText('main stdout', withoutMaskCommands(main.stdout))
      .scanText('main stderr', main.stderr)
      .scanText('step summary', main.summary);
    scan.assertClean();
    expect(main.summary).toContain('federate-deploy');

    // A later step: the AWS SDK v3 with the exported env (endpoint from the SDK's own variable).
    const sdk = await job.runScript(
      `import { STSClient, GetCallerIdentityCommand } from ${JSON.stringify(join(repoRoot, 'test/node_modules/@aws-sdk/client-sts/dist-cjs/index.js'))};
       const out = await new STSClient({}).send(new GetCallerIdentityCommand({}));
       console.log(JSON.stringify({ arn: out.Arn, account: out.Account }));`,
      { AWS_ENDPOINT_URL_STS: world.aws.url },
    );
    expect(sdk.stderr).toBe('');
    expect(JSON.parse(sdk.stdout)).toMatchObject({ account: '123456789012' });
    expect(JSON.parse(sdk.stdout).arn).toContain('assumed-role/federate-deploy/');

    // And node-vault with VAULT_ADDR / VAULT_TOKEN reads the secret again.
    const vault = await job.runScript(
      `import vaultFactory from ${JSON.stringify(join(repoRoot, 'test/node_modules/node-vault/src/index.js'))};
       const v = vaultFactory({ endpoint: process.env.VAULT_ADDR, token: process.env.VAULT_TOKEN });
       const r = await v.read('secret/data/ci/app');
       console.log(r.data.data.db_password === process.env.DB_PASSWORD ? 'same' : 'different');`,
    );
    expect(vault.stdout.trim()).toBe('same');

    // The post step removes the files and revokes the Vault token main recorded.
    const liveBefore = world.vault.tokens().length;
    const post = await job.runAction(action, 'post', {});
    expect(post.status).toBe(0);
    expect(world.vault.tokens().length).toBe(liveBefore - 1);
    expect(readdirSync(job.temp).filter((n) => n.startsWith('federate-'))).toEqual([]);
    scannerFor()
      .scanText('post stdout', withoutMaskCommands(post.stdout))
      .scanText('post stderr', post.stderr)
      .scanTree(job.workspace)
      .assertClean();
  });

  it('writes a private AWS profile pair and outputs, with ACTIONS_STEP_DEBUG on', async () => {
    const job = new Job({ ...world.github.env(), ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' });
    const main = await job.runAction(action, 'main', {
      target: 'aws',
      'role-arn': world.roleArn,
      region: 'us-east-2',
      endpoint: world.aws.url,
      profile: 'deploy',
    });
    expect(main.status).toBe(0);
    expect(main.stdout).toContain('::debug::');
    const credsFile = main.env['AWS_SHARED_CREDENTIALS_FILE'] ?? '';
    expect(credsFile.startsWith(job.temp)).toBe(true);
    expect(existsSync(credsFile)).toBe(true);
    expect(main.env['AWS_PROFILE']).toBe('deploy');
    expect(main.outputs['aws-account-id']).toBe('123456789012');
    const scan = scannerFor();
    scan
      .scanText('main stdout', withoutMaskCommands(main.stdout))
      .scanText('summary', main.summary)
      .scanTree(job.workspace)
      .scanTree(job.temp, [
        join(job.temp, readdirSync(job.temp).find((n) => n.startsWith('federate-')) ?? 'none'),
      ]);
    scan.assertClean();
    const post = await job.runAction(action, 'post', {});
    expect(post.status).toBe(0);
    expect(existsSync(credsFile)).toBe(false);
  });

  it('fails once, with the server code and a hint, and exports nothing, when the trust policy rejects', async () => {
    const job = new Job(world.github.env());
    const main = await job.runAction(action, 'main', {
      target: 'aws',
      'role-arn': 'arn:aws:iam::123456789012:role/not-trusted',
      region: 'eu-west-1',
      endpoint: world.aws.url,
    });
    expect(main.status).toBe(1);
    expect(main.env).toEqual({});
    expect(main.outputs).toEqual({});
    const errors = main.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/ERR_EXCHANGE_REJECTED/);
    expect(errors[0]).toMatch(/hint/);
    scannerFor().scanText('stdout', withoutMaskCommands(main.stdout)).assertClean();
  });

  it('reports every invalid input at once before any request', async () => {
    const job = new Job(world.github.env());
    const before = world.aws.count();
    const main = await job.runAction(action, 'main', {
      target: 'aws',
      'role-arn': 'not-an-arn',
      duration: 'forever',
      'dry-run': 'maybe',
    });
    expect(main.status).toBe(1);
    expect(main.stdout).toMatch(/role-arn/);
    expect(main.stdout).toMatch(/duration/);
    expect(main.stdout).toMatch(/dry-run/);
    expect(world.aws.count()).toBe(before);
  });

  it('tells the user to grant id-token: write when the runner gives no token endpoint', async () => {
    const env = world.github.env();
    delete env['ACTIONS_ID_TOKEN_REQUEST_URL'];
    delete env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
    const job = new Job(env);
    const main = await job.runAction(action, 'main', {
      target: 'aws',
      'role-arn': world.roleArn,
      region: 'eu-west-1',
      endpoint: world.aws.url,
    });
    expect(main.status).toBe(1);
    expect(main.stdout).toMatch(/ERR_PLATFORM_TOKEN_PERMISSION/);
    expect(main.stdout).toMatch(/id-token: write/);
  });

  it('dry run shows the identity and exports nothing', async () => {
    const job = new Job(world.github.env());
    const main = await job.runAction(action, 'main', {
      target: 'aws',
      'role-arn': world.roleArn,
      region: 'eu-west-1',
      endpoint: world.aws.url,
      'dry-run': 'true',
    });
    expect(main.status).toBe(0);
    expect(main.env).toEqual({});
    expect(main.summary).toMatch(/dry run/);
    expect(main.summary).toContain('repo:acme/app');
    // The doctor report: verified like the server will, condition keys spelled for each cloud.
    expect(main.stdout).toMatch(/Verification: PASS/);
    expect(main.stdout).toMatch(/signature/);
    expect(main.summary).toMatch(/:sub/);
  });
});
