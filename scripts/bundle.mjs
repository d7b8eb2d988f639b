// bundle.mjs: one esbuild configuration for every bundled entry point (CLI, action, testkit demo).
// Usage: node scripts/bundle.mjs <entry.ts> <out.js> [<entry2.ts> <out2.js> ...] [--metafile]
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const wantMeta = process.argv.includes('--metafile');
if (args.length === 0 || args.length % 2 !== 0) {
  console.error('usage: bundle.mjs <entry> <out> [<entry> <out> ...] [--metafile]');
  process.exit(2);
}
for (let i = 0; i < args.length; i += 2) {
  const entry = args[i];
  const outfile = args[i + 1];
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // The CLI must run on Node 20; the action runs on Node 24. One target keeps bundles identical.
    target: 'node20',
    minify: true,
    keepNames: false,
    legalComments: 'linked',
    metafile: wantMeta,
    logLevel: 'warning',
    // Some CommonJS dependencies call require(); give ESM output a real one.
    banner: {
      js: "import { createRequire as __federateRequire } from 'node:module'; const require = __federateRequire(import.meta.url);",
    },
    // The npm undici is loaded lazily (proxy support only), never on the hot path.
    splitting: false,
  });
  if (wantMeta && result.metafile) writeFileSync(`${outfile}.meta.json`, JSON.stringify(result.metafile));
}
