#!/usr/bin/env node
// sync-pins.mjs: every plugin runs exactly the CLI released with it, so each pin must equal
// packages/cli/package.json's version. The release workflow runs this after `changeset version`
// (`--changeset-version` does both); `--check` exits 1 listing every pin that differs.
//
//   node scripts/sync-pins.mjs [--check | --changeset-version]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SEMVER = '[0-9]+\\.[0-9]+\\.[0-9]+(?:-[0-9A-Za-z.-]+)?';

/** PIN_RULES says where each plugin spells the CLI version; `re` has the version as group 2. */
export const PIN_RULES = [
  {
    dir: 'orbs/federate/src/scripts',
    ext: '.sh',
    re: new RegExp(`(federate_cli_version=")(${SEMVER})(")`, 'g'),
  },
  { dir: 'gitlab-templates/templates', ext: '.yml', re: new RegExp(`(@federate/cli@)(${SEMVER})()`, 'g') },
  { dir: 'gitlab-templates', ext: 'README.md', re: new RegExp(`(/(?:exchange|doctor)@)(${SEMVER})()`, 'g') },
  {
    dir: 'packages/cloudbuild-step',
    ext: 'Dockerfile',
    re: new RegExp(`(org\\.opencontainers\\.image\\.version=")(${SEMVER})(")`, 'g'),
  },
  {
    dir: 'packages/cloudbuild-step/examples',
    ext: '.yaml',
    re: new RegExp(`(/federate/federate:)(${SEMVER})()`, 'g'),
  },
  {
    dir: 'packages/cloudbuild-step',
    ext: 'README.md',
    re: new RegExp(`(/federate/federate:)(${SEMVER})()`, 'g'),
  },
];

/** cliVersion is the version every pin must equal. */
export function cliVersion() {
  return JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')).version;
}

/** findPins lists every pin: file (repository-relative), version found. */
export function findPins() {
  const pins = [];
  for (const rule of PIN_RULES) {
    for (const name of readdirSync(join(root, rule.dir)).sort()) {
      if (!name.endsWith(rule.ext)) continue;
      const file = join(rule.dir, name);
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(rule.re)) pins.push({ file, version: m[2] });
    }
  }
  return pins;
}

/** syncPins rewrites every pin to `version` and returns the files it changed. */
export function syncPins(version) {
  const changed = new Set();
  for (const rule of PIN_RULES) {
    for (const name of readdirSync(join(root, rule.dir))) {
      if (!name.endsWith(rule.ext)) continue;
      const path = join(root, rule.dir, name);
      const text = readFileSync(path, 'utf8');
      const next = text.replace(rule.re, (_all, a, _v, b) => `${a}${version}${b}`);
      if (next !== text) {
        writeFileSync(path, next);
        changed.add(relative(root, path));
      }
    }
  }
  return [...changed];
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] === self) {
  const arg = process.argv[2];
  if (arg === '--check') {
    const want = cliVersion();
    const wrong = findPins().filter((p) => p.version !== want);
    for (const p of wrong) console.error(`${p.file}: pins ${p.version}, the CLI is ${want}`);
    process.exit(wrong.length ? 1 : 0);
  }
  if (arg === '--changeset-version') {
    execFileSync('npx', ['--yes', 'pnpm@10.34.8', 'changeset', 'version'], { cwd: root, stdio: 'inherit' });
  }
  const changed = syncPins(cliVersion());
  console.log(changed.length ? `pins updated: ${changed.join(', ')}` : 'pins already match');
}
