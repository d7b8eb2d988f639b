/**
 * check-dist.test.ts: the bundle-freshness check must fail on a changed, a new and a deleted file
 * under actions/<name>/dist, and pass on a clean tree.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runProcess } from '../support/github-runner.js';

const script = join(repoRoot, 'scripts', 'check-dist.mjs');

function scratchRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'check-dist-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('config', 'user.email', 't@example.com');
  git('config', 'user.name', 't');
  mkdirSync(join(dir, 'actions', 'x', 'dist', 'chunks'), { recursive: true });
  writeFileSync(join(dir, 'actions', 'x', 'dist', 'main.js'), 'a');
  writeFileSync(join(dir, 'actions', 'x', 'dist', 'chunks', 'c.js'), 'c');
  git('add', '-A');
  git('commit', '-qm', 'init');
  return dir;
}

describe('scripts/check-dist.mjs', () => {
  it('passes on a clean tree', async () => {
    const dir = scratchRepo();
    expect((await runProcess(process.execPath, [script, dir])).status).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
  it.each([
    ['a changed file', (d: string) => writeFileSync(join(d, 'actions', 'x', 'dist', 'main.js'), 'b')],
    ['a new chunk', (d: string) => writeFileSync(join(d, 'actions', 'x', 'dist', 'chunks', 'n.js'), 'n')],
    ['a deleted chunk', (d: string) => rmSync(join(d, 'actions', 'x', 'dist', 'chunks', 'c.js'))],
  ])('fails on %s', async (_name, change) => {
    const dir = scratchRepo();
    change(dir);
    const r = await runProcess(process.execPath, [script, dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/stale/);
    rmSync(dir, { recursive: true, force: true });
  });
});
