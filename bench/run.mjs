// run.mjs: `pnpm bench`. Cold-process wall time and peak RSS of the action and the CLI against a
// bare-Node floor doing the same requests, in the same run, on the same loopback servers; bundle
// sizes; five targets against one. Prints a table and writes bench-results/bench.json. Never a test.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { startScenario } = await import(join(root, 'packages/testkit/dist/index.js'));
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const node = process.execPath;
const cli = join(root, 'packages/cli/dist/federate.mjs');
const actionMain = join(root, 'actions/exchange/dist/main.js');
const benchDir = mkdtempSync(join(tmpdir(), 'bench-'));
// Each contender's preload records its process's peak RSS at exit into the contender's own file: the
// same code for every contender, the floor included. CommonJS and getBuiltinModule, so the preload
// itself loads nothing (an ESM `import 'node:fs'` would load fs/promises and readline into every
// contender, hiding what each one really loads).
function rssPreload(index) {
  const rssFile = join(benchDir, `rss-${index}`);
  const preloadFile = join(benchDir, `rss-${index}.cjs`);
  writeFileSync(rssFile, '');
  writeFileSync(
    preloadFile,
    // Peak RSS first; then, on Linux, the resident pages at exit split into the node binary's and
    // other files' pages (RssFile) and anonymous memory (RssAnon: heaps, stacks), which tells what a
    // contender's own code adds from what every Node process maps.
    [
      "process.on('exit', () => {",
      '  const peak = process.resourceUsage().maxRSS;',
      "  const fs = process.getBuiltinModule('node:fs');",
      "  let status = '';",
      "  try { status = fs.readFileSync('/proc/self/status', 'latin1'); } catch {}",
      "  const kb = (k) => (status.match(new RegExp(k + ':\\\\s+(\\\\d+)')) ?? [])[1] ?? '';",
      `  fs.appendFileSync(${JSON.stringify(rssFile)}, [peak, kb('RssFile'), kb('RssAnon')].join(' ') + '\\n');`,
      '});',
      '',
    ].join('\n'),
  );
  return { rssFile, preloadFile };
}

function once(preloadFile, args, env) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(node, ['--require', preloadFile, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${err.slice(0, 400)}`));
      else resolve(ms);
    });
  });
}

/**
 * measureAll runs the contenders round-robin, one cold process each per round, so a machine that
 * speeds up or slows down during the run moves every contender alike and the ratios stay honest.
 */
async function measureAll(contenders) {
  const slots = contenders.map((c, i) => ({ ...c, ...rssPreload(i), times: [] }));
  for (const c of slots) await once(c.preloadFile, c.args, c.env()); // warm the file-system cache
  for (const c of slots) writeFileSync(c.rssFile, '');
  for (let i = 0; i < RUNS; i++)
    for (const c of slots) c.times.push(await once(c.preloadFile, c.args, c.env()));
  return slots.map((c) => {
    const times = c.times.sort((a, b) => a - b);
    const rows = readFileSync(c.rssFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ').map((v) => (v === '' ? Number.NaN : Number(v))));
    const medianOf = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    return {
      name: c.name,
      median: times[Math.floor(times.length / 2)],
      p90: times[Math.floor(times.length * 0.9)],
      peakRssMiB: Math.max(...rows.map((r) => r[0])) / 1024,
      fileRssAtExitMiB: medianOf(rows.map((r) => r[1])) / 1024,
      anonRssAtExitMiB: medianOf(rows.map((r) => r[2])) / 1024,
    };
  });
}

/** staticClosureBytes sums the files the entries load before running: themselves and their static imports, once each. */
function staticClosureBytes(...entries) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|[;}\s])import\s*(?:[\w${}\s,*]+from\s*)?["'](\.[^"']+)["']/g))
      visit(join(dirname(file), m[1]));
  };
  for (const entry of entries) visit(entry);
  return [...seen].reduce((n, f) => n + statSync(f).size, 0);
}

const world = await startScenario();
const work = mkdtempSync(join(tmpdir(), 'bench-runner-'));
const base = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };
const githubEnv = () => {
  const n = Math.random().toString(36).slice(2);
  const files = {};
  for (const k of ['GITHUB_ENV', 'GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY']) {
    files[k] = join(work, `${k}-${n}`);
    writeFileSync(files[k], '');
  }
  const temp = join(work, `temp-${n}`);
  mkdirSync(temp);
  return { ...base, ...world.github.env(), ...files, RUNNER_TEMP: temp };
};
const awsInputs = {
  INPUT_TARGET: 'aws',
  'INPUT_ROLE-ARN': world.roleArn,
  INPUT_REGION: 'eu-west-1',
  INPUT_ENDPOINT: world.aws.url,
  'INPUT_EXPORT-ENV': 'true',
  INPUT_OUTPUTS: 'true',
  INPUT_CLEANUP: 'true',
  'INPUT_DRY-RUN': 'false',
  INPUT_TIMEOUT: '60s',
};
const cliAws = [
  'exchange',
  '--platform',
  'github',
  '--target',
  'aws',
  '--role-arn',
  world.roleArn,
  '--region',
  'eu-west-1',
  '--endpoint',
  world.aws.url,
];
const five = Array.from(
  { length: 5 },
  (_, i) =>
    `- target: aws\n  id: aws${i}\n  role-arn: ${world.roleArn}\n  region: eu-west-1\n  endpoint: ${world.aws.url}\n  export-env: ${i === 0}`,
).join('\n');

let results;
try {
  results = await measureAll([
    { name: 'node -e 0 (floor)', args: ['-e', '0'], env: () => base },
    { name: 'federate --version', args: [cli, '--version'], env: () => base },
    {
      name: 'node:http, same 2 requests (floor)',
      args: [join(here, 'floor.mjs')],
      env: () => ({ ...base, ...world.github.env(), ROLE_ARN: world.roleArn, STS_URL: world.aws.url }),
    },
    { name: 'action main, GitHub -> AWS', args: [actionMain], env: () => ({ ...githubEnv(), ...awsInputs }) },
    { name: 'CLI exchange, GitHub -> AWS', args: [cli, ...cliAws], env: githubEnv },
    {
      name: 'action main, 5 AWS exchanges',
      args: [actionMain],
      env: () => ({ ...githubEnv(), ...awsInputs, INPUT_TARGET: '', INPUT_EXCHANGES: five }),
    },
  ]);
} finally {
  await world.close();
}

const byName = Object.fromEntries(results.map((r) => [r.name, r]));
const floor = byName['node:http, same 2 requests (floor)'].median;
const floorRss = byName['node:http, same 2 requests (floor)'].peakRssMiB;
const actionDist = join(root, 'actions/exchange/dist');
const cliDist = dirname(cli);
/** dirBytes sums the files under `dir`. */
const dirBytes = (dir) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => statSync(join(dir, f)))
    .filter((st) => st.isFile())
    .reduce((n, st) => n + st.size, 0);
const sizes = {
  actionMainClosureKB: staticClosureBytes(actionMain) / 1024,
  // What a single-target AWS step loads: main, its static imports, the aws target and its imports.
  actionAwsPathKB: staticClosureBytes(actionMain, join(actionDist, 'targets', 'aws.js')) / 1024,
  actionDistKB: dirBytes(actionDist) / 1024,
  // The same for the CLI: federate.mjs, core.js and targets/aws.js; then its whole dist/.
  cliAwsPathKB: staticClosureBytes(cli, join(cliDist, 'targets', 'aws.js')) / 1024,
  cliDistKB: dirBytes(cliDist) / 1024,
};
const goals = [
  ['action exchange / floor', byName['action main, GitHub -> AWS'].median / floor, '≤ 1.3×'],
  ['CLI exchange / floor', byName['CLI exchange, GitHub -> AWS'].median / floor, '≤ 1.3×'],
  [
    'CLI --version / node -e 0',
    byName['federate --version'].median / byName['node -e 0 (floor)'].median,
    '(info)',
  ],
  [
    '5 targets / 1 target (action)',
    byName['action main, 5 AWS exchanges'].median / byName['action main, GitHub -> AWS'].median,
    '≤ 1.5×',
  ],
  ['action peak RSS MiB', byName['action main, GitHub -> AWS'].peakRssMiB, '≤ 48'],
  ['CLI peak RSS MiB', byName['CLI exchange, GitHub -> AWS'].peakRssMiB, '≤ 48'],
  // The absolute goal depends on the machine (the floor itself was 48 MiB on one kernel, 71 on a
  // large-folio one); what Federate adds over the floor is what its code controls.
  [
    'action peak RSS over the floor MiB',
    byName['action main, GitHub -> AWS'].peakRssMiB - floorRss,
    '(info)',
  ],
  ['CLI peak RSS over the floor MiB', byName['CLI exchange, GitHub -> AWS'].peakRssMiB - floorRss, '(info)'],
  ['action main + static imports KB', sizes.actionMainClosureKB, '≤ 150'],
  ['action code loaded for an AWS step KB', sizes.actionAwsPathKB, '≤ 150'],
  ['CLI code loaded for an AWS exchange KB', sizes.cliAwsPathKB, '(info)'],
];
console.log(`Federate benchmarks (${RUNS} cold runs each, Node ${process.version}, loopback)\n`);
console.log(
  '| contender | median ms | p90 ms | peak RSS MiB | file-backed at exit | anonymous at exit |\n| --- | ---: | ---: | ---: | ---: | ---: |',
);
for (const r of results)
  console.log(
    `| ${r.name} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.peakRssMiB.toFixed(1)} | ${r.fileRssAtExitMiB.toFixed(1)} | ${r.anonRssAtExitMiB.toFixed(1)} |`,
  );
console.log('\n| measure | value | goal |\n| --- | ---: | --- |');
for (const [name, value, goal] of goals) console.log(`| ${name} | ${value.toFixed(2)} | ${goal} |`);
console.log(
  `\nbundle sizes, lazy targets and libraries included: action dist ${sizes.actionDistKB.toFixed(1)} KB, CLI dist ${sizes.cliDistKB.toFixed(1)} KB`,
);
const out = join(root, 'bench-results');
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'bench.json'),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      runs: RUNS,
      results,
      sizes,
      goals: goals.map(([name, value, goal]) => ({ name, value, goal })),
    },
    null,
    2,
  ),
);
console.log(`written ${join('bench-results', 'bench.json')}`);
