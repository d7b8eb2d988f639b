import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// @federate/trust is pure: no environment, file system, processes or ambient network. Tests may use them.
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('purity', () => {
  const files = sources(import.meta.dirname);
  it.each(files.map((f) => [f.slice(import.meta.dirname.length + 1), f]))(
    '%s uses no ambient effects',
    (_name, file) => {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toMatch(/process\.(env|argv|exit|cwd)/);
      expect(text).not.toMatch(/from ['"](node:)?(fs|child_process|http|https|net|os|path)(\/[a-z]+)?['"]/);
      expect(text).not.toMatch(/\bDate\.now\(|new Date\(\)/);
      expect(text).not.toMatch(/globalThis\.fetch/);
      // The core is pure too; every other package is an edge or a sibling.
      expect(text).not.toMatch(/from ['"]@federate\/(?!core['"])/);
      expect(text).not.toMatch(/\beval\(|new Function\(/);
    },
  );
});
