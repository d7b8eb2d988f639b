#!/usr/bin/env node
// check-dist.mjs: committed bundles must be exactly what the sources build (turbo ran build already).
import { execFileSync } from 'node:child_process';

const dirs = ['actions'];
const out = execFileSync('git', ['status', '--porcelain', '--', ...dirs.map((d) => `${d}/*/dist`)], {
  encoding: 'utf8',
});
if (out.trim()) {
  console.error('Committed action bundles are stale; run `pnpm build` and commit dist/:\n' + out);
  process.exit(1);
}
console.log('dist/ is fresh');
