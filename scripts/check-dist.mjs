#!/usr/bin/env node
// check-dist.mjs: committed bundles must be exactly what the sources build (turbo ran build already).
// Every actions/*/dist directory is named literally: a `actions/*/dist` pathspec would not match the
// files inside it, and the check would pass whatever changed.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2] ?? process.cwd();
const dists = readdirSync(join(root, 'actions'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'actions', d.name, 'dist')))
  .map((d) => `actions/${d.name}/dist`);
if (dists.length === 0) {
  console.error('no actions/*/dist directory found');
  process.exit(1);
}
const out = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', ...dists], {
  cwd: root,
  encoding: 'utf8',
});
if (out.trim()) {
  console.error(`Committed action bundles are stale; run \`pnpm build\` and commit dist/:\n${out}`);
  process.exit(1);
}
console.log(`dist/ is fresh (${dists.join(', ')})`);
