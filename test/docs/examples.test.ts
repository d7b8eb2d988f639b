/**
 * examples.test.ts: every fenced code block in README.md, docs/** and the READMEs users copy from
 * (the GitLab component's, the Cloud Build step's) is checked, so the docs cannot
 * rot. YAML is parsed and validated against the schema its shape names (GitHub workflow, GitLab CI,
 * CircleCI config, Cloud Build, an `exchanges` list, an octo-sts trust policy); every `federate …`
 * command line (in shell blocks and in YAML `run:`/`script:` lines) is parsed with the CLI's own
 * argv parser and must name a real command and only options that command knows; shell blocks pass
 * `bash -n`; JSON parses. A failing example is fixed in the doc, never skipped.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { BOOLEAN_FLAGS, parseArgs } from '../../packages/cli/src/args.js';
import { HELP } from '../../packages/cli/src/help.js';
import { compileSchema, REPO } from '../e2e/wrapper-support.js';
import { runProcess } from '../support/github-runner.js';

interface Block {
  file: string;
  line: number;
  lang: string;
  text: string;
}

/** PACKAGE_READMES are READMEs outside docs/ that users copy examples from. */
const PACKAGE_READMES = ['gitlab-templates/README.md', 'packages/cloudbuild-step/README.md'];

function markdownFiles(): string[] {
  const out = [join(REPO, 'README.md'), ...PACKAGE_READMES.map((p) => join(REPO, p))];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.md')) out.push(p);
    }
  };
  walk(join(REPO, 'docs'));
  return out;
}

/** blocks extracts fenced blocks (``` or ~~~, with an info string) with their starting line. */
function blocks(file: string): Block[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i] as string);
    if (!open) continue;
    const fence = open[2] as string;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] as string).trim().startsWith(fence))
      body.push(lines[j++] as string);
    if (j >= lines.length) throw new Error(`${relative(REPO, file)}:${i + 1}: unterminated code fence`);
    out.push({
      file: relative(REPO, file),
      line: i + 1,
      lang: (open[3] ?? '').toLowerCase(),
      text: body.join('\n'),
    });
    i = j;
  }
  return out;
}

// ---- known commands and options, derived from the CLI's own sources ----

function read(path: string): string {
  return readFileSync(join(REPO, path), 'utf8');
}
function flagsIn(text: string): Set<string> {
  return new Set([...text.matchAll(/--(?:no-)?([a-z][a-z0-9-]*)/g)].map((m) => m[1] as string));
}
/** inputsIn lists the input names a source file reads (`input.string('role-arn'`, `opt('mount')`, …). */
function inputsIn(text: string): Set<string> {
  return new Set(
    [
      ...text.matchAll(
        /\b(?:input\.\w+|required|opt|optional|list|flag|bool|string|boolean)\(\s*'([a-z][a-z0-9-]*)'/g,
      ),
      // helpers that take the reader first: roleArn(input, 'role-arn', true)
      ...text.matchAll(/\b\w+\(\s*input,\s*'([a-z][a-z0-9-]*)'/g),
    ].map((m) => m[1] as string),
  );
}
function sourcesUnder(dir: string): string {
  const texts: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) texts.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(REPO, dir));
  return texts.join('\n');
}

const COMMANDS = Object.keys(HELP).filter((k) => k !== 'main');
const TARGET_NAMES = readdirSync(join(REPO, 'packages/targets/src')).filter(
  (n) => n !== 'shared' && statSync(join(REPO, 'packages/targets/src', n)).isDirectory(),
);
const COMMON = new Set([
  ...BOOLEAN_FLAGS,
  'platform',
  'token-var',
  'token-file',
  'private-dir',
  'format',
  'output-file',
  'circleci-token-version',
]);
const TARGET_INPUTS = new Set([
  ...inputsIn(sourcesUnder('packages/targets/src')),
  ...inputsIn(sourcesUnder('packages/core/src')),
]);
const known: Record<string, Set<string>> = {};
for (const cmd of COMMANDS) {
  const set = new Set([...COMMON, ...flagsIn(HELP[cmd] ?? '')]);
  let file = '';
  try {
    file = read(`packages/cli/src/commands/${cmd}.ts`);
  } catch {
    // a command implemented elsewhere (its help still lists its options)
  }
  for (const n of inputsIn(file)) set.add(n);
  if (['exchange', 'run', 'credential-process'].includes(cmd)) for (const n of TARGET_INPUTS) set.add(n);
  known[cmd] = set;
}

/** shellWords splits one command line the way sh quotes it (no expansion); stops at ; | & and #. */
function shellWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new Error(`unterminated ' in: ${line}`);
      cur += line.slice(i + 1, end);
      i = end;
      has = true;
    } else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\') j++;
        cur += line[j] ?? '';
        j++;
      }
      if (j >= line.length) throw new Error(`unterminated " in: ${line}`);
      i = j;
      has = true;
    } else if (c === '\\') {
      cur += line[++i] ?? '';
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else if (!has && (c === '#' || c === ';' || c === '|' || c === '&')) {
      break;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

const INVOCATION = /(?:^|[\s;&|(])((?:federate|npx --yes @federate\/cli@\S+|node \S*federate\.mjs)\s.*)$/;

/** federateCommands finds `federate …` invocations in shell text (continuations joined). */
function federateCommands(text: string): string[] {
  const out: string[] = [];
  for (let raw of text.replace(/\\\n/g, ' ').split('\n')) {
    raw = raw.replace(/^\s*\$\s+/, '').trim();
    if (raw.startsWith('#')) continue;
    const m = INVOCATION.exec(raw);
    if (m) out.push(m[1] as string);
  }
  return out;
}

/** commandProblems checks one invocation: parses, names a command, uses only known options. */
function commandProblems(line: string): string[] {
  const words = shellWords(line);
  const start = words[0] === 'npx' ? 3 : words[0] === 'node' ? 2 : 1;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(words.slice(start));
  } catch (e) {
    return [`${line}: ${e instanceof Error ? e.message : String(e)}`];
  }
  const cmd = parsed.command;
  if (parsed.flags['version'] && cmd === undefined) return [];
  if (!cmd || !COMMANDS.includes(cmd)) return [`${line}: unknown command ${String(cmd)}`];
  const problems: string[] = [];
  const allowed = known[cmd] as Set<string>;
  for (const f of Object.keys(parsed.flags))
    if (!allowed.has(f)) problems.push(`${line}: ${cmd} has no option --${f}`);
  const target = parsed.flags['target'];
  if (target && !TARGET_NAMES.includes(target)) problems.push(`${line}: unknown target ${target}`);
  if (parsed.positionals.length)
    problems.push(`${line}: unexpected arguments ${parsed.positionals.join(' ')}`);
  return problems;
}

// ---- YAML by shape ----

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const validators = {
  github: compileSchema('github-workflow.schema.json'),
  gitlab: compileSchema('gitlab-ci.schema.json', '/definitions/body'),
  circleci: compileSchema('circleci-orb.schema.json', '/definitions/config'),
  cloudbuild: compileSchema('cloudbuild.schema.json'),
};
const OCTO_STS_KEYS = [
  'issuer',
  'issuer_pattern',
  'subject',
  'subject_pattern',
  'audience',
  'audience_pattern',
  'claim_pattern',
  'permissions',
  'repositories',
];

function isMap(v: Json | undefined): v is { [k: string]: Json } {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** shellLines collects run/script/command strings anywhere in a document. */
function shellLines(v: Json, key = ''): string[] {
  if (typeof v === 'string')
    return ['run', 'script', 'before_script', 'after_script', 'command'].includes(key) ? [v] : [];
  if (Array.isArray(v)) return v.flatMap((x) => shellLines(x, key));
  if (isMap(v)) return Object.entries(v).flatMap(([k, x]) => shellLines(x, k));
  return [];
}

function embeddedExchanges(v: Json): string[] {
  if (Array.isArray(v)) return v.flatMap(embeddedExchanges);
  if (isMap(v))
    return Object.entries(v).flatMap(([k, x]) =>
      k === 'exchanges' && typeof x === 'string' ? [x] : embeddedExchanges(x),
    );
  return [];
}

function shapeOf(doc: Json): string | undefined {
  if (isMap(doc) && 'jobs' in doc && 'on' in doc) return 'github';
  if (isMap(doc) && (doc['version'] === 2.1 || doc['version'] === '2.1')) return 'circleci';
  if (isMap(doc) && Array.isArray(doc['steps'])) return 'cloudbuild';
  if (isMap(doc) && 'issuer' in doc && ('subject' in doc || 'subject_pattern' in doc)) return 'octo-sts';
  if (Array.isArray(doc) && doc.length > 0 && doc.every((x) => isMap(x) && typeof x['target'] === 'string'))
    return 'exchanges';
  if (
    isMap(doc) &&
    ('include' in doc || Object.values(doc).some((j) => isMap(j) && ('extends' in j || 'script' in j)))
  )
    return 'gitlab';
  return undefined;
}

function yamlProblems(text: string): string[] {
  const problems: string[] = [];
  for (const d of parseAllDocuments(text)) {
    if (d.errors.length) return d.errors.map((e) => e.message);
    const doc = d.toJS() as Json;
    const shape = shapeOf(doc);
    if (!shape) {
      problems.push(
        'YAML of no known shape (GitHub workflow, GitLab CI, CircleCI, Cloud Build, exchanges, octo-sts)',
      );
      continue;
    }
    if (shape === 'github' || shape === 'gitlab' || shape === 'circleci' || shape === 'cloudbuild')
      problems.push(...validators[shape](doc).map((e) => `${shape}: ${e}`));
    if (shape === 'exchanges')
      for (const item of doc as Array<{ [k: string]: Json }>) {
        const t = String(item['target']);
        if (!TARGET_NAMES.includes(t)) problems.push(`exchanges: unknown target ${t}`);
        for (const k of Object.keys(item))
          if (!['target', 'id', 'audience'].includes(k) && !TARGET_INPUTS.has(k))
            problems.push(`exchanges: unknown option ${k}`);
      }
    if (shape === 'octo-sts' && isMap(doc))
      for (const k of Object.keys(doc))
        if (!OCTO_STS_KEYS.includes(k)) problems.push(`octo-sts policy: unknown key ${k}`);
    // `exchanges:` inputs of the action, the orb and the component are checked like a file.
    for (const inner of embeddedExchanges(doc)) problems.push(...yamlProblems(inner));
    for (const s of shellLines(doc))
      for (const c of federateCommands(s)) problems.push(...commandProblems(c));
  }
  return problems;
}

const ALL = markdownFiles().flatMap(blocks);
const SHELL = new Set(['sh', 'bash', 'shell', 'console']);
const label = (b: Block) => [`${b.file}:${b.line}`, b] as const;

describe('documentation examples', () => {
  it('covers the README, the platform and target pages and every error code', () => {
    const files = new Set(ALL.map((b) => b.file));
    for (const p of ['github', 'gitlab', 'circleci', 'cloudbuild', 'other-ci'])
      expect(files, p).toContain(`docs/platforms/${p}.md`);
    for (const t of ['aws', 'gcp', 'azure', 'vault', 'oauth', 'octo-sts', 'okta-pa'])
      expect(files, t).toContain(`docs/targets/${t}.md`);
    for (const p of PACKAGE_READMES) expect(files, p).toContain(p);
    const codes = [...read('packages/core/src/errors.ts').matchAll(/\| '(ERR_[A-Z_]+)'/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(30);
    const headings = new Set(
      [...read('docs/troubleshooting.md').matchAll(/^### (ERR_[A-Z_]+)$/gm)].map((m) => m[1]),
    );
    for (const c of codes) expect(headings, c).toContain(c);
    const readme = read('README.md');
    expect(readme.indexOf('npm run demo')).toBeGreaterThan(0);
    expect(readme.indexOf('npm run demo')).toBeLessThan(readme.indexOf('## Why'));
  });

  it('uses only languages the test can check', () => {
    const unknown = ALL.filter((b) => ![...SHELL, 'yaml', 'yml', 'json'].includes(b.lang));
    expect(unknown.map((b) => `${b.file}:${b.line} \`\`\`${b.lang}`)).toEqual([]);
  });

  it.each(ALL.filter((b) => b.lang === 'yaml' || b.lang === 'yml').map(label))(
    '%s (yaml) parses and validates',
    (_, b) => {
      expect(yamlProblems(b.text)).toEqual([]);
    },
  );

  it.each(ALL.filter((b) => SHELL.has(b.lang)).map(label))(
    '%s (shell) passes bash -n and every federate command parses',
    async (_, b) => {
      const script =
        b.lang === 'console'
          ? b.text
              .split('\n')
              .filter((l) => l.startsWith('$ '))
              .map((l) => l.slice(2))
              .join('\n')
          : b.text;
      const syntax = await runProcess('/bin/bash', ['-n'], { input: script });
      expect(syntax.stderr).toBe('');
      expect(syntax.status).toBe(0);
      expect(federateCommands(script).flatMap(commandProblems)).toEqual([]);
    },
  );

  it.each(ALL.filter((b) => b.lang === 'json').map(label))('%s (json) parses', (_, b) => {
    expect(() => JSON.parse(b.text)).not.toThrow();
  });

  it('the checker rejects an unknown option, an unknown command and a YAML of no known shape', () => {
    expect(commandProblems('federate exchange --target aws --role-arnn x')).not.toEqual([]);
    expect(commandProblems('federate exchnage --target aws')).not.toEqual([]);
    expect(commandProblems('federate trust --platform github --target aws --bogus-flag 1')).not.toEqual([]);
    expect(commandProblems('federate exchange --target aws --role-arn x --region us-east-1')).toEqual([]);
    expect(yamlProblems('on: push\njobs:\n  a:\n    steps: []\n')).not.toEqual([]);
    expect(yamlProblems('just: a map\n')).not.toEqual([]);
  });
});
