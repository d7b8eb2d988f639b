#!/usr/bin/env node
// pack.mjs: packs an orb source tree into one orb YAML, the way `circleci orb pack` does, so the
// orb can be built, tested and published without the CircleCI CLI (whose validate needs the API).
//
//   node orbs/federate/pack.mjs [src dir] [--out orb.yml]
//
// Rules (CircleCI-Public/circleci-cli `orb pack`, circleci-docs orb-concepts.adoc):
// - every directory becomes a map key; every `<name>.yml` in it becomes the key `<name>`;
// - a file whose name starts with `@` (`@orb.yml`) is merged into the map of its own directory;
// - files that are not YAML (scripts/*.sh) are not keys: they exist to be included;
// - a string value that is exactly `<<include(path)>>` is replaced by the text of `path`, relative
//   to the source root. Includes embedded in a longer string are refused: the orb's scripts are
//   always whole step commands, and a partial include would splice text into shell code.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const INCLUDE = /<<\s*include\(([^)]*)\)\s*>>/;
const WHOLE_INCLUDE = /^\s*<<\s*include\(([^)]+)\)\s*>>\s*$/;

/** packTree reads `dir` into a plain object following the orb-pack rules. */
function packTree(dir) {
  const out = {};
  const entries = readdirSync(dir).sort();
  // `@` files first, so component keys beside them are added after the orb's own header keys.
  entries.sort((a, b) => Number(!a.startsWith('@')) - Number(!b.startsWith('@')));
  for (const name of entries) {
    const path = join(dir, name);
    if (name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) {
      const sub = packTree(path);
      if (Object.keys(sub).length > 0) out[name] = sub;
      continue;
    }
    const m = /^(.*)\.ya?ml$/.exec(name);
    if (!m) continue;
    const doc = parse(readFileSync(path, 'utf8'));
    if (name.startsWith('@')) {
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
        throw new Error(`${path}: must be a map`);
      Object.assign(out, doc);
    } else {
      if (Object.hasOwn(out, m[1])) throw new Error(`${path}: duplicate key ${m[1]}`);
      out[m[1]] = doc;
    }
  }
  return out;
}

/** resolveIncludes replaces whole-value `<<include(path)>>` strings with the file's text. */
function resolveIncludes(value, root, where) {
  if (typeof value === 'string') {
    const whole = WHOLE_INCLUDE.exec(value);
    if (whole) {
      const target = resolve(root, whole[1].trim());
      if (target !== root && !target.startsWith(root + sep))
        throw new Error(`${where}: include ${whole[1]} is outside the orb source`);
      return readFileSync(target, 'utf8');
    }
    if (INCLUDE.test(value)) throw new Error(`${where}: <<include()>> must be the whole value`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveIncludes(v, root, `${where}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveIncludes(v, root, `${where}.${k}`);
    return out;
  }
  return value;
}

/** packOrb returns the packed orb as an object and as YAML text. */
export function packOrb(srcDir) {
  const root = resolve(srcDir);
  const orb = resolveIncludes(packTree(root), root, 'orb');
  return { orb, yaml: stringify(orb, { lineWidth: 0 }) };
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] && resolve(process.argv[1]) === self) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt === -1 ? undefined : args[outAt + 1];
  const positional = args.filter((_, i) => i !== outAt && i !== outAt + 1);
  const src = positional[0] ?? join(dirname(self), 'src');
  try {
    const { yaml } = packOrb(src);
    if (out) writeFileSync(out, yaml);
    else process.stdout.write(yaml);
  } catch (e) {
    process.stderr.write(
      `pack.mjs: ${e instanceof Error ? e.message : String(e)} (in ${relative(process.cwd(), src) || '.'})\n`,
    );
    process.exit(1);
  }
}
