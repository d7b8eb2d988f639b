/**
 * wrapper-coverage.test.ts: the orb's `exchange` command and the GitLab component's `exchange`
 * template expose every option every target reads, each under its snake_case name, and each
 * reaches the CLI as the right FEDERATE_* variable. The authoritative list is what the targets'
 * parsers ask for (as in actions/exchange/src/action-yml.test.ts). Mapping is checked by running
 * the real step scripts with a stand-in CLI that records the FEDERATE_* variables it was given.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMON_INPUTS, InputReader } from '@federate/core';
import { TARGETS } from '@federate/targets';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_PLATFORM_INPUTS } from '../../packages/cli/src/platform.js';
import { LeakScanner } from '../support/leak-scanner.js';
import {
  baseEnv,
  gitlabJobVariables,
  gitlabTemplate,
  type OrbCommand,
  type OrbParam,
  orbRunSteps,
  orbStepEnvironment,
  packOrb,
  REPO,
  run,
  type Workspace,
  workspace,
} from './wrapper-support.js';

/** inputsOf lists what a target's parser asks for (kebab-case). */
function inputsOf(name: string): string[] {
  const reader = new InputReader({});
  (TARGETS[name] as { parse(r: InputReader, env: object): unknown }).parse(reader, {});
  return reader.inputsRead();
}

const snake = (kebab: string) => kebab.replace(/-/g, '_');
const variableOf = (kebab: string) => `FEDERATE_${snake(kebab).toUpperCase()}`;

/**
 * SECRETS are inputs no wrapper takes as a parameter or input: a value typed into config.yml or
 * .gitlab-ci.yml is stored in the repository and shown in the pipeline's configuration views.
 */
const SECRETS: Record<string, { reason: string; orb: string; gitlab: string }> = {
  'client-secret': {
    reason: 'oauth client secret: a credential, so it lives in the CI platform secret store',
    orb: 'client_secret_env: the env_var_name parameter naming a project or context variable',
    gitlab: 'a masked CI/CD variable mapped in the job: `FEDERATE_CLIENT_SECRET: $MY_SECRET`',
  },
  'api-key': {
    reason: 'pingone-privilege workload API key: a credential',
    orb: 'api_key_env: the env_var_name parameter (the target reads the named variable)',
    gitlab: 'api_key_env, or a masked CI/CD variable named PINGONE_PRIVILEGE_API_KEY',
  },
};

/**
 * ALIASES are the orb's vault parameters' first names, kept so existing configurations still work.
 * The GitLab component was never released under them, so it has none (see the test below).
 */
const ALIASES: Record<string, string> = {
  vault_url: 'url',
  vault_role: 'role',
  vault_path: 'path',
  vault_namespace: 'namespace',
};

/** ORB_RENAMED are orb parameters whose CLI input is not their own name. */
const ORB_RENAMED: Record<string, string> = {
  token_version: 'circleci-token-version',
  client_secret_env: 'client-secret',
};

const targetNames = Object.keys(TARGETS);
const targetInputs = new Map<string, string[]>();
for (const t of targetNames)
  for (const i of inputsOf(t)) targetInputs.set(i, [...(targetInputs.get(i) ?? []), t]);
const readByCli = new Set<string>([...targetInputs.keys(), ...COMMON_INPUTS, ...CLI_PLATFORM_INPUTS]);

/** STUB_CLI stands in for federate.mjs: it records the FEDERATE_* variables and argv it was given. */
const STUB_CLI = `
import { writeFileSync } from 'node:fs';
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('FEDERATE_') && k !== 'FEDERATE_CLI'));
writeFileSync(process.env.COVERAGE_DUMP, JSON.stringify({ argv: process.argv.slice(2), env }));
`;

interface Seen {
  argv: string[];
  env: Record<string, string>;
}

describe('wrapper coverage: every target option in the orb and the GitLab component', () => {
  let exchange: OrbCommand;
  let orbParams: Record<string, OrbParam>;
  const component = gitlabTemplate('exchange');
  const componentJob = component.jobs['.federate-exchange'];

  beforeAll(async () => {
    exchange = (await packOrb()).orb.commands['exchange'] as OrbCommand;
    orbParams = exchange.parameters ?? {};
  });

  it('every target reads only inputs the shared list knows, secrets included', () => {
    for (const name of Object.keys(SECRETS)) expect(targetInputs.has(name), name).toBe(true);
    expect([...targetNames].sort()).toEqual(
      ['aws', 'azure', 'gcp', 'oauth', 'octo-sts', 'okta-pa', 'pingone-privilege', 'vault'].sort(),
    );
  });

  it('the orb has a parameter for every input every target reads (secrets by env_var_name)', () => {
    const missing: string[] = [];
    for (const [input, readers] of targetInputs) {
      if (input in SECRETS) continue;
      if (!(snake(input) in orbParams)) missing.push(`${readers.join(',')}: ${snake(input)}`);
    }
    expect(missing).toEqual([]);
    for (const [secret, how] of Object.entries(SECRETS)) {
      expect(orbParams[snake(secret)], `${secret} must not be a parameter: ${how.reason}`).toBeUndefined();
      const carrier = how.orb.split(':')[0] as string;
      expect(orbParams[carrier]?.type, `${secret}: ${how.orb}`).toBe('env_var_name');
    }
    expect([...(orbParams['target']?.enum ?? [])].sort()).toEqual(['', ...targetNames].sort());
  });

  it('the component has an input for every input every target reads (secrets as masked variables)', () => {
    const missing: string[] = [];
    for (const [input, readers] of targetInputs) {
      if (input in SECRETS) continue;
      if (!(snake(input) in component.inputs)) missing.push(`${readers.join(',')}: ${snake(input)}`);
    }
    expect(missing).toEqual([]);
    for (const [secret, how] of Object.entries(SECRETS)) {
      expect(component.inputs[snake(secret)], `${secret}: ${how.reason}`).toBeUndefined();
      // The template must not set the secret's variable, or it would override the job's masked one.
      expect(Object.keys(componentJob?.variables ?? {})).not.toContain(variableOf(secret));
    }
    const readme = readFileSync(join(REPO, 'gitlab-templates/README.md'), 'utf8');
    expect(readme).toMatch(/FEDERATE_CLIENT_SECRET: \$[A-Z_]+/);
    expect(readme).toMatch(/masked/i);
    expect([...(component.inputs['target']?.options ?? [])].sort()).toEqual(['', ...targetNames].sort());
  });

  it('no orb parameter and no component input is dead: the CLI reads each one', () => {
    const dead = (name: string, renamed: Record<string, string>) => {
      const input = renamed[name] ?? (ALIASES[name] ?? name).replace(/_/g, '-');
      return !readByCli.has(input) && !(input in SECRETS);
    };
    expect(Object.keys(orbParams).filter((p) => dead(p, ORB_RENAMED))).toEqual([]);
    expect(Object.keys(component.inputs).filter((p) => dead(p, {}))).toEqual([]);
    // One name per option: two inputs feeding one variable would silently concatenate.
    for (const alias of Object.keys(ALIASES)) expect(component.inputs[alias], alias).toBeUndefined();
  });

  describe('each parameter reaches the CLI as its FEDERATE_* variable', () => {
    let ws: Workspace;
    let stub: string;
    let dump: string;
    beforeAll(() => {
      ws = workspace('coverage');
      stub = ws.path('stub-cli.mjs');
      dump = ws.path('seen.json');
      writeFileSync(stub, STUB_CLI);
      return () => ws.dispose();
    });

    // A secret with a `$` in it: it must arrive as it is, never through `circleci env subst`.
    const clientSecret = `cs-$HOME-${'x'.repeat(6)}-${Date.now().toString(36)}`;

    /** orbValue picks a value for a parameter that differs from its default, and what the CLI should see. */
    function orbValue(name: string, def: OrbParam): { given: string | boolean; seen: string } {
      if (def.type === 'boolean') return { given: !def.default, seen: String(!def.default) };
      if (def.type === 'enum') {
        const v = (def.enum ?? []).find((e) => e !== '' && e !== def.default) as string;
        return { given: v, seen: v };
      }
      if (def.type === 'env_var_name') return { given: `COVERAGE_${name.toUpperCase()}`, seen: '' };
      return { given: `v-${name}`, seen: `v-${name}` };
    }

    async function runOrb(
      given: Record<string, string | boolean>,
      extraEnv: Record<string, string>,
      scanner: LeakScanner,
    ) {
      const step = orbRunSteps(exchange)[0];
      if (!step) throw new Error('exchange has no run step');
      const script = ws.path('exchange-step.sh');
      writeFileSync(script, step.command);
      const env = {
        ...baseEnv(ws.root),
        CIRCLECI: 'true',
        BASH_ENV: ws.path('bash_env'),
        FEDERATE_CLI: stub,
        COVERAGE_DUMP: dump,
        ...extraEnv,
        ...orbStepEnvironment(step, orbParams, given),
      };
      writeFileSync(dump, '');
      // Traced, as a user's `bash -x` would: the step must switch tracing off before secrets move.
      const res = await run('/bin/bash', ['-x', '-eo', 'pipefail', script], { env, cwd: ws.root, scanner });
      const text = readFileSync(dump, 'utf8');
      return { res, seen: text ? (JSON.parse(text) as Seen) : undefined };
    }

    it('orb: every parameter, set to a non-default value, arrives as FEDERATE_<NAME> (xtrace on, nothing leaks)', async () => {
      const scanner = new LeakScanner();
      scanner.secret(clientSecret, 'client secret');
      const given: Record<string, string | boolean> = {};
      const expected: Record<string, string> = { FEDERATE_PLATFORM: 'circleci' };
      for (const [name, def] of Object.entries(orbParams)) {
        if (name in ALIASES) continue;
        const v = orbValue(name, def);
        given[name] = v.given;
        expected[variableOf(ORB_RENAMED[name] ?? name)] = v.seen;
      }
      // env_var_name parameters name a variable; the CLI sees the secret or the name, as documented.
      expected['FEDERATE_CLIENT_SECRET'] = clientSecret;
      expected['FEDERATE_API_KEY_ENV'] = 'COVERAGE_API_KEY_ENV';
      const { res, seen } = await runOrb(
        given,
        { COVERAGE_CLIENT_SECRET_ENV: clientSecret, COVERAGE_API_KEY_ENV: 'k' },
        scanner,
      );
      expect(res.code, res.stderr).toBe(0);
      expect(seen?.argv).toEqual(['exchange']);
      const got = seen?.env ?? {};
      const wrong = Object.entries(expected).filter(([k, v]) => got[k] !== v);
      expect(wrong.map(([k]) => k)).toEqual([]);
      // Nothing else: no carrier variable or unknown name reaches the CLI.
      expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
      scanner.assertClean();
    });

    it('orb: the vault_* first names still arrive as FEDERATE_URL & co., and two different values fail', async () => {
      const scanner = new LeakScanner();
      const given = Object.fromEntries(Object.keys(ALIASES).map((a) => [a, `v-${a}`]));
      const { res, seen } = await runOrb(given, {}, scanner);
      expect(res.code, res.stderr).toBe(0);
      for (const [alias, name] of Object.entries(ALIASES))
        expect(seen?.env[variableOf(name)]).toBe(`v-${alias}`);
      expect(Object.keys(seen?.env ?? {}).filter((k) => k.startsWith('FEDERATE_ORB_'))).toEqual([]);

      const same = await runOrb({ url: 'https://v', vault_url: 'https://v' }, {}, scanner);
      expect(same.res.code, same.res.stderr).toBe(0);
      const clash = await runOrb({ url: 'https://a', vault_url: 'https://b' }, {}, scanner);
      expect(clash.res.code).toBe(2);
      expect(clash.seen).toBeUndefined();
      scanner.assertClean();
    });

    it('orb: a secret variable name that is not a name is refused before any expansion', async () => {
      const scanner = new LeakScanner();
      const marker = ws.path('pwned');
      const step = orbRunSteps(exchange)[0] as NonNullable<ReturnType<typeof orbRunSteps>[0]>;
      const script = ws.path('exchange-step.sh');
      writeFileSync(script, step.command);
      // CircleCI validates env_var_name values; the script does not rely on it.
      const env = {
        ...baseEnv(ws.root),
        BASH_ENV: ws.path('bash_env'),
        FEDERATE_CLI: stub,
        COVERAGE_DUMP: dump,
        ...orbStepEnvironment(step, orbParams, {}),
        FEDERATE_ORB_CLIENT_SECRET_ENV: `a[$(touch ${marker})]`,
      };
      writeFileSync(dump, '');
      const res = await run('/bin/bash', ['-eo', 'pipefail', script], { env, cwd: ws.root, scanner });
      expect(res.code).toBe(2);
      expect(existsSync(marker)).toBe(false);
      expect(readFileSync(dump, 'utf8')).toBe('');
    });

    /** componentValue picks a value for an input that differs from its default and passes its regex. */
    function componentValue(name: string): string {
      const spec = component.inputs[name] ?? {};
      if (spec.options) return spec.options.find((o) => o !== '' && o !== spec.default) as string;
      if (name === 'role_arn') return 'arn:aws:iam::123456789012:role/v-role_arn';
      const v = `v-${name}`;
      if (spec.regex) expect(new RegExp(spec.regex).test(v), `${name} regex`).toBe(true);
      return v;
    }

    async function runComponent(given: Record<string, string>, extraEnv: Record<string, string>) {
      const predefined = {
        CI_PROJECT_DIR: ws.path('project'),
        CI_JOB_ID: '7',
        CI_SERVER_URL: 'https://gl.example',
      };
      const env = {
        ...baseEnv(ws.root),
        GITLAB_CI: 'true',
        ...predefined,
        ...gitlabJobVariables(component, '.federate-exchange', given, predefined),
        ...extraEnv,
        FEDERATE_CLI: stub,
        COVERAGE_DUMP: dump,
      };
      writeFileSync(dump, '');
      const res = await run(
        '/bin/bash',
        ['-eo', 'pipefail', '-c', (componentJob?.before_script ?? []).join('\n')],
        {
          env,
          cwd: ws.root,
        },
      );
      const text = readFileSync(dump, 'utf8');
      return { res, seen: text ? (JSON.parse(text) as Seen) : undefined };
    }

    it('component: every input, set to a non-default value, arrives as FEDERATE_<NAME>; masked secrets pass through', async () => {
      const given: Record<string, string> = {};
      const expected: Record<string, string> = {
        FEDERATE_PLATFORM: 'gitlab',
        FEDERATE_TOKEN_VAR: 'FEDERATE_ID_TOKEN',
        FEDERATE_CLIENT_SECRET: clientSecret,
      };
      for (const name of Object.keys(component.inputs)) {
        given[name] = componentValue(name);
        expected[variableOf(name)] = given[name] as string;
      }
      // A masked project variable mapped in the job's own `variables:`.
      const { res, seen } = await runComponent(given, { FEDERATE_CLIENT_SECRET: clientSecret });
      expect(res.code, res.stderr).toBe(0);
      expect(seen?.argv).toEqual(['exchange']);
      const got = seen?.env ?? {};
      expect(
        Object.entries(expected)
          .filter(([k, v]) => got[k] !== v)
          .map(([k]) => k),
      ).toEqual([]);
      expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
    });

    it('component: each FEDERATE_* variable is set from exactly one input, never a concatenation', () => {
      const sources = new Map<string, string[]>();
      for (const [variable, value] of Object.entries(componentJob?.variables ?? {})) {
        const used = [...String(value).matchAll(/\$\[\[\s*inputs\.([a-z0-9_]+)\s*\]\]/g)].map((m) => m[1]);
        if (used.length) sources.set(variable, used as string[]);
      }
      expect(sources.size).toBeGreaterThan(0);
      expect([...sources].filter(([, used]) => used.length !== 1).map(([v]) => v)).toEqual([]);
      for (const name of ['url', 'role', 'path', 'namespace'])
        expect(sources.get(variableOf(name)), name).toEqual([name]);
    });
  });
});
