/**
 * parity.test.ts: the same exchanges (AWS, then Vault, against the testkit's startScenario world)
 * through all five ways Federate runs: (a) the GitHub Action bundle on a simulated runner, (b) the
 * orb's exchange command as CircleCI runs it, (c) the GitLab component's before_script/after_script,
 * (d) the Cloud Build step (the image's entrypoint and ENV), (e) the bare CLI with `--platform file`.
 * Every platform gets the very same GitHub-issued token, so any difference is the plugin's, not the
 * issuer's. Compared: the exported names, the secret-free summary (principal, expiry, env line), and
 * the error code and hint for the same misconfiguration. A leak scanner watches every output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type GceMetadata, startGceMetadata } from '../../packages/testkit/src/index.js';
import { sendText } from '../../packages/testkit/src/http-server.js';
import { type Scenario, startScenario } from '../../packages/testkit/src/scenario.js';
import { actionDir, cliBundle } from '../support/bundles.js';
import { Job, withoutMaskCommands } from '../support/github-runner.js';
import { LeakScanner } from '../support/leak-scanner.js';
import { baseEnv, REPO, run, type Workspace, workspace } from '../e2e/wrapper-support.js';

type Exchange = 'aws' | 'vault' | 'aws-rejected';
type Platform = 'github' | 'circleci' | 'gitlab' | 'cloudbuild' | 'cli';
const PLATFORMS: Platform[] = ['github', 'circleci', 'gitlab', 'cloudbuild', 'cli'];
const REJECTED_ROLE = 'arn:aws:iam::123456789012:role/not-trusted-by-anyone';
const SECRET_LINE = 'secret/data/ci/app db_password | DB_PASSWORD';

/** Outcome is what one platform run left for a user: its log, and the names it exported. */
interface Outcome {
  code: number | null;
  log: string;
  exported: string[];
  /** outputs are GitHub's step outputs (names only); other platforms have none. */
  outputs?: string[];
}

/** SummaryFacts are the secret-free summary lines, parsed. */
interface SummaryFacts {
  ok: boolean;
  principal?: string;
  expires?: string;
  env?: string[];
  code?: string;
  hint?: string;
}

/** summaryFacts reads the text summary every sink prints (core/src/summary.ts renderSummaryText). */
function summaryFacts(log: string): SummaryFacts {
  const lines = log.split('\n').map((l) => l.replace(/^.*?(?=[✓✗]\s)/u, ''));
  const fail = lines.find((l) => l.startsWith('✗ '));
  if (fail) {
    const m = /^✗ [^:]+: (ERR_[A-Z_]+):/.exec(fail);
    const hint = lines[lines.indexOf(fail) + 1]?.match(/^\s*hint: (.*)$/)?.[1];
    return { ok: false, ...(m?.[1] ? { code: m[1] } : {}), ...(hint ? { hint } : {}) };
  }
  const at = lines.findIndex((l) => l.startsWith('✓ '));
  const head = /^✓ [^:]+: (.*?)(?:, expires (\S+))?$/.exec(lines[at] ?? '');
  const env = /^\s*env: (.*)$/.exec(lines[at + 1] ?? '')?.[1]?.split(', ');
  return {
    ok: at !== -1,
    ...(head?.[1] ? { principal: head[1] } : {}),
    ...(head?.[2] ? { expires: head[2] } : {}),
    ...(env ? { env } : {}),
  };
}

/** exportNames lists NAME from `export NAME='…'` lines (orb, component, Cloud Build, CLI shell format). */
function exportNames(text: string): string[] {
  return [...text.matchAll(/^export ([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1] as string).sort();
}

/** inputsFor gives one exchange's inputs in kebab-case (the action's and the CLI's spelling). */
function inputsFor(world: Scenario, ex: Exchange): Record<string, string> {
  if (ex === 'vault')
    return { target: 'vault', audience: 'vault', url: world.vault.url, role: 'ci', secrets: SECRET_LINE };
  return { target: 'aws', 'role-arn': ex === 'aws' ? world.roleArn : REJECTED_ROLE, region: 'us-east-1' };
}

// ---- (b) the orb: the minimum of test/e2e/circleci.test.ts's harness, copied (it is not exported) ----

interface OrbParam {
  type: string;
  default?: unknown;
}
interface OrbRunStep {
  command: string;
  environment?: Record<string, unknown>;
}
const WHOLE_PARAM = /^\s*<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>\s*$/;

/** orbStep packs the orb with its pack.mjs and returns the exchange command's run step and parameters. */
async function orbStep(): Promise<{ step: OrbRunStep; params: Record<string, OrbParam> }> {
  const mod = (await import(join(REPO, 'orbs/federate/pack.mjs'))) as {
    packOrb(src: string): {
      orb: {
        commands: Record<string, { parameters: Record<string, OrbParam>; steps: Array<{ run: OrbRunStep }> }>;
      };
    };
  };
  const cmd = mod.packOrb(join(REPO, 'orbs/federate/src')).orb.commands['exchange'];
  if (!cmd?.steps[0]) throw new Error('orb has no exchange step');
  return { step: cmd.steps[0].run, params: cmd.parameters };
}

/** orbEnvironment is CircleCI's step environment: whole parameters, booleans as 1/0. */
function orbEnvironment(step: OrbRunStep, params: Record<string, OrbParam>, given: Record<string, string>) {
  const env: Record<string, string> = {};
  for (const [k, raw] of Object.entries(step.environment ?? {})) {
    const whole = typeof raw === 'string' ? WHOLE_PARAM.exec(raw) : null;
    if (!whole) {
      env[k] = String(raw);
      continue;
    }
    const name = whole[1] as string;
    const v = given[name] ?? params[name]?.default;
    env[k] = typeof v === 'boolean' ? (v ? '1' : '0') : String(v ?? '');
  }
  return env;
}

/** orbParams maps kebab-case inputs to the orb's snake_case parameters (vault's are prefixed). */
function orbParams(inputs: Record<string, string>): Record<string, string> {
  const rename: Record<string, string> = { url: 'vault_url', role: 'vault_role' };
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [rename[k] ?? k.replace(/-/g, '_'), v]));
}

// ---- (c) the GitLab component: its template, interpolated and run as a shell job runs it ----

interface Template {
  inputs: Record<string, { default?: string }>;
  job: { variables: Record<string, string>; before_script: string[]; after_script: string[] };
}
function gitlabTemplate(): Template {
  const docs = parseAllDocuments(readFileSync(join(REPO, 'gitlab-templates/templates/exchange.yml'), 'utf8'));
  const header = docs[0]?.toJS() as { spec: { inputs: Template['inputs'] } };
  const body = docs[1]?.toJS() as Record<string, Template['job']>;
  const job = body['.federate-exchange'];
  if (!job) throw new Error('no .federate-exchange job');
  return { inputs: header.spec.inputs, job };
}

/** gitlabVariables interpolates `$[[ inputs.x ]]`, then expands $VAR/${VAR} as GitLab does for variables. */
function gitlabVariables(t: Template, given: Record<string, string>, predefined: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.job.variables)) {
    const interpolated = v.replace(/\$\[\[\s*inputs\.([a-z_]+)\s*\]\]/g, (_, n: string) => {
      const value = given[n] ?? t.inputs[n]?.default;
      if (value === undefined) throw new Error(`input ${n} has no value`);
      return value;
    });
    out[k] = interpolated.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (all, n: string) => predefined[n] ?? all);
  }
  return out;
}

describe('parity: the same exchange through the action, the orb, the component, the Cloud Build step and the CLI', () => {
  let world: Scenario;
  let metadata: GceMetadata;
  let cli: string;
  let action: string;
  let orb: Awaited<ReturnType<typeof orbStep>>;
  const results = new Map<string, Outcome>();
  const scanner = new LeakScanner();
  const workspaces: Workspace[] = [];

  function ws(prefix: string): Workspace {
    const w = workspace(prefix);
    workspaces.push(w);
    return w;
  }

  async function runOn(platform: Platform, ex: Exchange): Promise<Outcome> {
    const inputs = inputsFor(world, ex);
    const audience = inputs['audience'] ?? 'sts.amazonaws.com';
    const token = scanner.secret(await world.github.mintFor(audience), 'OIDC token');
    const sts = { AWS_ENDPOINT_URL_STS: world.aws.url };
    if (platform === 'github') {
      const job = new Job({ ...world.github.env(), ...sts });
      const main = await job.runAction(action, 'main', inputs);
      scanner.scanText('github summary', main.summary);
      await job.runAction(action, 'post', {});
      return {
        code: main.status,
        log: withoutMaskCommands(main.stdout) + main.stderr,
        exported: Object.keys(main.env).sort(),
        outputs: Object.keys(main.outputs).sort(),
      };
    }
    if (platform === 'circleci') {
      const w = ws('parity-orb');
      const bashEnv = w.path('bash_env');
      writeFileSync(bashEnv, '');
      const script = w.path('step.sh');
      writeFileSync(script, orb.step.command);
      const env = {
        ...baseEnv(w.root),
        CIRCLECI: 'true',
        CIRCLE_WORKFLOW_JOB_ID: 'a1b2c3d4-0000-4000-8000-000000000001',
        // The job's V2 token already has the exchange's audience, so the orb uses it as is.
        CIRCLE_OIDC_TOKEN_V2: token,
        BASH_ENV: bashEnv,
        TMPDIR: w.root,
        FEDERATE_CLI: cli,
        ...sts,
        ...orbEnvironment(orb.step, orb.params, orbParams(inputs)),
      };
      const res = await run('/bin/bash', ['-eo', 'pipefail', script], { env, cwd: w.root, scanner });
      const exported = exportNames(readFileSync(bashEnv, 'utf8'));
      await run('/bin/bash', ['-c', 'node "$FEDERATE_CLI" cleanup'], { env, cwd: w.root, scanner });
      return { code: res.code, log: res.stdout + res.stderr, exported };
    }
    if (platform === 'gitlab') {
      const w = ws('parity-gl');
      const t = gitlabTemplate();
      const predefined = {
        CI_PROJECT_DIR: w.path('project'),
        CI_JOB_ID: '4242',
        CI_SERVER_URL: 'https://gitlab.example.com',
      };
      // The component's `audience` input defaults to $CI_SERVER_URL (GitLab's AWS guide), not to the
      // target's default, and GitLab mints id_tokens for exactly that audience: set it explicitly.
      // The component's inputs are the CLI's option names in snake_case (no vault_* aliases).
      const snake = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k.replace(/-/g, '_'), v]));
      const given = { audience, ...snake };
      const env: Record<string, string> = {
        ...baseEnv(w.root),
        GITLAB_CI: 'true',
        ...predefined,
        ...gitlabVariables(t, given, predefined),
        FEDERATE_ID_TOKEN: token,
        FEDERATE_CLI: cli,
        ...sts,
      };
      const before = await run('/bin/bash', ['-eo', 'pipefail', '-c', t.job.before_script.join('\n')], {
        env,
        cwd: w.root,
        scanner,
      });
      let exported: string[] = [];
      try {
        exported = exportNames(readFileSync(join(env['FEDERATE_PRIVATE_DIR'] as string, 'env.sh'), 'utf8'));
      } catch {
        exported = [];
      }
      await run('/bin/bash', ['-c', t.job.after_script.join('\n')], { env, cwd: w.root, scanner });
      return { code: before.code, log: before.stdout + before.stderr, exported };
    }
    if (platform === 'cloudbuild') {
      const w = ws('parity-cb');
      const args = ['exchange', ...Object.entries(inputs).map(([k, v]) => `--${k}=${v}`)];
      const env = {
        ...baseEnv(w.root),
        ...metadata.env(),
        // The image's ENV (packages/cloudbuild-step/Dockerfile).
        FEDERATE_PLATFORM: 'cloudbuild',
        FEDERATE_WORKSPACE: w.path('workspace'),
        ...sts,
      };
      const res = await run(process.execPath, [cli, ...args], { env, cwd: w.root, scanner });
      let exported: string[] = [];
      try {
        exported = exportNames(readFileSync(w.path('workspace', '.federate', 'env.sh'), 'utf8'));
      } catch {
        exported = [];
      }
      await run(process.execPath, [cli, 'cleanup'], { env, cwd: w.root, scanner });
      return { code: res.code, log: res.stdout + res.stderr, exported };
    }
    const w = ws('parity-cli');
    writeFileSync(w.path('token.jwt'), token, { mode: 0o600 });
    const out = w.path('exports.sh');
    const args = ['exchange', '--platform', 'file', '--token-file', w.path('token.jwt'), '--format', 'shell'];
    args.push('--output-file', out, '--private-dir', w.path('private'));
    for (const [k, v] of Object.entries(inputs)) args.push(`--${k}`, v);
    const env = { ...baseEnv(w.root), ...sts };
    const res = await run(process.execPath, [cli, ...args], { env, cwd: w.root, scanner });
    let exported: string[] = [];
    try {
      exported = exportNames(readFileSync(out, 'utf8'));
    } catch {
      exported = [];
    }
    await run(process.execPath, [cli, 'cleanup', '--platform', 'file', '--private-dir', w.path('private')], {
      env,
      cwd: w.root,
      scanner,
    });
    return { code: res.code, log: res.stdout + res.stderr, exported };
  }

  beforeAll(async () => {
    cli = cliBundle();
    action = actionDir();
    orb = await orbStep();
    world = await startScenario();
    for (const v of Object.values(world.vaultSecrets)) scanner.secret(v, 'vault secret');
    // The Cloud Build metadata server hands out the same GitHub-issued token for the asked audience.
    metadata = await startGceMetadata({
      routes: async (req, res) => {
        if (!req.path.endsWith('/service-accounts/default/identity')) return false;
        const aud = req.query.get('audience') ?? '';
        sendText(res, 200, await world.github.mintFor(aud), { 'metadata-flavor': 'Google' });
        return true;
      },
    });
    for (const ex of ['aws', 'vault', 'aws-rejected'] as const)
      for (const p of PLATFORMS) {
        const before = { sessions: world.aws.sessions.length, tokens: world.vault.allTokens().length };
        results.set(`${p}/${ex}`, await runOn(p, ex));
        for (const s of world.aws.sessions.slice(before.sessions)) {
          scanner.secret(s.secretAccessKey, 'AWS secret key');
          scanner.secret(s.sessionToken, 'AWS session token');
        }
        for (const t of world.vault.allTokens().slice(before.tokens)) scanner.secret(t.id, 'Vault token');
      }
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled([world?.close(), metadata?.close()]);
    for (const w of workspaces) w.dispose();
  });

  function outcome(p: Platform, ex: Exchange): Outcome {
    const o = results.get(`${p}/${ex}`);
    if (!o) throw new Error(`no run for ${p}/${ex}`);
    return o;
  }

  it.each(['aws', 'vault'] as const)('%s: every platform succeeds with the same summary', (ex) => {
    const facts = PLATFORMS.map((p) => ({ p, o: outcome(p, ex), f: summaryFacts(outcome(p, ex).log) }));
    for (const { p, o, f } of facts) {
      expect(o.code, `${p}: ${o.log}`).toBe(0);
      expect(f.ok, `${p}: ${o.log}`).toBe(true);
      expect(f.expires, p).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    // The principal, with the AWS session name dropped: it is derived from each platform's run/job id.
    const principal = (s?: string) => s?.replace(/(assumed-role\/[^/]+)\/\S+/, '$1/<session>');
    const reference = facts[0]?.f;
    for (const { p, f } of facts) {
      expect(principal(f.principal), p).toBe(principal(reference?.principal));
      expect(f.env, p).toEqual(reference?.env);
    }
  });

  it.each(['aws', 'vault'] as const)('%s: every platform exports the names its summary lists', (ex) => {
    const reference = summaryFacts(outcome('cli', ex).log).env ?? [];
    expect(reference.length).toBeGreaterThan(0);
    // Platforms without step outputs (CircleCI, Cloud Build, the file platform) also export the
    // non-secret outputs as variables: GitHub's `aws-account-id` output is AWS_ACCOUNT_ID there.
    const asVariables = (outcome('github', ex).outputs ?? [])
      .map((o) => o.toUpperCase().replace(/-/g, '_'))
      .filter((n) => !reference.includes(n));
    for (const p of PLATFORMS) {
      const o = outcome(p, ex);
      expect(o.exported, p).toEqual(expect.arrayContaining(reference));
      const extra = o.exported.filter((n) => !reference.includes(n));
      for (const n of extra) expect(asVariables, `${p} exports ${n}`).toContain(n);
      if (p === 'github' || p === 'gitlab') expect(extra, p).toEqual([]);
    }
  });

  it('the same misconfiguration fails everywhere with the same code and hint', () => {
    const facts = PLATFORMS.map((p) => ({ p, o: outcome(p, 'aws-rejected') }));
    const ref = summaryFacts(facts[0]?.o.log ?? '');
    expect(ref.code).toBe('ERR_EXCHANGE_REJECTED');
    expect(ref.hint).toBeTruthy();
    for (const { p, o } of facts) {
      expect(o.code, p).not.toBe(0);
      const f = summaryFacts(o.log);
      expect(f.code, `${p}: ${o.log}`).toBe('ERR_EXCHANGE_REJECTED');
      expect(f.hint, p).toBe(ref.hint);
      expect(o.log, p).toContain('AccessDenied');
      expect(o.exported, p).toEqual([]);
    }
  });

  it('no secret appears in any output, file or argv', () => {
    for (const w of workspaces)
      scanner.scanTree(w.root, [
        w.path('bash_env'),
        w.path('workspace', '.federate'),
        w.path('private'),
        w.path('project.tmp'),
        w.path('exports.sh'),
        w.path('token.jwt'),
      ]);
    scanner.assertClean();
  });
});
