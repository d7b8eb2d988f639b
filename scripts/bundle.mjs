// bundle.mjs: one esbuild configuration for every bundled entry point.
//   node scripts/bundle.mjs <entry.ts> <out.mjs>               one self-contained file (the CLI)
//   node scripts/bundle.mjs --split --outdir dist a.ts b.ts    entries plus shared lazy chunks (the action)
// Flags: --metafile writes <out>.meta.json for size analysis.
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name) => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const positional = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--outdir');
const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync('package.json', 'utf8')));

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  // The CLI must run on Node 20; the action runs on Node 24. One target keeps output identical everywhere.
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: flag('--metafile'),
  define: { __FEDERATE_VERSION__: JSON.stringify(pkg.version) },
  // Some CommonJS dependencies call require(); give ESM output a real one.
  banner: {
    js: "import { createRequire as __federateRequire } from 'node:module'; const require = __federateRequire(import.meta.url);",
  },
};

if (flag('--split')) {
  const outdir = value('--outdir') ?? 'dist';
  // Lazy imports (the YAML parser for `exchanges`, undici for proxies) become chunks loaded only when used.
  const result = await build({
    ...common,
    entryPoints: positional,
    outdir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.js' },
  });
  if (result.metafile) writeFileSync(`${outdir}/meta.json`, JSON.stringify(result.metafile));
} else {
  if (positional.length !== 2) {
    console.error('usage: bundle.mjs <entry> <out> | --split --outdir <dir> <entries…>');
    process.exit(2);
  }
  const [entry, outfile] = positional;
  const result = await build({ ...common, entryPoints: [entry], outfile });
  if (result.metafile) writeFileSync(`${outfile}.meta.json`, JSON.stringify(result.metafile));
}
