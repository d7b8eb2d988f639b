/**
 * demo.test.ts: the README's demo command must keep working: run the built demo and check that it
 * walks through every stage and ends well.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { actionDir, cliBundle } from '../support/bundles.js';
import { node24, repoRoot, runProcess } from '../support/github-runner.js';

it('npm run demo: doctor, exchange, use, cleanup, diagnostics', async () => {
  cliBundle();
  actionDir();
  const testkit = join(repoRoot, 'packages', 'testkit');
  if (!existsSync(join(testkit, 'dist', 'demo.js'))) {
    execFileSync(
      process.execPath,
      [join(repoRoot, 'scripts', 'bundle.mjs'), '--split', '--outdir', 'dist', 'src/index.ts', 'src/demo.ts'],
      { cwd: testkit },
    );
  }
  const r = await runProcess(node24(), [join(testkit, 'dist', 'demo.js')], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  for (const stage of [
    '1. federate doctor',
    '2. uses:',
    '3. a later step',
    '4. post step',
    '5. when a trust policy says no',
    'Done.',
  ])
    expect(r.stdout).toContain(stage);
  expect(r.stdout).toMatch(/live Vault tokens: 1 → 0/);
  expect(r.stdout).toMatch(/policies ci-read,default/);
  // The AWS CLI (preinstalled on this machine and in CI) calls STS with the exported keys.
  expect(r.stdout).toMatch(
    /aws sts get-caller-identity {2}→ {2}arn:aws:sts::123456789012:assumed-role\/federate-deploy\//,
  );
  expect(r.stdout).toMatch(/ERR_EXCHANGE_REJECTED/);
});
