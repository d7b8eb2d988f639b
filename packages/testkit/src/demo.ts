/**
 * demo.ts: `npm run demo`. Starts the offline world (a GitHub Actions runner's token endpoint, AWS
 * STS and Vault that trust it), then runs Federate exactly as a user's workflow would: doctor, the
 * action's main step, a later step using the credentials with real clients, the post step, and a
 * rejected exchange to show the diagnostics. Nothing leaves this machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job, runProcess, withoutMaskCommands } from './runner/github-runner.js';
import { startScenario } from './scenario.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'packages', 'cli', 'dist', 'federate.mjs');
const action = join(root, 'actions', 'exchange');
const color = process.stdout.isTTY && !process.env['NO_COLOR'];
const bold = (s: string) => (color ? `\u001b[1m${s}\u001b[0m` : s);
const dim = (s: string) => (color ? `\u001b[2m${s}\u001b[0m` : s);
const indent = (s: string) =>
  s
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');

function heading(n: number, text: string): void {
  console.log(`\n${bold(`${n}. ${text}`)}`);
}

function hasCommand(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  for (const file of [cli, join(action, 'dist', 'main.js')]) {
    if (!existsSync(file)) {
      console.error(`missing ${file}: run the demo with \`npm run demo\` (it builds first)`);
      return 2;
    }
  }
  const world = await startScenario();
  try {
    console.log(
      bold('Federate demo: a GitHub Actions job trades its OIDC token for AWS and Vault credentials'),
    );
    console.log(
      dim(
        `  runner token endpoint ${world.github.url}, AWS STS ${world.aws.url}, Vault ${world.vault.url} (all loopback)`,
      ),
    );
    console.log(
      dim(
        `  AWS trusts ${world.roleArn} to repo:acme/app on main; Vault role "ci" binds repository=acme/app`,
      ),
    );

    const job = new Job(world.github.env());

    heading(1, 'federate doctor: what the token says, checked like the server will check it');
    const doctor = await runProcess(
      process.execPath,
      [cli, 'doctor', '--platform', 'github', '--audience', 'sts.amazonaws.com'],
      {
        env: { ...process.env, ...world.github.env(), NO_COLOR: color ? '' : '1' },
      },
    );
    console.log(indent(doctor.stdout || doctor.stderr));

    heading(2, 'uses: federate/actions/exchange (AWS and Vault in one step)');
    const main = await job.runAction(action, 'main', {
      exchanges: [
        '- target: aws',
        `  role-arn: ${world.roleArn}`,
        '  region: eu-west-1',
        `  endpoint: ${world.aws.url}`,
        '- target: vault',
        `  url: ${world.vault.url}`,
        '  role: ci',
        '  secrets: secret/data/ci/app db_password | DB_PASSWORD',
      ].join('\n'),
    });
    const masks = main.stdout.split('\n').filter((l) => l.startsWith('::add-mask::')).length;
    console.log(
      dim(
        `    (the step registered ${masks} values with ::add-mask:: before writing anything; the runner hides them)`,
      ),
    );
    console.log(indent(withoutMaskCommands(main.stdout)));
    console.log(`    exported to later steps: ${Object.keys(main.env).sort().join(', ')}`);
    if (main.status !== 0) {
      console.error(main.stderr);
      return 1;
    }
    console.log(dim('    step summary:'));
    console.log(indent(main.summary));

    heading(3, 'a later step uses the credentials with real clients');
    if (hasCommand('aws')) {
      const who = await runProcess(
        'aws',
        ['sts', 'get-caller-identity', '--output', 'text', '--query', 'Arn'],
        {
          env: {
            ...process.env,
            ...job.env,
            AWS_ENDPOINT_URL_STS: world.aws.url,
            AWS_CONFIG_FILE: '/dev/null',
            AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          },
        },
      );
      if (who.status !== 0) {
        console.error(`    aws sts get-caller-identity failed: ${who.stderr.trim()}`);
        return 1;
      }
      console.log(`    $ aws sts get-caller-identity  →  ${who.stdout.trim()}`);
    } else {
      console.log(
        dim(
          '    (the aws CLI is not installed here, so the AWS call is skipped; test/e2e proves these credentials with the AWS SDK)',
        ),
      );
    }
    const lookup = await fetch(`${job.env['VAULT_ADDR']}/v1/auth/token/lookup-self`, {
      headers: { 'X-Vault-Token': job.env['VAULT_TOKEN'] ?? '' },
    });
    const info = (await lookup.json()) as { data?: { policies?: string[]; ttl?: number } };
    console.log(
      `    $ vault token lookup  →  policies ${info.data?.policies?.join(',')}, ttl ${info.data?.ttl}s`,
    );
    console.log(
      `    DB_PASSWORD is set (${(job.env['DB_PASSWORD'] ?? '').length} characters; its value is masked in logs)`,
    );

    heading(4, 'post step: files removed, the Vault token revoked');
    const liveBefore = world.vault.tokens().length;
    const post = await job.runAction(action, 'post', {});
    console.log(indent(withoutMaskCommands(post.stdout)));
    console.log(
      `    live Vault tokens: ${liveBefore} → ${world.vault.tokens().length}; files left in RUNNER_TEMP: ${readdirSync(job.temp).length}`,
    );

    heading(5, 'when a trust policy says no, Federate says why');
    const rejected = await new Job(world.github.env()).runAction(action, 'main', {
      target: 'aws',
      'role-arn': 'arn:aws:iam::123456789012:role/production-admin',
      region: 'eu-west-1',
      endpoint: world.aws.url,
    });
    const error = rejected.stdout.split('\n').find((l) => l.startsWith('::error'));
    console.log(
      indent((error ?? rejected.stdout).replace(/^::error title=Federate::/, '').replace(/%0A/g, '\n')),
    );
    console.log(
      `\n${bold('Done.')} Nothing was exported by the rejected step (exit ${rejected.status}); every value above came from loopback emulators.`,
    );
    return 0;
  } finally {
    await world.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
