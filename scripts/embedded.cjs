// embedded.cjs: materialises a package embedded in a single-file bundle (see bundle.mjs embedPlugin).
// The bundle carries it as a brotli+base64 comment line; the text goes to a fresh 0700 directory as a
// 0600 file created exclusively (no symlink or pre-planted file can be followed), is loaded with
// require(), and both are removed at once.
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { fileURLToPath } = require('node:url');
const { brotliDecompressSync } = require('node:zlib');

exports.loadEmbedded = function loadEmbedded(name, bundleUrl) {
  const marker = `\n//# federate-embedded ${name} `;
  const self = readFileSync(fileURLToPath(bundleUrl), 'utf8');
  const at = self.lastIndexOf(marker);
  if (at === -1) throw new Error(`this build of federate does not embed ${name}`);
  const end = self.indexOf('\n', at + marker.length);
  const text = brotliDecompressSync(
    Buffer.from(self.slice(at + marker.length, end === -1 ? undefined : end), 'base64'),
  );
  const dir = mkdtempSync(join(tmpdir(), 'federate-lib-'));
  try {
    const file = join(dir, `${name.replace(/[^a-z0-9-]/gi, '_')}.cjs`);
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    return createRequire(file)(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
