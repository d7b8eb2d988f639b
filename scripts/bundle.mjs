// bundle.mjs: one esbuild configuration for every bundled entry point.
//   node scripts/bundle.mjs <entry.ts> <out.mjs>               one self-contained file (the CLI)
//   node scripts/bundle.mjs --modules --outdir dist a.ts b.ts  one file per piece, lazily loaded (the action)
//   node scripts/bundle.mjs --split --outdir dist a.ts b.ts    entries plus shared chunks (the testkit)
// Flags: --metafile writes <out>.meta.json for size analysis; --embed undici,yaml (single-file mode)
// keeps those lazily-imported packages inside the one file as inert text, materialised only on use.
import { appendFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { build } from 'esbuild';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name) => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const positional = argv.filter(
  (a, i) => !a.startsWith('--') && argv[i - 1] !== '--outdir' && argv[i - 1] !== '--embed',
);
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
  plugins: [builtinsAsCommonJs()],
};

/**
 * builtinsAsCommonJs turns every Node builtin import (`import { x } from 'node:fs'`, and a bundled
 * CommonJS dependency's `require('fs')`) into `process.getBuiltinModule()`. An ESM import of a builtin
 * makes Node build its ESM facade, which reads every export and so runs every lazy getter: `node:fs`
 * loads fs/promises and readline, `node:crypto` loads WebCrypto (measured in bench/: several ms of
 * every cold start). An import becomes one pure, tree-shaken binding per name actually imported (no
 * esbuild CommonJS interop copying ~100 properties per module); a require() gets the module object.
 * It also means the bundles need no createRequire banner.
 */
function builtinsAsCommonJs() {
  const bare = new Set(builtinModules);
  const load = (name) =>
    [
      `const m = process.getBuiltinModule(${JSON.stringify(name)});`,
      // A builtin this Node lacks (node:sqlite on Node 20) throws like require() would, not undefined.
      `if (m === undefined) throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${name}'`)}), { code: 'MODULE_NOT_FOUND' });`,
    ].join('\n');
  return {
    name: 'federate-builtins-as-commonjs',
    setup(b) {
      b.onResolve({ filter: /^[a-z_/:]+$/ }, (args) => {
        const name = args.path.replace(/^node:/, '');
        if (!args.path.startsWith('node:') && !bare.has(name)) return undefined;
        const esm = args.kind === 'import-statement' || args.kind === 'dynamic-import';
        return {
          path: `node:${name}`,
          namespace: esm ? 'federate-builtin-esm' : 'federate-builtin-cjs',
          // Loading a builtin has no effect we rely on: a module whose imports all went unused is dropped.
          sideEffects: false,
        };
      });
      b.onLoad({ filter: /.*/, namespace: 'federate-builtin-cjs' }, (args) => ({
        contents: `${load(args.path)}\nmodule.exports = m;`,
        loader: 'js',
      }));
      b.onLoad({ filter: /.*/, namespace: 'federate-builtin-esm' }, (args) => {
        const names = Object.keys(process.getBuiltinModule(args.path) ?? {}).filter(
          (k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default',
        );
        return {
          contents: [
            load(args.path),
            'export default m;',
            // Read at first evaluation, like Node's own facade, but only for the names imported.
            ...names.map((k) => `export const ${k} = /* @__PURE__ */ (() => m.${k})();`),
          ].join('\n'),
          loader: 'js',
        };
      });
    },
  };
}

if (flag('--modules')) {
  await buildModules(value('--outdir') ?? 'dist', positional);
} else if (flag('--split')) {
  const outdir = value('--outdir') ?? 'dist';
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
  const embed = (value('--embed') ?? '').split(',').filter(Boolean);
  if (positional.length !== 2) {
    console.error('usage: bundle.mjs <entry> <out> | --modules|--split --outdir <dir> <entries…>');
    process.exit(2);
  }
  const [entry, outfile] = positional;
  // A mistyped mode must not turn the second source file into the output and overwrite it.
  if (!/\.(m|c)?js$/.test(outfile)) {
    console.error(`bundle.mjs: the output ${outfile} must be a .js, .mjs or .cjs file`);
    process.exit(2);
  }
  const embedded = embed.length ? await embedPlugin(embed) : undefined;
  const result = await build({
    ...common,
    entryPoints: [entry],
    outfile,
    plugins: [...common.plugins, ...(embedded ? [embedded.plugin] : [])],
  });
  // The embedded packages travel as trailing comment lines: V8 skips a comment far faster than it
  // scans a string literal, and brotli keeps them small. Nothing reads them until a proxy or an
  // exchanges list needs them.
  if (embedded) appendFileSync(outfile, embedded.trailer);
  if (result.metafile) writeFileSync(`${outfile}.meta.json`, JSON.stringify(result.metafile));
}

/**
 * embedPlugin: a single-file bundle pays to parse every byte at start, even for code it never runs.
 * Packages imported only lazily (undici for proxies, yaml for exchanges lists) are prebuilt as
 * CommonJS, brotli-compressed and appended as `//# federate-embedded <name> <base64>` comment lines;
 * the first import() reads them back from the bundle itself (scripts/embedded.cjs).
 */
async function embedPlugin(names) {
  const { createRequire } = await import('node:module');
  const req = createRequire(`${process.cwd()}/package.json`);
  const loader = new URL('./embedded.cjs', import.meta.url).pathname;
  const keys = {};
  let trailer = '';
  for (const name of names) {
    const entry = req.resolve(name);
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minify: true,
      legalComments: 'none',
      write: false,
      logLevel: 'warning',
    });
    const packed = brotliCompressSync(Buffer.from(r.outputFiles[0].text), {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11 },
    });
    trailer += `\n//# federate-embedded ${name} ${packed.toString('base64')}`;
    // The export names, read from an ESM build's metafile: works for workspace packages written in
    // TypeScript (@federate/trust) as well as for published CommonJS ones.
    const esm = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      outfile: 'embedded-exports.js',
      logLevel: 'silent',
    });
    const exported = Object.values(esm.metafile.outputs).flatMap((o) => o.exports);
    keys[name] = (
      exported.includes('default') && exported.length === 1 ? Object.keys(req(name)) : exported
    ).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
  }
  return {
    trailer: `${trailer}\n`,
    plugin: {
      name: 'federate-embed',
      setup(b) {
        // Imported dynamically, or statically by modules that are themselves imported dynamically:
        // esbuild initialises those lazily, so the package is materialised only when used.
        b.onResolve(
          { filter: new RegExp(`^(${names.map((n) => n.replace('/', '\\/')).join('|')})$`) },
          (args) =>
            args.kind === 'dynamic-import' || args.kind === 'import-statement'
              ? { path: args.path, namespace: 'federate-embedded' }
              : undefined,
        );
        b.onLoad({ filter: /.*/, namespace: 'federate-embedded' }, (args) => ({
          resolveDir: process.cwd(),
          contents: [
            `import { loadEmbedded } from ${JSON.stringify(loader)};`,
            `const m = loadEmbedded(${JSON.stringify(args.path)}, import.meta.url);`,
            'export default m;',
            ...keys[args.path].map((k) => `export const ${k} = m[${JSON.stringify(k)}];`),
          ].join('\n'),
          loader: 'js',
        }));
      },
    },
  };
}

/**
 * buildModules lays the action out as one ES module per piece, with fixed names:
 *
 *   main.js, post.js     an entry and the platform code it uses
 *   core.js              @federate/core, shared by the entries and the targets (one copy, so one
 *                        FederateError class: errors thrown by a target are recognised by the run)
 *   targets/<name>.js    one target each, imported when a step names it (packages/targets/src/lazy.ts)
 *   lib/<name>.js|cjs    yaml (exchanges lists), undici (proxies), @federate/trust (dry runs)
 *
 * A step loads main.js, core.js and its targets: three files for one AWS exchange, where esbuild's
 * code splitting made eleven shared chunks, each one more ES module to resolve, link and compile
 * (measured: ~6 ms of a cold start, docs/benchmarks.md). Code that entries and targets share besides
 * core (the targets' own helpers) is copied into each file; it holds no classes whose identity matters.
 */
async function buildModules(outdir, entries) {
  const req = createRequire(`${process.cwd()}/package.json`);
  const targetsSrc = dirname(req.resolve('@federate/targets/lazy'));
  const targets = readdirSync(targetsSrc, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'shared')
    .map((d) => d.name);
  // undici is CommonJS: as a .cjs file Node's own import() gives it named exports (esbuild marks them
  // for cjs-module-lexer); yaml and trust are ES modules.
  const libs = { yaml: 'yaml.js', undici: 'undici.cjs', '@federate/trust': 'trust.js' };
  rmSync(outdir, { recursive: true, force: true });

  /** externals makes core, targets and libs imports point at their files, relative to `from`. */
  const externals = (from) => ({
    name: 'federate-modules',
    setup(b) {
      const rel = (file) => {
        const up = from === '.' ? './' : '../';
        return `${up}${file}`;
      };
      b.onResolve({ filter: /^@federate\/core$/ }, () => ({ path: rel('core.js'), external: true }));
      b.onResolve({ filter: /^(yaml|undici|@federate\/trust)$/ }, (args) =>
        args.kind === 'dynamic-import' ? { path: rel(`lib/${libs[args.path]}`), external: true } : undefined,
      );
      b.onResolve({ filter: /^\.\/[a-z-]+\/index\.js$/ }, (args) => {
        const name = args.path.split('/')[1];
        return args.kind === 'dynamic-import' &&
          args.importer.startsWith(targetsSrc) &&
          targets.includes(name)
          ? { path: rel(`targets/${name}.js`), external: true }
          : undefined;
      });
    },
  });
  const one = (entry, outfile, plugins = [], format = 'esm') =>
    build({ ...common, format, entryPoints: [entry], outfile, plugins: [...plugins, ...common.plugins] });

  await one(req.resolve('@federate/core'), join(outdir, 'core.js'));
  for (const name of targets)
    await one(join(targetsSrc, name, 'index.ts'), join(outdir, 'targets', `${name}.js`), [
      externals('targets'),
    ]);
  for (const [name, file] of Object.entries(libs))
    await one(req.resolve(name), join(outdir, 'lib', file), [], file.endsWith('.cjs') ? 'cjs' : 'esm');
  for (const entry of entries)
    await one(entry, join(outdir, `${basename(entry, '.ts')}.js`), [externals('.')]);
}
