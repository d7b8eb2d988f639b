/**
 * bundle.test.ts: scripts/bundle.mjs refuses an output that is not a JavaScript file, so a mistyped
 * mode (`--splt a.ts b.ts`) cannot turn the second source file into the output and overwrite it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/github-runner.js';

describe('scripts/bundle.mjs', () => {
  it('refuses to write its output over a source file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    writeFileSync(join(dir, 'package.json'), '{"version":"0.0.0"}');
    writeFileSync(join(dir, 'a.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'b.ts'), 'export const b = 2;\n');
    const r = spawnSync(
      process.execPath,
      [join(repoRoot, 'scripts', 'bundle.mjs'), '--splt', 'a.ts', 'b.ts'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('must be a .js, .mjs or .cjs file');
    expect(readFileSync(join(dir, 'b.ts'), 'utf8')).toBe('export const b = 2;\n');
  });
});
