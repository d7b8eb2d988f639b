// embedded.cjs: materialises a package embedded in a single-file bundle (see bundle.mjs embedPlugin).
// The text goes to a fresh 0700 directory as a 0600 file created exclusively (no symlink or
// pre-planted file can be followed), is loaded with require(), and both are removed at once.
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

exports.loadEmbedded = function loadEmbedded(name, text) {
  const dir = mkdtempSync(join(tmpdir(), 'federate-lib-'));
  try {
    const file = join(dir, `${name.replace(/[^a-z0-9-]/gi, '_')}.cjs`);
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    return createRequire(file)(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
