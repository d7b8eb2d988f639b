/**
 * cli.ts: what the refresh tests share: a bundle of this tree's CLI and a GitHub Actions step
 * environment (file-command files in a private directory) to run it in.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GitHubIssuer } from '@federate/testkit';
import { buildArgs } from '../support/bundles.js';
import { node24, parseFileCommands, repoRoot, runProcess } from '../support/github-runner.js';

/** buildCli bundles this tree's CLI into `dir` (not whatever packages/cli/dist holds) and returns its entry. */
export async function buildCli(dir: string): Promise<string> {
  const pkgDir = join(repoRoot, 'packages', 'cli');
  // The flags the package ships with (packages/cli/package.json `build`), its output directory moved
  // to `dir`: never packages/cli/dist, which other test files run at the same time.
  const args = buildArgs(pkgDir);
  const at = args.indexOf('--outdir');
  const entry = args.at(-1)?.split('=')[1];
  if (at === -1 || !entry)
    throw new Error('packages/cli build: expected --outdir <dir> and src/bin.ts=<name>');
  const out = join(dir, 'cli');
  args[at + 1] = out;
  const built = await runProcess(process.execPath, args, { cwd: pkgDir });
  if (built.status !== 0) throw new Error(`bundling the CLI failed: ${built.stderr.slice(0, 500)}`);
  return join(out, entry);
}

/** stepEnv is a GitHub Actions step's environment with fresh (empty) file-command files under `dir`. */
export function stepEnv(gh: GitHubIssuer, dir: string): Record<string, string> {
  const files = {
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_OUTPUT: join(dir, 'out'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
  };
  for (const f of Object.values(files)) writeFileSync(f, '');
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    NO_COLOR: '1',
    ...gh.env(),
    ...files,
    RUNNER_TEMP: dir,
  };
}

/** runCli runs the bundle with Node 24 (asynchronously: the emulators live in this process). */
export function runCli(cli: string, args: string[], env: Record<string, string>) {
  return runProcess(node24(), [cli, ...args], { env });
}

/** exportedEnv is what a step exported through GITHUB_ENV. */
export function exportedEnv(env: Record<string, string>): Record<string, string> {
  return parseFileCommands(readFileSync(env['GITHUB_ENV'] ?? '', 'utf8'));
}
