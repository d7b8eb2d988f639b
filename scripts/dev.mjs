#!/usr/bin/env node
// dev.mjs: the README's commands. Needs only Node (20 or 24) and npm: it fetches the pinned pnpm from
// the npm registry with npx, installs the workspace (which brings Node 24 from the registry's `node`
// package), then runs the task with node_modules/.bin (and so Node 24) first on PATH.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const task = process.argv[2];
const tasks = { test: 'ci:test', demo: 'ci:demo', bench: 'ci:bench' };
if (!task || !(task in tasks)) {
  console.error(`usage: node scripts/dev.mjs ${Object.keys(tasks).join('|')}`);
  process.exit(2);
}
const pkg = JSON.parse(
  await import('node:fs').then((fs) => fs.readFileSync(join(root, 'package.json'), 'utf8')),
);
const pnpm = pkg.packageManager; // e.g. pnpm@10.34.8, pinned
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function run(args, extraEnv = {}) {
  const r = spawnSync(npx, ['--yes', pnpm, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...extraEnv },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
run(['install', ...frozen, '--reporter=append-only'], { npm_config_yes: 'true' });
run(['run', tasks[task]]);
