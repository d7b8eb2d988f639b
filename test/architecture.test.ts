// architecture.test.ts: the import graph keeps the shape ARCHITECTURE.md describes. Dependencies point
// core <- targets, platforms <- composition roots (cli, actions); targets and platforms never meet.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** importsOf lists every module specifier a file imports, statically or dynamically. */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const re =
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) specs.push((m[1] ?? m[2] ?? m[3]) as string);
  return specs;
}

interface Rule {
  pkg: string;
  forbidden: RegExp[];
  forbiddenText?: RegExp[];
  tests?: boolean; // also apply to *.test.ts
}

const rules: Rule[] = [
  {
    pkg: 'packages/core/src',
    forbidden: [
      /^@federate\/(targets|platforms|cli|testkit|trust)/,
      /^@actions\//,
      /^(node:)?fs(\/promises)?$/,
      /^(node:)?child_process$/,
    ],
    forbiddenText: [/process\.env/, /\bprocess\.(argv|exit|stdout|stderr)\b/],
  },
  { pkg: 'packages/targets/src', forbidden: [/^@federate\/(platforms|cli)/, /^@actions\//] },
  { pkg: 'packages/platforms/src', forbidden: [/^@federate\/(targets|cli)/] },
  { pkg: 'packages/trust/src', forbidden: [/^@federate\/(targets|platforms|cli)/, /^@actions\//] },
  {
    pkg: 'packages/testkit/src',
    forbidden: [/^@federate\/(core|targets|platforms|cli|trust)/, /^@actions\//],
  },
];

describe('dependency direction', () => {
  for (const rule of rules) {
    it(`${rule.pkg} imports nothing it must not`, () => {
      const offences: string[] = [];
      for (const file of sourceFiles(join(root, rule.pkg))) {
        if (file.endsWith('.test.ts') && !rule.tests) continue;
        const text = readFileSync(file, 'utf8');
        for (const spec of importsOf(text)) {
          if (rule.forbidden.some((re) => re.test(spec)))
            offences.push(`${relative(root, file)} imports ${spec}`);
        }
        for (const re of rule.forbiddenText ?? []) {
          if (re.test(text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')))
            offences.push(`${relative(root, file)} uses ${re.source}`);
        }
      }
      expect(offences).toEqual([]);
    });
  }

  it('only platforms/github imports @actions/*', () => {
    const offences: string[] = [];
    for (const dir of ['packages', 'actions']) {
      for (const file of sourceFiles(join(root, dir))) {
        const rel = relative(root, file);
        if (rel.startsWith('packages/platforms/src/github/')) continue;
        if (importsOf(readFileSync(file, 'utf8')).some((s) => s.startsWith('@actions/'))) offences.push(rel);
      }
    }
    expect(offences).toEqual([]);
  });

  it('the import scanner sees static, re-export and dynamic imports', () => {
    const text = "import { a } from 'x';\nexport * from \"y\";\nconst m = await import('z');\nimport 'w';";
    expect(importsOf(text)).toEqual(['x', 'y', 'z', 'w']);
  });
});
