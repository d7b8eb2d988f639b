/**
 * cold-path.test.ts: what the benchmarks' speed rests on, checked structurally (never timed). An AWS
 * step of the action and a CLI exchange load no node:crypto (6-9 ms), no fs/promises and readline, no
 * node:os, and nothing through a builtin's ESM facade; `federate --version` loads no command's builtins,
 * and `--help` only the help text besides; nothing calls Date.prototype.toISOString
 * (core/timestamp.ts says why). The
 * shipped bundles import every builtin through process.getBuiltinModule (scripts/bundle.mjs).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isoTimestamp } from '@federate/core';
import { type Scenario, startScenario } from '@federate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionDir, awsExchangeArgs, cliBundle } from '../support/bundles.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import { Job, node24, runProcess } from '../support/github-runner.js';

let world: Scenario;
let dir: string;

beforeAll(async () => {
  world = await startScenario();
  dir = mkdtempSync(join(tmpdir(), 'federate-cold-'));
});
afterAll(async () => {
  await world?.close();
});

/** withModuleList returns NODE_OPTIONS that make a process write Node's internal module list at exit. */
function withModuleList(): { env: Record<string, string>; read: () => string[]; ours: () => string[] } {
  const out = join(dir, `modules-${Math.random().toString(36).slice(2)}`);
  const preload = join(dir, `preload-${Math.random().toString(36).slice(2)}.cjs`);
  // Node's internal modules, and the files of ours the process loaded (seen by a synchronous module
  // hook; the preload itself is filtered out below).
  writeFileSync(
    preload,
    [
      'const seen = new Set();',
      "process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(",
      `  ${JSON.stringify(out)},`,
      '  JSON.stringify({ internal: process.moduleLoadList, ours: [...seen] })));',
      "const { registerHooks } = process.getBuiltinModule('node:module');",
      'registerHooks?.({ load(url, context, next) { if (url.startsWith("file:")) seen.add(url); return next(url, context); } });',
      '',
    ].join('\n'),
  );
  const result = () => JSON.parse(readFileSync(out, 'utf8')) as { internal: string[]; ours: string[] };
  return {
    env: { NODE_OPTIONS: `--require ${preload}` },
    read: () => result().internal,
    ours: () => result().ours.filter((u) => !u.endsWith('.cjs') || u.includes('/dist/')),
  };
}

// What a GitHub → AWS exchange has no use for (Node's own names in process.moduleLoadList).
const NOT_ON_THE_HOT_PATH = [
  'NativeModule crypto',
  'NativeModule internal/crypto/webcrypto',
  'NativeModule fs/promises',
  'NativeModule internal/readline/interface',
  'NativeModule child_process',
  // Only a fallback when the CI names no temporary directory (platforms/src/shared/temp-dir.ts).
  'NativeModule os',
  // Retry waits are a timer of our own (platforms/src/shared/sleep.ts).
  'NativeModule timers/promises',
];

/** shippedFiles lists every JavaScript file of the action's and the CLI's dist directories. */
function shippedFiles(): string[] {
  return [join(actionDir(), 'dist'), dirname(cliBundle())].flatMap((dist) =>
    readdirSync(dist, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(c|m)?js$/.test(f))
      .map((f) => join(dist, f)),
  );
}

describe('the cold path', () => {
  it('an action AWS step loads none of the expensive builtins it does not need, and three files of ours', async () => {
    const modules = withModuleList();
    const job = new Job(world.github.env());
    const main = await job.runAction(
      actionDir(),
      'main',
      { target: 'aws', 'role-arn': world.roleArn, region: 'eu-west-1', endpoint: world.aws.url },
      modules.env,
    );
    expect(main.stdout).not.toMatch(/::error/);
    expect(main.status).toBe(0);
    expect(main.env['AWS_ACCESS_KEY_ID']).toMatch(/^ASIA/);
    const loaded = modules.read();
    expect(loaded).toContain('NativeModule http'); // the list is real: the exchange's own transport
    expect(loaded.filter((m) => NOT_ON_THE_HOT_PATH.includes(m))).toEqual([]);
    const ours = modules.ours().map((f) => f.slice(f.indexOf('/dist/') + 1));
    expect(ours.sort()).toEqual(['dist/core.js', 'dist/main.js', 'dist/targets/aws.js']);
  });

  it('the lazily loaded files work from the shipped layout: an exchanges list (lib/yaml.js) through a proxy (lib/undici.cjs)', async () => {
    const proxy = await startConnectProxy();
    try {
      const modules = withModuleList();
      const job = new Job(world.github.env());
      const main = await job.runAction(
        actionDir(),
        'main',
        {
          exchanges: [
            `- target: aws`,
            `  role-arn: ${world.roleArn}`,
            '  region: eu-west-1',
            `  endpoint: ${world.aws.url}`,
          ].join('\n'),
        },
        { ...modules.env, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '' },
      );
      expect(main.stdout).not.toMatch(/::error/);
      expect(main.status).toBe(0);
      expect(main.env['AWS_ACCESS_KEY_ID']).toMatch(/^ASIA/);
      expect(proxy.tunnels).toContain(new URL(world.aws.url).host);
      const ours = modules.ours().map((f) => f.slice(f.indexOf('/dist/') + 1));
      expect(ours).toEqual(
        expect.arrayContaining(['dist/lib/yaml.js', 'dist/lib/undici.cjs', 'dist/targets/aws.js']),
      );
    } finally {
      await proxy.close();
    }
  });

  it('a CLI exchange and `federate --version` load none of them either', async () => {
    const cli = cliBundle();
    const token = join(dir, 'token.jwt');
    writeFileSync(token, await world.github.mintFor('sts.amazonaws.com'), { mode: 0o600 });
    // TMPDIR as a job that names its temporary directory (without one, node:os finds the system's).
    const base = { PATH: process.env['PATH'] ?? '', HOME: dir, NO_COLOR: '1', TMPDIR: dir };

    const version = withModuleList();
    const v = await runProcess(node24(), [cli, '--version'], { env: { ...base, ...version.env }, cwd: dir });
    expect(v.status).toBe(0);
    expect(version.read().filter((m) => [...NOT_ON_THE_HOT_PATH, 'NativeModule http'].includes(m))).toEqual(
      [],
    );

    const exchange = withModuleList();
    const r = await runProcess(
      node24(),
      [
        cli,
        'exchange',
        ...awsExchangeArgs(world),
        ...['--platform', 'file', '--token-file', token, '--output-file', join(dir, 'aws.env')],
      ],
      { env: { ...base, ...exchange.env }, cwd: dir },
    );
    expect(r.stderr).not.toMatch(/ERR_/);
    expect(r.status).toBe(0);
    const loaded = exchange.read();
    expect(loaded).toContain('NativeModule http');
    expect(loaded.filter((m) => NOT_ON_THE_HOT_PATH.includes(m))).toEqual([]);
    // The entry, core and the one target named: no other target, command library or yaml/undici.
    const ours = exchange.ours().map((f) => f.slice(f.indexOf('/dist/') + 1));
    expect(ours.sort()).toEqual(['dist/core.js', 'dist/federate.mjs', 'dist/targets/aws.js']);
    expect(
      version
        .ours()
        .map((f) => f.slice(f.indexOf('/dist/') + 1))
        .sort(),
    ).toEqual(['dist/core.js', 'dist/federate.mjs']);

    // The help text and the rarely used commands are pieces of their own, loaded when asked for.
    const help = withModuleList();
    const h = await runProcess(node24(), [cli, '--help'], { env: { ...base, ...help.env }, cwd: dir });
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('Usage: federate <command> [options]');
    expect(
      help
        .ours()
        .map((f) => f.slice(f.indexOf('/dist/') + 1))
        .sort(),
    ).toEqual(['dist/core.js', 'dist/federate.mjs', 'dist/help.js']);
  });

  it('credential-process answering from its cache (every AWS SDK call) loads no HTTP and no command but its own', async () => {
    const cli = cliBundle();
    const cacheFile = join(dir, 'aws-credentials.json');
    const cached = {
      Version: 1,
      AccessKeyId: 'ASIACACHEDKEY0000001',
      SecretAccessKey: 'cached-secret-access-key-for-the-cold-path',
      SessionToken: 'cached-session-token-for-the-cold-path',
      Expiration: isoTimestamp(new Date(Date.now() + 3_600_000)),
      RoleArn: world.roleArn,
    };
    writeFileSync(cacheFile, JSON.stringify(cached), { mode: 0o600 });
    const modules = withModuleList();
    const r = await runProcess(
      node24(),
      [
        cli,
        'credential-process',
        '--cache-file',
        cacheFile,
        '--role-arn',
        world.roleArn,
        '--region',
        'eu-west-1',
      ],
      { env: { PATH: process.env['PATH'] ?? '', HOME: dir, TMPDIR: dir, ...modules.env }, cwd: dir },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ Version: 1, AccessKeyId: cached.AccessKeyId });
    const loaded = modules.read();
    expect(loaded.filter((m) => [...NOT_ON_THE_HOT_PATH, 'NativeModule http'].includes(m))).toEqual([]);
    const ours = modules.ours().map((f) => f.slice(f.indexOf('/dist/') + 1));
    expect(ours.sort()).toEqual([
      'dist/commands/credential-process.js',
      'dist/core.js',
      'dist/federate.mjs',
      'dist/targets/aws.js',
    ]);
  });

  it('no shipped code of ours calls Date.prototype.toISOString (8 MiB of peak RSS; core isoTimestamp instead)', () => {
    // yaml's own timestamp type calls it, only when stringifying a date, which we never do.
    const ours = shippedFiles().filter((f) => !/\/lib\/(yaml\.js|undici\.cjs)$/.test(f));
    expect(ours.length).toBeGreaterThan(20);
    expect(ours.filter((f) => readFileSync(f, 'utf8').includes('toISOString('))).toEqual([]);
  });

  it('the shipped bundles import no builtin as an ES module', () => {
    const files = shippedFiles();
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((f) =>
      /(?:^|[;}\s])(?:import\s*["']node:|import[^;"']*?from\s*["'](?:node:)?(?:fs|crypto|http|https|os|path|module|child_process)["'])/.test(
        readFileSync(f, 'utf8'),
      ),
    );
    expect(offenders).toEqual([]);
  });
});
