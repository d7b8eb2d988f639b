// bundle.mjs: one esbuild configuration for every bundled entry point.
//   node scripts/bundle.mjs --modules --outdir dist a.ts b.ts=b.mjs  one file per piece, lazily loaded
//                                                                     (the action and the CLI)
//   node scripts/bundle.mjs --split --outdir dist a.ts b.ts          entries plus shared chunks (the testkit)
// An entry `src/x.ts` becomes `x.js`; `src/x.ts=name.mjs` names its output. Flags: --metafile writes
// <outdir>/meta.json for size analysis (--split).
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join, posix, relative, resolve as resolvePath, sep } from 'node:path';
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
  // No single-file mode: a mistyped mode must not turn a source file into an output and overwrite it.
  console.error('usage: bundle.mjs --modules|--split --outdir <dir> <entry.ts[=name.js]>…');
  process.exit(2);
}

/**
 * buildModules lays the action and the CLI out as one ES module per piece, with fixed names:
 *
 *   main.js, post.js,    an entry and the platform and command code it uses
 *   federate.mjs
 *   core.js              @federate/core, shared by the entries and the targets (one copy, so one
 *                        FederateError class: errors thrown by a target are recognised by the run)
 *   targets/<name>.js    one target each, imported when a run names it (packages/targets/src/lazy.ts)
 *   commands/<name>.js,  what an entry imports with import() from its own source directory, at the
 *   help.js              same relative path (the CLI's rarely used commands and its help text)
 *   lib/<name>.js|cjs    yaml (exchanges lists), undici (proxies), @federate/trust (doctor, dry runs)
 *   package.json         {"type":"module"}, so the directory runs wherever it is copied (an image)
 *
 * A run loads its entry, core.js and its targets: three files for one AWS exchange, where esbuild's
 * code splitting made eleven shared chunks, each one more ES module to resolve, link and compile
 * (measured: ~6 ms of a cold start, docs/benchmarks.md), and where one self-contained CLI file parsed
 * every target and carried its libraries as text (~5 ms more than this layout). Code that entries
 * and targets share besides core (the targets' own helpers) is copied into each file; it holds no
 * classes whose identity matters. A library is only ever imported with import(): a static import
 * would load it at every start, so the build refuses one.
 *
 * An entry's own import() of a sibling file becomes that file's piece, not code inlined behind
 * esbuild's lazy-module wrappers: the wrappers are arrow functions passed as call arguments, which
 * V8 compiles eagerly, so inlined lazy commands cost every start their full compile (measured on
 * the CLI: federate.mjs compiled in 4.9 ms with them, docs/benchmarks.md). Like a target, a piece
 * carries its own copy of the entry's helpers; the CLI's only class whose identity matters
 * (UsageError) is thrown and caught in the entry.
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
  // The directory is emptied first, so no piece of an earlier layout survives: refuse one that holds
  // the package or a source being built, so a mistyped --outdir cannot delete them.
  const out = resolvePath(outdir);
  const holds = (path) => {
    const r = relative(out, resolvePath(path));
    return r === '' || (!r.startsWith('..') && !isAbsolute(r));
  };
  const held = [process.cwd(), ...entries.map((spec) => spec.split('=')[0])].find(holds);
  if (held !== undefined) {
    console.error(
      `bundle.mjs: refusing --outdir ${outdir}: it holds ${held}, and it is emptied before a build`,
    );
    process.exit(2);
  }
  rmSync(outdir, { recursive: true, force: true });

  /** pieces are the entries' lazily imported sibling files: source path -> output name. */
  const pieces = new Map();
  /**
   * externals makes core, targets, libs and pieces imports point at their files, relative to the
   * output file `outName`; `srcDir` is the entry's source directory, whose import()s become pieces.
   */
  const externals = (outName, srcDir) => ({
    name: 'federate-modules',
    setup(b) {
      const rel = (file) => {
        const r = posix.relative(posix.dirname(outName), file);
        return r.startsWith('.') ? r : `./${r}`;
      };
      b.onResolve({ filter: /^@federate\/core$/ }, () => ({ path: rel('core.js'), external: true }));
      b.onResolve({ filter: /^(yaml|undici|@federate\/trust)$/ }, (args) =>
        args.kind === 'dynamic-import'
          ? { path: rel(`lib/${libs[args.path]}`), external: true }
          : {
              errors: [
                {
                  text: `${args.path} is imported statically by ${args.importer}: import() it where it is used, or every start loads it`,
                },
              ],
            },
      );
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (srcDir === undefined || args.kind !== 'dynamic-import') return undefined;
        const source = resolvePath(dirname(args.importer), args.path).replace(/\.js$/, '.ts');
        const inside = relative(srcDir, source);
        if (inside.startsWith('..') || isAbsolute(inside) || !inside.endsWith('.ts')) return undefined;
        const name = inside.split(sep).join('/');
        const outFile = name.replace(/\.ts$/, '.js');
        pieces.set(source, outFile);
        return { path: rel(outFile), external: true };
      });
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
      externals(`targets/${name}.js`),
    ]);
  for (const [name, file] of Object.entries(libs))
    await one(req.resolve(name), join(outdir, 'lib', file), [], file.endsWith('.cjs') ? 'cjs' : 'esm');
  for (const spec of entries) {
    const [entry, name = `${basename(spec, '.ts')}.js`] = spec.split('=');
    const srcDir = resolvePath(dirname(entry));
    await one(entry, join(outdir, name), [externals(name, srcDir)]);
    // A piece may import() further pieces: build until none is left.
    const built = new Set();
    for (let next = [...pieces]; next.length; next = [...pieces].filter(([src]) => !built.has(src)))
      for (const [source, outFile] of next) {
        built.add(source);
        await one(source, join(outdir, outFile), [externals(outFile, srcDir)]);
      }
    pieces.clear();
  }
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
}
