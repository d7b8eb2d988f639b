/**
 * cli.test.ts: the bundled `federate` binary spawned as a process, the way wrappers and users run it:
 * on the file platform and on GitHub's, with hostile values, usage errors, `run` with redaction,
 * exit codes and signals, doctor and trust, cleanup, and a smoke run on Node 20.
 */
import { TARGET_LOADERS } from '@federate/targets/lazy';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Scenario, startScenario } from '@federate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsExchangeArgs, cliBundle, findNode } from '../support/bundles.js';
import { node24, parseFileCommands, runProcess } from '../support/github-runner.js';
import { trustRequest } from '../../packages/cli/src/commands/trust.js';
import { knownInputsFor, TRUST_INPUTS } from '../../packages/cli/src/known-inputs.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import { LeakScanner } from '../support/leak-scanner.js';

let world: Scenario;
let cli: string;
let dir: string;

beforeAll(async () => {
  cli = cliBundle();
  world = await startScenario();
  dir = mkdtempSync(join(tmpdir(), 'federate-cli-'));
});
afterAll(async () => {
  await world?.close();
});

const baseEnv = () => ({ PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', NO_COLOR: '1' });

async function federate(args: string[], env: Record<string, string> = {}, node = node24()) {
  return runProcess(node, [cli, ...args], { env: { ...baseEnv(), ...env }, cwd: dir });
}

async function tokenFile(
  audience: string,
  name = `token-${Math.random().toString(36).slice(2)}`,
): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, await world.github.mintFor(audience), { mode: 0o600 });
  return path;
}

function scanner(): LeakScanner {
  const s = new LeakScanner();
  for (const v of Object.values(world.vaultSecrets)) s.secret(v, 'vault secret');
  for (const session of world.aws.sessions) {
    s.secret(session.secretAccessKey, 'aws secret key');
    s.secret(session.sessionToken, 'aws session token');
  }
  for (const t of world.vault.allTokens()) s.secret(t.id, 'vault token');
  s.secret(world.github.requestToken, 'runner request token');
  return s;
}

const awsArgs = () => awsExchangeArgs(world);

/** jsonOnStdout: the file platform with `token`, exports printed as one JSON document (`--output-file -`). */
const jsonOnStdout = (token: string) => [
  '--platform',
  'file',
  '--token-file',
  token,
  '--format',
  'json',
  '--output-file',
  '-',
];

/** TRUST_AWS: `federate trust` for an AWS role trusting acme/app on main. */
const TRUST_AWS = [
  ...['trust', '--platform', 'github', '--target', 'aws', '--repository', 'acme/app', '--branch', 'main'],
  ...['--account-id', '123456789012', '--role-name', 'deploy'],
];

describe('federate CLI bundle', () => {
  it('prints its version and help for every command', async () => {
    expect((await federate(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const commands = [
      'exchange',
      'run',
      'doctor',
      'trust',
      'token',
      'cleanup',
      'credential-process',
      'renew',
    ];
    const top = await federate(['--help']);
    expect(top.stdout).toMatch(/Exit codes/);
    for (const cmd of commands) {
      expect(top.stdout, cmd).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
      const r = await federate([cmd, '--help']);
      expect(r.status, cmd).toBe(0);
      expect(r.stdout).toContain(`Usage: federate ${cmd}`);
    }
    // The usage line and the target options name every target there is.
    const exchange = (await federate(['exchange', '--help'])).stdout;
    const usage = exchange.split('\n')[0] ?? '';
    for (const target of Object.keys(TARGET_LOADERS)) {
      expect(usage, target).toMatch(new RegExp(`[<|]${target}[|>]`));
      expect(exchange, target).toMatch(new RegExp(`^  ${target}:`, 'm'));
    }
  });

  it('names an unknown flag and exits 2', async () => {
    const token = await tokenFile('sts.amazonaws.com');
    const r = await federate([
      'exchange',
      ...awsArgs(),
      '--platform',
      'file',
      '--token-file',
      token,
      '--rol-arn',
      'x',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown option --rol-arn for federate exchange (did you mean --role-arn?)');
    expect(r.stderr).toContain("Run 'federate exchange --help' for its options.");
    // Named before anything else happens: no platform is even detected here.
    const bare = await federate(['exchange', '--bogus-flag', 'x']);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('unknown option --bogus-flag');
    // A typo's value is never echoed (it could be a secret).
    const secret = await federate(['exchange', '--Client-Secret=s3cr3t-value-never-echoed']);
    expect(secret.status).toBe(2);
    expect(secret.stderr).not.toContain('s3cr3t');
    const cmd = await federate(['exchnage']);
    expect(cmd.status).toBe(2);
    expect(cmd.stderr).toContain('unknown command (did you mean exchange?)');
    expect(cmd.stderr).not.toContain('exchnage');
  });

  it('never echoes a stray word, an unknown command or a value-shaped option: they may be a split secret', async () => {
    const token = await tokenFile('sts.amazonaws.com');
    const secretTail = 'tail-of-a-secret-9f8e7d6c';
    // `--session-name deploy <secret tail>`: an unquoted space split a value; nothing is exchanged.
    const stray = await federate([
      'exchange',
      ...awsArgs(),
      ...jsonOnStdout(token),
      '--session-name',
      'deploy',
      secretTail,
    ]);
    expect(stray.status).toBe(2);
    expect(stray.stderr).toContain('federate exchange takes only options; got 1 other word (not shown');
    expect(stray.stderr).toContain("Run 'federate exchange --help' for its options.");
    expect(stray.stdout + stray.stderr).not.toContain(secretTail);
    expect(stray.stdout).not.toContain('AWS_ACCESS_KEY_ID');
    // The same word where a command belongs, and after `--` as if it were an option.
    const asCommand = await federate(['--platform', 'file', secretTail]);
    expect(asCommand.status).toBe(2);
    expect(asCommand.stderr).toContain('unknown command: the commands are exchange, run,');
    expect(asCommand.stderr).not.toContain(secretTail);
    const asOption = await federate(['exchange', `--${secretTail}/+x=`]);
    expect(asOption.status).toBe(2);
    expect(asOption.stderr).toContain('unknown option (not shown: it is not shaped like an option name)');
    expect(asOption.stderr).not.toContain(secretTail);
    // `federate run` without `--` is told where the command goes.
    const run = await federate(['run', '--target', 'aws', 'aws', 's3', 'ls']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('federate run takes the command to run after `--`');
  });

  it('refuses to print credentials unless --output-file says where (- for stdout), before any request', async () => {
    const token = await tokenFile('sts.amazonaws.com');
    const sessions = world.aws.sessions.length;
    const r = await federate(['exchange', ...awsArgs(), '--platform', 'file', '--token-file', token]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('ERR_CONFIG_REQUIRED');
    expect(r.stderr).toContain('output-file');
    expect(r.stderr).toContain('--output-file -');
    expect(world.aws.sessions.length).toBe(sessions);
  });

  it('exchanges on the file platform and prints JSON exports on stdout (--output-file -), the summary on stderr', async () => {
    const token = await tokenFile('sts.amazonaws.com');
    const r = await federate(['exchange', ...awsArgs(), ...jsonOnStdout(token)]);
    expect(r.stderr).not.toMatch(/ERR_/);
    expect(r.status).toBe(0);
    const exported = JSON.parse(r.stdout) as Record<string, string>;
    const session = world.aws.sessions.at(-1);
    expect(exported['AWS_ACCESS_KEY_ID']).toBe(session?.accessKeyId);
    expect(exported['AWS_SECRET_ACCESS_KEY']).toBe(session?.secretAccessKey);
    expect(r.stderr).toContain('federate-deploy');
    const s = scanner();
    s.secret(readFileSync(token, 'utf8'), 'platform token');
    s.scanText('stderr', r.stderr).assertClean();
  });

  it('shell format round-trips through bash, hostile Vault values included', async () => {
    const token = await tokenFile('vault');
    const out = join(dir, 'exports.sh');
    const r = await federate(
      [
        'exchange',
        '--target',
        'vault',
        '--url',
        world.vault.url,
        '--role',
        'ci',
        '--secrets',
        'secret/data/ci/app db_password | DB_PASSWORD',
        '--platform',
        'file',
        '--token-file',
        token,
        '--format',
        'shell',
        '--output-file',
        out,
      ],
      {},
    );
    expect(r.stderr).not.toMatch(/ERR_/);
    expect(r.status).toBe(0);
    const marker = join(dir, 'pwned');
    const sourced = await runProcess('bash', ['-c', `set -x; . "${out}"; printf '%s' "$DB_PASSWORD"`], {
      env: { ...baseEnv(), MARKER: marker },
    });
    expect(sourced.stdout).toBe(world.vaultSecrets['db_password']);
    expect(existsSync(marker)).toBe(false);
    scanner().scanText('stdout', r.stdout).scanText('stderr', r.stderr).assertClean();
  });

  it('exports through GITHUB_ENV on the GitHub platform', async () => {
    const files = {
      GITHUB_ENV: join(dir, 'env'),
      GITHUB_OUTPUT: join(dir, 'out'),
      GITHUB_STATE: join(dir, 'state'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const r = await federate(['exchange', ...awsArgs()], {
      ...world.github.env(),
      ...files,
      RUNNER_TEMP: dir,
    });
    expect(r.status).toBe(0);
    const env = parseFileCommands(readFileSync(files.GITHUB_ENV, 'utf8'));
    expect(env['AWS_ACCESS_KEY_ID']).toBe(world.aws.sessions.at(-1)?.accessKeyId);
    expect(r.stdout).toMatch(/^::add-mask::/m);
    scanner()
      .scanText(
        'stdout',
        r.stdout
          .split('\n')
          .filter((l) => !l.startsWith('::add-mask::'))
          .join('\n'),
      )
      .scanText('summary', readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'))
      .assertClean();
  });

  it('rejects hostile values as data: nothing executes, nothing is exported', async () => {
    const token = await tokenFile('sts.amazonaws.com');
    const marker = join(dir, 'marker');
    const out = join(dir, 'hostile.env');
    const r = await federate([
      'exchange',
      ...awsArgs(),
      '--session-name',
      `$(touch ${marker})\`touch ${marker}\``,
      '--platform',
      'file',
      '--token-file',
      token,
      '--format',
      'shell',
      '--output-file',
      out,
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/session-name/);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it('fails with the server code, a hint and the claims that matter when the trust policy says no', async () => {
    const token = await tokenFile('sts.amazonaws.com');
    const r = await federate([
      'exchange',
      '--target',
      'aws',
      '--role-arn',
      'arn:aws:iam::123456789012:role/other',
      '--region',
      'eu-west-1',
      '--endpoint',
      world.aws.url,
      '--platform',
      'file',
      '--token-file',
      token,
      '--output-file',
      '-',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ERR_EXCHANGE_REJECTED/);
    expect(r.stderr).toMatch(/hint:/);
    expect(r.stderr).toContain('sub: repo:acme/app:ref:refs/heads/main');
    expect(r.stderr).not.toContain(readFileSync(token, 'utf8'));
  });

  it('run: the command gets the credentials, its output is redacted, its exit code propagates', async () => {
    const token = await tokenFile('sts.amazonaws.com');
    const r = await federate([
      'run',
      ...awsArgs(),
      '--platform',
      'file',
      '--token-file',
      token,
      '--',
      process.execPath,
      '-e',
      'console.log("key=" + process.env.AWS_SECRET_ACCESS_KEY); console.error(Buffer.from(process.env.AWS_SESSION_TOKEN).toString("base64")); process.exit(7)',
    ]);
    expect(r.status).toBe(7);
    expect(r.stdout).toContain('key=***');
    scanner().scanText('stdout', r.stdout).scanText('stderr', r.stderr).assertClean();
  });

  it('run: a command killed by a signal gives 128+n', async () => {
    const token = await tokenFile('sts.amazonaws.com');
    const r = await federate([
      'run',
      ...awsArgs(),
      '--platform',
      'file',
      '--token-file',
      token,
      '--',
      process.execPath,
      '-e',
      'process.kill(process.pid, "SIGTERM")',
    ]);
    expect(r.status).toBe(143);
  });

  it('token: writes a fresh token without a trailing newline, or Google executable JSON', async () => {
    const source = await tokenFile('my-aud');
    const out = join(dir, 'fresh-token');
    const w = await federate([
      'token',
      '--audience',
      'my-aud',
      '--platform',
      'file',
      '--token-file',
      source,
      '--output-file',
      out,
    ]);
    expect(w.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(source, 'utf8').trim());
    const g = await federate([
      'token',
      '--audience',
      'my-aud',
      '--platform',
      'file',
      '--token-file',
      source,
      '--format',
      'google-executable',
    ]);
    expect(JSON.parse(g.stdout)).toMatchObject({
      version: 1,
      success: true,
      token_type: 'urn:ietf:params:oauth:token-type:id_token',
    });
  });

  it('doctor: verifies the token and explains an AWS trust policy verdict (exit 5 on deny)', async () => {
    const token = await tokenFile('sts.amazonaws.com');
    const policy = (sub: string) => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: {
            Federated: `arn:aws:iam::123456789012:oidc-provider/${new URL(world.github.issuer).host}`,
          },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: { [`${new URL(world.github.issuer).host}:aud`]: 'sts.amazonaws.com' },
            StringLike: { [`${new URL(world.github.issuer).host}:sub`]: sub },
          },
        },
      ],
    });
    const allow = join(dir, 'allow.json');
    const deny = join(dir, 'deny.json');
    writeFileSync(allow, JSON.stringify(policy('repo:acme/app:*')));
    writeFileSync(deny, JSON.stringify(policy('repo:acme/other:*')));
    const ok = await federate([
      'doctor',
      '--platform',
      'file',
      '--token-file',
      token,
      '--audience',
      'sts.amazonaws.com',
      '--trust-policy',
      allow,
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('repo:acme/app:ref:refs/heads/main');
    expect(ok.stdout).not.toContain(readFileSync(token, 'utf8'));
    const no = await federate([
      'doctor',
      '--platform',
      'file',
      '--token-file',
      token,
      '--audience',
      'sts.amazonaws.com',
      '--trust-policy',
      deny,
      '--json',
    ]);
    expect(no.status).toBe(5);
    expect(JSON.parse(no.stdout)).toBeTypeOf('object');
  });

  it('trust: prints a least-privilege AWS trust policy', async () => {
    const r = await federate(TRUST_AWS);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('repo:acme/app:ref:refs/heads/main');
    // A job's FEDERATE_* variables never change a generated policy: not even one that names an
    // option the command line left out (as a flag, --repository-id 999 does change it).
    const pinned = await federate([...TRUST_AWS, '--repository-id', '999']);
    expect(pinned.stdout).not.toBe(r.stdout);
    const again = await federate(TRUST_AWS, { FEDERATE_REPOSITORY_ID: '999', FEDERATE_TARGET: 'gcp' });
    expect(again.stdout).toBe(r.stdout);
  });

  it('doctor: shows the values of the claims trust policies test, personal ones only with --show-claims', async () => {
    const token = await tokenFile('sts.amazonaws.com');
    const claims = JSON.parse(
      Buffer.from(readFileSync(token, 'utf8').split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    const common = ['doctor', '--platform', 'file', '--token-file', token, '--no-verify'];
    const text = await federate(common);
    expect(text.status).toBe(0);
    for (const claim of ['ref', 'job_workflow_ref']) {
      expect(typeof claims[claim], claim).toBe('string');
      const row = text.stdout.split('\n').find((l) => new RegExp(`^\\s+PASS\\s+${claim}\\s`).test(l));
      expect(row, claim).toContain(JSON.stringify(claims[claim]));
      expect(row, claim).toContain(`assertion.${claim}`);
    }
    const json = await federate([...common, '--json']);
    const keys = JSON.parse(json.stdout).inspection.conditionKeys.aws.keys as Array<{
      claim: string;
      value?: unknown;
    }>;
    expect(keys.find((k) => k.claim === 'ref')?.value).toBe(claims['ref']);
    expect(keys.find((k) => k.claim === 'job_workflow_ref')?.value).toBe(claims['job_workflow_ref']);
    expect(typeof claims['actor']).toBe('string');
    expect(text.stdout).not.toContain(JSON.stringify(claims['actor']));
    const shown = await federate([...common, '--show-claims']);
    expect(shown.stdout).toContain(JSON.stringify(claims['actor']));
  });

  it('trust: --gcp-project-id is the GCP project; --project-id stays the CircleCI project', async () => {
    const circleProject = '66666666-7777-8888-9999-000000000000';
    const r = await federate([
      'trust',
      '--platform',
      'circleci',
      '--target',
      'gcp',
      '--org-id',
      '11111111-2222-3333-4444-555555555555',
      '--project-id',
      circleProject,
      '--project-number',
      '123456789012',
      '--gcp-project-id',
      'my-gcp-project',
      '--pool-id',
      'circleci',
      '--provider-id',
      'circleci',
      '--format',
      'cli',
    ]);
    expect(r.status).toBe(0);
    const projects = [...r.stdout.matchAll(/--project[= ]'?([^'\s]+)/g)].map((m) => m[1]);
    expect(projects.length).toBeGreaterThan(0);
    expect(new Set(projects)).toEqual(new Set(['my-gcp-project']));
    // The CircleCI project is what the provider's condition pins.
    expect(r.stdout).toContain(circleProject);
  });

  it('trust: an invalid value exits 2 with a config code naming the option and a hint', async () => {
    const cases: Array<[string, string[]]> = [
      [
        'pool-id',
        ['--platform', 'github', '--target', 'gcp', '--repository', 'acme/app', '--branch', 'main'].concat([
          '--project-number',
          '123',
          '--pool-id',
          'ab',
          '--provider-id',
          'github',
        ]),
      ],
      [
        'org-id',
        ['--platform', 'circleci', '--target', 'aws', '--org-id', 'not-a-uuid'].concat([
          '--project-id',
          '66666666-7777-8888-9999-000000000000',
          '--account-id',
          '123456789012',
          '--role-name',
          'deploy',
        ]),
      ],
      [
        'gcp-service-account',
        [
          '--platform',
          'cloudbuild',
          '--target',
          'gcp',
          '--service-account',
          'b@p.iam.gserviceaccount.com',
        ].concat(['--project-number', '123', '--pool-id', 'pool1', '--provider-id', 'prov1']),
      ],
    ];
    for (const [option, args] of cases) {
      const r = await federate(['trust', ...args]);
      expect(r.status, option).toBe(2);
      expect(r.stderr, option).toContain(`ERR_CONFIG_INVALID: ${option}:`);
      expect(r.stderr, option).toContain('ERR_TRUST_INVALID_SCOPE');
      expect(r.stderr, option).toContain(`(fix --${option};`);
      expect(r.stderr, option).not.toContain('unexpected');
    }
  });

  it('doctor, trust and token name an unknown option, guess the meant one and exit 2 before doing anything', async () => {
    const policy = join(dir, 'never-read.json');
    for (const [cmd, typo, meant] of [
      ['doctor', 'trust-polcy', 'trust-policy'],
      ['trust', 'gcp-projet-id', 'gcp-project-id'],
      ['token', 'audiense', 'audience'],
      ['cleanup', 'platfrom', 'platform'],
      ['renew', 'incremnt', 'increment'],
    ] as const) {
      const r = await federate([cmd, `--${typo}`, policy]);
      expect(r.status, cmd).toBe(2);
      expect(r.stderr, cmd).toContain(
        `unknown option --${typo} for federate ${cmd} (did you mean --${meant}?)`,
      );
      expect(r.stderr, cmd).toContain(`Run 'federate ${cmd} --help' for its options.`);
    }
  });

  it('trust: the accepted options are exactly what trust reads', () => {
    const read = new Set<string>();
    const watch = (o: Record<string, string>) =>
      new Proxy(o, {
        get: (t, k) => {
          if (typeof k === 'string') read.add(k);
          return Reflect.get(t, k);
        },
        has: (t, k) => {
          if (typeof k === 'string') read.add(k);
          return k in t;
        },
      });
    for (const platform of ['github', 'gitlab', 'circleci', 'cloudbuild'])
      for (const target of ['aws', 'gcp', 'azure', 'vault', 'octo-sts'])
        try {
          trustRequest(watch({ platform, target }));
        } catch {
          // missing required options: what was read is what matters
        }
    read.delete('platform');
    read.delete('format');
    expect([...read].sort()).toEqual([...TRUST_INPUTS].sort());
    for (const n of read) expect(knownInputsFor('trust')?.has(n), n).toBe(true);
  });

  it('cleanup: removes written files and revokes the recorded Vault token', async () => {
    const token = await tokenFile('vault');
    const privateDir = mkdtempSync(join(tmpdir(), 'federate-private-'));
    const common = ['--platform', 'file', '--token-file', token, '--private-dir', privateDir];
    const ex = await federate([
      'exchange',
      '--target',
      'vault',
      '--url',
      world.vault.url,
      '--role',
      'ci',
      ...common,
      '--format',
      'json',
      '--output-file',
      join(privateDir, 'exports.json'),
    ]);
    expect(ex.status).toBe(0);
    const live = world.vault.tokens().length;
    const c = await federate(['cleanup', ...common]);
    expect(c.stderr).toMatch(/revoked 1 of 1/);
    expect(c.status).toBe(0);
    expect(world.vault.tokens().length).toBe(live - 1);
  });

  it('runs on Node 20 too (smoke: version, help, a lazily loaded command, one exchange)', async (ctx) => {
    const node20 = findNode(20);
    if (!node20) ctx.skip('no Node 20 binary on this machine');
    expect((await federate(['--version'], {}, node20)).status).toBe(0);
    // dist/help.js, then dist/commands/trust.js with dist/lib/trust.js.
    expect((await federate(['--help'], {}, node20)).stdout).toContain('Usage: federate <command>');
    const trust = await federate(TRUST_AWS, {}, node20);
    expect(trust.stderr).not.toMatch(/ERR_/);
    expect(trust.status).toBe(0);
    expect(trust.stdout).toContain('repo:acme/app:ref:refs/heads/main');
    const token = await tokenFile('sts.amazonaws.com');
    const r = await federate(['exchange', ...awsArgs(), ...jsonOnStdout(token)], {}, node20);
    expect(r.stderr).not.toMatch(/ERR_/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)['AWS_ACCESS_KEY_ID']).toMatch(/^ASIA/);
  });
});

describe('federate CLI bundle: lazily loaded libraries', () => {
  it('reads an exchanges list (dist/lib/yaml.js) and goes through a proxy (dist/lib/undici.cjs)', async () => {
    const proxy = await startConnectProxy();
    try {
      const token = await tokenFile('sts.amazonaws.com');
      const list = `- target: aws\n  role-arn: ${world.roleArn}\n  region: eu-west-1\n  endpoint: ${world.aws.url}\n`;
      const r = await federate(['exchange', '--exchanges', list, ...jsonOnStdout(token)], {
        HTTPS_PROXY: proxy.url,
        HTTP_PROXY: proxy.url,
        NO_PROXY: '',
      });
      expect(r.stderr).not.toMatch(/ERR_/);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)['AWS_ACCESS_KEY_ID']).toMatch(/^ASIA/);
      expect(proxy.tunnels).toContain(new URL(world.aws.url).host);
    } finally {
      await proxy.close();
    }
  });
});
