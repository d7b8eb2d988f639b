/**
 * injection.test.ts: hostile values everywhere a value enters Federate. Every input of every target
 * (through the GitHub Action bundle, run like the runner runs it), and server response fields whose
 * values carry newlines, heredoc-looking delimiters, workflow commands, `$()`, backticks and 64 KiB
 * (a Vault KV secret and a bare OAuth token server), through the action and through the CLI bundle on
 * CircleCI, GitLab and the file platform. Nothing may run (a marker file would appear), no variable
 * may be smuggled into GITHUB_ENV / BASH_ENV / env.sh, no workflow command may reach the log, and an
 * exported value reads back byte for byte, or the run fails cleanly with ERR_PLATFORM_EXPORT.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputReader } from '@federate/core';
import { TARGETS } from '@federate/targets';
import {
  type GitHubIssuer,
  startAwsSts,
  startEntra,
  startGcp,
  startGitHubIssuer,
  startOctoSts,
  startVault,
  type VaultEmulator,
} from '@federate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  Job,
  parseFileCommands,
  repoRoot,
  runProcess,
  type StepResult,
  withoutMaskCommands,
} from '../support/github-runner.js';
import { LeakScanner } from '../support/leak-scanner.js';

const ACTION = join(repoRoot, 'actions', 'exchange');
const CLI = join(repoRoot, 'packages', 'cli', 'dist', 'federate.mjs');
const SUB = 'repo:acme/app:ref:refs/heads/main';
const ROLE = 'arn:aws:iam::123456789012:role/ci';
const WIP = 'projects/123456789/locations/global/workloadIdentityPools/ci-pool/providers/ci-oidc';
const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const ALLOWED_COMMANDS = ['::add-mask::', '::debug::', '::warning', '::error', '::notice'];

const scratch = mkdtempSync(join(tmpdir(), 'federate-injection-'));
const MARKER = join(scratch, 'pwned');

/** hostileInput is one value that tries every trick a runner or shell might fall for. */
const hostileInput = `x\nEVIL=1\n::set-env name=EVIL::1\n::error::injected\nEVIL<<EOF\nsmuggled\nEOF\n$(touch ${MARKER}) \`touch ${MARKER}\` "dq" 'sq'; touch ${MARKER} #`;

/** HOSTILE_SECRETS are the values the servers answer with (env name → value). */
const HOSTILE_SECRETS: Record<string, string> = {
  NEWLINE_VALUE: 'first\nEVIL=1',
  HEREDOC_VALUE: 'a\nEVIL<<EOF\nsmuggled\nEOF\nghadelimiter_00000000-0000-0000-0000-000000000000\nEVIL=2',
  COMMAND_VALUE: '::set-env name=EVIL::1\n::add-mask::x\n::stop-commands::abc\n::error::injected',
  SUBST_VALUE: `$(touch ${MARKER})`,
  BACKTICK_VALUE: `\`touch ${MARKER}\``,
  QUOTE_VALUE: `'"; touch ${MARKER}; echo '"\\`,
};
/** HOSTILE_TOKEN is the access token the hostile token endpoint issues. */
const HOSTILE_TOKEN = `${HOSTILE_SECRETS['HEREDOC_VALUE'] ?? ''}${HOSTILE_SECRETS['COMMAND_VALUE'] ?? ''}`;
/** LONG_VALUE is 64 KiB of secret with a smuggling attempt at the end; it has its own cases. */
const LONG_VALUE = `${'L'.repeat(64 * 1024)}\nEVIL=3`;

let gh: GitHubIssuer;
let vault: VaultEmulator;
let hostileOAuth: Server;
let hostileOAuthUrl: string;
const closers: Array<() => Promise<void>> = [];
/** BASE maps each target to valid inputs pointing at its emulator. */
const BASE: Record<string, Record<string, string>> = {};

function secretsInput(): string {
  return Object.keys(HOSTILE_SECRETS)
    .map((env) => `secret/data/ci/hostile ${env.toLowerCase()} | ${env}`)
    .join('\n');
}

beforeAll(async () => {
  gh = await startGitHubIssuer({
    claims: { repository: 'acme/app', repository_owner: 'acme', ref: 'refs/heads/main', sub: SUB },
  });
  closers.push(() => gh.close());
  const trusted = [{ issuer: gh.issuer, jwksUri: gh.jwksUri }];
  const aws = await startAwsSts({ trusted, roles: { [ROLE]: { conditions: { sub: 'repo:acme/app:*' } } } });
  closers.push(() => aws.close());
  const gcp = await startGcp({ trusted, providers: { [WIP]: {} } });
  closers.push(() => gcp.close());
  const entra = await startEntra({
    https: false,
    trusted,
    tenants: {
      [TENANT]: {
        apps: {
          [CLIENT]: {
            federatedCredentials: [
              { issuer: gh.issuer, subject: SUB, audiences: ['api://AzureADTokenExchange'] },
            ],
          },
        },
      },
    },
  });
  closers.push(() => entra.close());
  vault = await startVault({
    trusted,
    mounts: {
      jwt: {
        roles: {
          ci: { bound_audiences: ['vault'], user_claim: 'sub', token_policies: ['ci-read'], token_ttl: 600 },
        },
      },
    },
    kv: {
      secret: {
        version: 2,
        data: {
          'ci/hostile': Object.fromEntries(
            Object.entries(HOSTILE_SECRETS).map(([k, v]) => [k.toLowerCase(), v]),
          ),
          'ci/cr': { value: 'ends with a carriage return\r' },
          'ci/long': { value: LONG_VALUE },
        },
      },
    },
    policies: { 'ci-read': ['secret/data/ci/*'] },
  });
  closers.push(() => vault.close());
  const octo = await startOctoSts({
    trusted,
    domain: 'octo.test',
    policies: {
      'acme/app': { deploy: { issuer: gh.issuer, subject: SUB, permissions: { contents: 'read' } } },
    },
  });
  closers.push(() => octo.close());

  // A token endpoint whose every answer field is hostile (the access token is what gets exported).
  hostileOAuth = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        access_token: HOSTILE_TOKEN,
        token_type: 'Bearer',
        expires_in: 600,
        issued_token_type: `urn:x\n::set-env name=EVIL::1\n$(touch ${MARKER})`,
        scope: `read\nEVIL=1 \`touch ${MARKER}\``,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => hostileOAuth.listen(0, '127.0.0.1', resolve));
  const port = (hostileOAuth.address() as { port: number }).port;
  hostileOAuthUrl = `http://127.0.0.1:${port}/token`;
  closers.push(() => new Promise((resolve) => hostileOAuth.close(() => resolve())));

  BASE['aws'] = { target: 'aws', 'role-arn': ROLE, region: 'eu-west-1', endpoint: aws.url };
  // The action declares no endpoint inputs for GCP; the exchange fails fast offline, which is enough here.
  BASE['gcp'] = { target: 'gcp', 'workload-identity-provider': WIP };
  BASE['azure'] = { target: 'azure', 'client-id': CLIENT, 'tenant-id': TENANT, 'authority-host': entra.url };
  BASE['vault'] = { target: 'vault', url: vault.url, role: 'ci' };
  BASE['oauth'] = {
    target: 'oauth',
    'token-url': hostileOAuthUrl,
    audience: hostileOAuthUrl,
    'env-name': 'OAUTH_TOKEN',
  };
  BASE['octo-sts'] = {
    target: 'octo-sts',
    scope: 'acme/app',
    identity: 'deploy',
    domain: 'octo.test',
    url: octo.url,
    'github-api-url': octo.githubApiUrl,
  };
});

afterAll(async () => {
  await Promise.allSettled(closers.map((c) => c()));
  rmSync(scratch, { recursive: true, force: true });
});

/** scanner registers every secret the world holds: tokens, the runner's request token, hostile values. */
function scanner(extra: readonly string[] = [], serverSecrets = true): LeakScanner {
  const s = new LeakScanner();
  s.secret(gh.requestToken, 'runner request token');
  // The hostile inputs share text with the hostile server values; inputs are not secret, so those runs skip them.
  if (serverSecrets) {
    for (const v of Object.values(HOSTILE_SECRETS)) s.secret(v, 'server secret');
    s.secret(LONG_VALUE, 'server secret');
  }
  for (const t of vault.allTokens()) s.secret(t.id, 'vault token');
  for (const v of extra) s.secret(v, 'secret');
  return s;
}

/** checkLog asserts that no line a runner reads as a workflow command is one we did not mean to emit. */
function checkLog(stdout: string, where = 'stdout'): void {
  const lines = stdout.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trimStart().startsWith('::')) return;
    const context = lines
      .slice(Math.max(0, i - 2), i + 1)
      .map((l) => l.slice(0, 100))
      .join(' ⏎ ');
    expect(
      ALLOWED_COMMANDS.some((c) => line.startsWith(c)),
      `${where}: unexpected workflow command in: ${context}`,
    ).toBe(true);
  });
  expect(stdout).not.toMatch(/^::(set-env|set-output|stop-commands|add-path|save-state)/m);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkStep(step: StepResult, expectedEnv: readonly string[] | undefined, where = 'stdout'): void {
  expect(existsSync(MARKER), `${where}: a hostile value was executed`).toBe(false);
  checkLog(step.stdout, where);
  for (const name of [...Object.keys(step.env), ...Object.keys(step.outputs)]) {
    expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_-]*$/);
    expect(name).not.toMatch(/EVIL/);
  }
  if (step.status === 0) {
    if (expectedEnv) expect(Object.keys(step.env).sort()).toEqual([...expectedEnv].sort());
  } else {
    expect(step.env).toEqual({});
    const errors = step.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(
      errors,
      `${where}: exit ${step.status}, stdout ${step.stdout.slice(-300)} stderr ${step.stderr.slice(-300)}`,
    ).toHaveLength(1);
    expect(errors[0]).toMatch(/ERR_[A-Z_]+/);
  }
}

/** manifestInputs lists the action's inputs. */
function manifestInputs(): string[] {
  const manifest = parseYaml(readFileSync(join(ACTION, 'action.yml'), 'utf8')) as {
    inputs: Record<string, unknown>;
  };
  return Object.keys(manifest.inputs);
}

/** inputsOf lists the inputs a target reads (every action input offered, minus the ones left unread). */
function inputsOf(name: string): string[] {
  const all = manifestInputs();
  const reader = new InputReader(Object.fromEntries(all.map((n) => [n, 'x'])));
  (TARGETS[name] as { parse(r: InputReader, env: Record<string, string>): unknown }).parse(reader, {});
  const unread = new Set(reader.unread());
  return all.filter((n) => !unread.has(n));
}

async function inBatches<T>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

const COMMON = ['audience', 'id', 'exchanges', 'export-env', 'outputs', 'cleanup', 'dry-run', 'timeout'];

describe('the GitHub Action with hostile inputs', () => {
  it.each(['aws', 'gcp', 'azure', 'vault', 'oauth', 'octo-sts'])(
    '%s: a hostile value in each input runs nothing, smuggles nothing and injects no command',
    async (name) => {
      const inputs = [...new Set([...inputsOf(name), ...(name === 'aws' ? COMMON : [])])].filter(
        (n) => n !== 'target',
      );
      expect(inputs.length).toBeGreaterThan(2);
      await inBatches(inputs, 3, async (input) => {
        const job = new Job(gh.env());
        const step = await job.runAction(ACTION, 'main', {
          ...BASE[name],
          timeout: '2s',
          [input]: hostileInput,
        });
        checkStep(step, undefined, `input ${input}`);
        scanner([], false)
          .scanText(`stdout (${input})`, withoutMaskCommands(step.stdout))
          .scanText('stderr', step.stderr)
          .assertClean();
      });
    },
    60_000,
  );

  it('every input hostile at once: one clean configuration error, nothing exported', async () => {
    const all = Object.fromEntries(manifestInputs().map((n) => [n, hostileInput]));
    const job = new Job(gh.env());
    const step = await job.runAction(ACTION, 'main', all);
    expect(step.status).toBe(1);
    checkStep(step, undefined);
    expect(step.stdout).toMatch(/ERR_CONFIG_/);
  });
});

describe('the GitHub Action with hostile server answers', () => {
  it('Vault secrets with hostile values are exported byte for byte and smuggle nothing', async () => {
    const job = new Job(gh.env());
    const step = await job.runAction(ACTION, 'main', { ...BASE['vault'], secrets: secretsInput() });
    expect(step.status, step.stdout).toBe(0);
    checkStep(step, ['VAULT_ADDR', 'VAULT_TOKEN', ...Object.keys(HOSTILE_SECRETS)]);
    for (const [env, value] of Object.entries(HOSTILE_SECRETS)) expect(step.env[env], env).toBe(value);
    scanner()
      .scanText('stdout', withoutMaskCommands(step.stdout))
      .scanText('summary', step.summary)
      .assertClean();
    // A later step sees exactly these values in its environment.
    const later = await job.runScript(
      `const names = ${JSON.stringify(Object.keys(HOSTILE_SECRETS))};
       process.stdout.write(JSON.stringify({ values: names.map((n) => process.env[n]), evil: Object.keys(process.env).filter((k) => k.includes('EVIL')) }));`,
    );
    const seen = JSON.parse(later.stdout) as { values: string[]; evil: string[] };
    expect(seen.values).toEqual(Object.values(HOSTILE_SECRETS));
    expect(seen.evil).toEqual([]);
    expect(existsSync(MARKER)).toBe(false);
    const post = await job.runAction(ACTION, 'post', {});
    expect(post.status).toBe(0);
  });

  it('a value the runner cannot carry fails cleanly with ERR_PLATFORM_EXPORT, or reads back exactly', async () => {
    const job = new Job(gh.env());
    const step = await job.runAction(ACTION, 'main', {
      ...BASE['vault'],
      secrets: 'secret/data/ci/cr value | CR_VALUE',
    });
    checkStep(step, ['VAULT_ADDR', 'VAULT_TOKEN', 'CR_VALUE']);
    if (step.status === 0) expect(step.env['CR_VALUE']).toBe('ends with a carriage return\r');
    else expect(step.stdout).toMatch(/ERR_PLATFORM_EXPORT/);
  });

  it('a 64 KiB secret value is exported byte for byte (or refused with ERR_PLATFORM_EXPORT)', async () => {
    const job = new Job(gh.env());
    const step = await job.runAction(ACTION, 'main', {
      ...BASE['vault'],
      secrets: 'secret/data/ci/long value | LONG_VALUE',
    });
    checkStep(step, ['VAULT_ADDR', 'VAULT_TOKEN', 'LONG_VALUE']);
    expect(step.status, `exit ${step.status}: ${step.stderr.slice(0, 300)}`).toBe(0);
    expect(step.env['LONG_VALUE']).toBe(LONG_VALUE);
    scanner()
      .scanText('stdout', withoutMaskCommands(step.stdout))
      .scanText('summary', step.summary)
      .assertClean();
  });

  it('a token endpoint answering hostile fields: the token round-trips, nothing else leaks into the env', async () => {
    const job = new Job(gh.env());
    const step = await job.runAction(ACTION, 'main', BASE['oauth'] ?? {});
    const token = HOSTILE_TOKEN;
    checkStep(step, ['OAUTH_TOKEN']);
    expect(step.status, step.stdout).toBe(0);
    expect(step.env['OAUTH_TOKEN']).toBe(token);
    // The hostile issued_token_type repeats text that other cases use as secrets (a `$(touch …)`
    // line); here it is a non-secret field, shown one-line in a note. Only this run's token counts.
    scanner([token], false)
      .scanText('stdout', withoutMaskCommands(step.stdout))
      .scanText('summary', step.summary)
      .assertClean();
  });
});

/** sourced sources `file` in a clean bash and returns the variables it exported (name → value). */
function sourced(file: string): Promise<Record<string, string>> {
  const script = 'before=$(env -0 | base64 -w0); . "$1"; env -0';
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['--noprofile', '--norc', '-c', script, 'bash', file],
      {
        env: { PATH: '/usr/bin:/bin', HOME: scratch, LC_ALL: 'C.UTF-8' },
        encoding: 'buffer',
        maxBuffer: 64 << 20,
        cwd: scratch,
      },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`bash failed: ${stderr.toString()}`));
        const out: Record<string, string> = {};
        for (const entry of stdout.toString('utf8').split('\0')) {
          const eq = entry.indexOf('=');
          if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
        }
        resolve(out);
      },
    );
  });
}

async function exportedBy(file: string): Promise<Record<string, string>> {
  const empty = join(scratch, `empty-${Math.random()}.sh`);
  writeFileSync(empty, '');
  const baseline = await sourced(empty);
  const after = await sourced(file);
  return Object.fromEntries(Object.entries(after).filter(([k, v]) => baseline[k] !== v));
}

interface CliCase {
  platform: 'circleci' | 'gitlab' | 'file';
  env(dir: string, token: string): Record<string, string>;
  args(dir: string): string[];
  /** exports is the file later commands source. */
  exports(dir: string): string;
}

const CLI_CASES: CliCase[] = [
  {
    platform: 'circleci',
    env: (dir, token) => ({
      CIRCLECI: 'true',
      CIRCLE_OIDC_TOKEN_V2: token,
      BASH_ENV: join(dir, 'bash-env'),
      TMPDIR: dir,
    }),
    args: () => [],
    exports: (dir) => join(dir, 'bash-env'),
  },
  {
    platform: 'gitlab',
    env: (_dir, token) => ({ GITLAB_CI: 'true', FEDERATE_ID_TOKEN: token, CI_JOB_ID: '7' }),
    args: (dir) => ['--private-dir', join(dir, 'private')],
    exports: (dir) => join(dir, 'private', 'env.sh'),
  },
  {
    platform: 'file',
    env: (_dir, token) => ({ FEDERATE_ID_TOKEN: token }),
    args: (dir) => [
      '--format',
      'shell',
      '--output-file',
      join(dir, 'exports.sh'),
      '--private-dir',
      join(dir, 'private'),
    ],
    exports: (dir) => join(dir, 'exports.sh'),
  },
];

describe.each(CLI_CASES)('the CLI on $platform with hostile server answers', (c) => {
  it('Vault secrets: sourcing the exports yields exactly the expected variables, byte for byte', async () => {
    const dir = mkdtempSync(join(scratch, `${c.platform}-`));
    mkdirSync(join(dir, 'home'));
    const token = await gh.mintFor('vault');
    const args = [
      'exchange',
      '--platform',
      c.platform,
      '--target',
      'vault',
      '--url',
      vault.url,
      '--role',
      'ci',
      '--secrets',
      secretsInput(),
      ...c.args(dir),
    ];
    const env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: join(dir, 'home'),
      ...c.env(dir, token),
    };
    const r = await runProcess(process.execPath, [CLI, ...args], { env, cwd: dir, timeoutMs: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(MARKER)).toBe(false);
    checkLog(r.stdout);
    const exported = await exportedBy(c.exports(dir));
    expect(existsSync(MARKER), 'sourcing the exports ran a command').toBe(false);
    const names = Object.keys(exported).sort();
    expect(names).toEqual(expect.arrayContaining(Object.keys(HOSTILE_SECRETS)));
    expect(names.filter((n) => n.includes('EVIL'))).toEqual([]);
    for (const n of names) expect(n).toMatch(ENV_NAME);
    expect(names.filter((n) => !n.startsWith('VAULT_') && !(n in HOSTILE_SECRETS))).toEqual([]);
    for (const [name, value] of Object.entries(HOSTILE_SECRETS)) expect(exported[name], name).toBe(value);
    const scan = scanner([token]);
    scan.scanArgv('federate', args).scanText('stdout', r.stdout).scanText('stderr', r.stderr).assertClean();
  });
});

describe('the CLI with a 64 KiB secret', () => {
  it('exports it byte for byte on the file platform and exits cleanly', async () => {
    const dir = mkdtempSync(join(scratch, 'file-long-'));
    const token = await gh.mintFor('vault');
    const out = join(dir, 'exports.sh');
    const args = [
      'exchange',
      '--platform',
      'file',
      '--format',
      'shell',
      '--output-file',
      out,
      '--private-dir',
      join(dir, 'p'),
      '--target',
      'vault',
      '--url',
      vault.url,
      '--role',
      'ci',
      '--secrets',
      'secret/data/ci/long value | LONG_VALUE',
    ];
    const r = await runProcess(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, FEDERATE_ID_TOKEN: token },
      cwd: dir,
    });
    expect(r.status, r.stderr.slice(0, 300)).toBe(0);
    expect((await exportedBy(out))['LONG_VALUE']).toBe(LONG_VALUE);
    scanner([token]).scanText('stdout', r.stdout).scanText('stderr', r.stderr).assertClean();
  });
});

describe('the CLI file platform in the runner format', () => {
  it('GITHUB_ENV-style output parses to exactly the expected names', async () => {
    const dir = mkdtempSync(join(scratch, 'file-github-'));
    const token = await gh.mintFor('vault');
    const out = join(dir, 'github-env');
    const args = [
      'exchange',
      '--platform',
      'file',
      '--format',
      'github',
      '--output-file',
      out,
      '--private-dir',
      join(dir, 'p'),
      '--target',
      'vault',
      '--url',
      vault.url,
      '--role',
      'ci',
      '--secrets',
      secretsInput(),
    ];
    const r = await runProcess(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, FEDERATE_ID_TOKEN: token },
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    const parsed = parseFileCommands(readFileSync(out, 'utf8'));
    expect(Object.keys(parsed).sort()).toEqual(
      ['VAULT_ADDR', 'VAULT_TOKEN', ...Object.keys(HOSTILE_SECRETS)].sort(),
    );
    for (const [name, value] of Object.entries(HOSTILE_SECRETS)) expect(parsed[name], name).toBe(value);
    expect(existsSync(MARKER)).toBe(false);
    scanner([token]).scanText('stdout', r.stdout).scanText('stderr', r.stderr).assertClean();
  });
});
