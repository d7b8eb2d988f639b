/**
 * bundle.test.ts: scripts/bundle.mjs refuses what would ship a broken or slow layout: a mistyped mode
 * (`--splt a.ts b.ts`) cannot turn a source file into an output and overwrite it, and a library the
 * pieces load lazily (yaml, undici, @federate/trust) cannot be imported statically, which would load it
 * at every start. An entry's import() of its own sibling files builds each as a file of its own, at
 * the same relative path, instead of inlining it behind wrappers that V8 compiles at every start. An
 * --outdir that holds the package or a source is refused: the build empties it first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/github-runner.js';

const bundle = join(repoRoot, 'scripts', 'bundle.mjs');

describe('scripts/bundle.mjs', () => {
  it('refuses a mistyped mode and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    writeFileSync(join(dir, 'package.json'), '{"version":"0.0.0"}');
    writeFileSync(join(dir, 'a.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'b.ts'), 'export const b = 2;\n');
    const r = spawnSync(process.execPath, [bundle, '--splt', 'a.ts', 'b.ts'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: bundle.mjs --modules|--split');
    expect(readFileSync(join(dir, 'b.ts'), 'utf8')).toBe('export const b = 2;\n');
  });

  it('refuses an entry that imports a lazily loaded library statically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, "import { parse } from 'yaml';\nexport const v = parse('a: 1');\n");
    // Built from the CLI package, whose dependencies (core, targets, the libraries) resolve.
    const r = spawnSync(process.execPath, [bundle, '--modules', '--outdir', join(dir, 'dist'), entry], {
      cwd: join(repoRoot, 'packages', 'cli'),
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('yaml is imported statically by');
    expect(existsSync(join(dir, 'dist', 'entry.js'))).toBe(false);
  });

  it("builds an entry's import() of a sibling file as its own piece, at the same relative path", () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    const src = join(dir, 'src');
    mkdirSync(join(src, 'commands'), { recursive: true });
    writeFileSync(
      join(src, 'entry.ts'),
      [
        "import { VERSION } from '@federate/core';",
        "const { greet } = await import('./commands/greet.js');",
        "process.stdout.write((await greet()) + ' ' + typeof VERSION + '\\n');",
      ].join('\n'),
    );
    writeFileSync(
      join(src, 'commands', 'greet.ts'),
      [
        "import { VERSION } from '@federate/core';",
        "export const greet = async () => (await import('../words.js')).WORD + '-only-in-greet ' + typeof VERSION;",
      ].join('\n'),
    );
    writeFileSync(join(src, 'words.ts'), "export const WORD = 'hello';\n");
    const out = join(dir, 'dist');
    const r = spawnSync(
      process.execPath,
      [bundle, '--modules', '--outdir', out, `${join(src, 'entry.ts')}=cli.mjs`],
      {
        cwd: join(repoRoot, 'packages', 'cli'),
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const entry = readFileSync(join(out, 'cli.mjs'), 'utf8');
    expect(entry).toContain('import("./commands/greet.js")');
    expect(entry).not.toContain('only-in-greet');
    expect(readFileSync(join(out, 'commands', 'greet.js'), 'utf8')).toContain('import("../words.js")');
    expect(readFileSync(join(out, 'commands', 'greet.js'), 'utf8')).toContain('from"../core.js"');
    expect(existsSync(join(out, 'words.js'))).toBe(true);
    // The pieces resolve each other and core.js wherever the directory is.
    const run = spawnSync(process.execPath, [join(out, 'cli.mjs')], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('hello-only-in-greet string string\n');
  });

  it('refuses an --outdir that holds the package or a source, which the build would empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'package.json'), '{"version":"0.0.0"}');
    writeFileSync(join(dir, 'src', 'entry.ts'), 'export const a = 1;\n');
    for (const outdir of ['.', dir, 'src', join(dir, '..')]) {
      const r = spawnSync(process.execPath, [bundle, '--modules', '--outdir', outdir, 'src/entry.ts'], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`refusing --outdir ${outdir}`);
    }
    expect(readFileSync(join(dir, 'src', 'entry.ts'), 'utf8')).toBe('export const a = 1;\n');
    expect(existsSync(join(dir, 'package.json'))).toBe(true);
  });
});
