/**
 * bundles.ts: end-to-end tests run the built artifacts, as users do. CI builds them first (turbo);
 * a developer running one test file gets them built on demand with the same esbuild settings.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { repoRoot } from './github-runner.js';

/** buildArgs reads a package's `build` script (`node ../../scripts/bundle.mjs <args>`): the shipped flags, not a copy. */
export function buildArgs(pkgDir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    scripts: { build: string };
  };
  const args = pkg.scripts.build.split(' && ').at(-1)?.split(/\s+/) ?? [];
  const at = args.indexOf('../../scripts/bundle.mjs');
  if (args[0] !== 'node' || at === -1) throw new Error(`unexpected build script in ${pkgDir}/package.json`);
  return [join(repoRoot, 'scripts', 'bundle.mjs'), ...args.slice(at + 1)];
}

/** cliBundle returns the path of packages/cli/dist/federate.mjs, building it when missing. */
export function cliBundle(): string {
  const pkgDir = join(repoRoot, 'packages', 'cli');
  const out = join(pkgDir, 'dist', 'federate.mjs');
  if (!existsSync(out)) execFileSync(process.execPath, buildArgs(pkgDir), { cwd: pkgDir, stdio: 'inherit' });
  return out;
}

/** actionDir returns actions/exchange with its dist built when missing. */
export function actionDir(): string {
  const dir = join(repoRoot, 'actions', 'exchange');
  if (!existsSync(join(dir, 'dist', 'main.js')))
    execFileSync(process.execPath, buildArgs(dir), { cwd: dir, stdio: 'inherit' });
  return dir;
}

/**
 * findNode returns a Node binary of the given major version from PATH (the machine's own Node 20 sits
 * behind the workspace's Node 24), or undefined when there is none.
 */
export function findNode(major: number): string | undefined {
  const candidates = [
    process.env['npm_node_execpath'],
    ...(process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, 'node')),
    '/usr/local/bin/node',
    '/usr/bin/node',
  ];
  for (const c of candidates) {
    if (!c || !existsSync(c) || !statSync(c).isFile()) continue;
    try {
      const v = execFileSync(c, ['--version'], { encoding: 'utf8' }).trim();
      if (v.startsWith(`v${major}.`)) return c;
    } catch {}
  }
  // nvm-style installs
  const nvm = join(process.env['HOME'] ?? '', '.nvm', 'versions', 'node');
  if (existsSync(nvm))
    for (const d of readdirSync(nvm)) if (d.startsWith(`v${major}.`)) return join(nvm, d, 'bin', 'node');
  return undefined;
}

/** awsExchangeArgs are the CLI flags of a GitHub-style AWS exchange against a testkit scenario. */
export function awsExchangeArgs(world: { roleArn: string; aws: { url: string } }): string[] {
  return [
    '--target',
    'aws',
    '--role-arn',
    world.roleArn,
    '--region',
    'eu-west-1',
    '--endpoint',
    world.aws.url,
  ];
}
