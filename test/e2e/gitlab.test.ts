/**
 * gitlab.test.ts: the GitLab CI/CD component, run by gitlab-ci-local with the shell executor in a
 * temporary git repository that includes the component locally
 * (`$CI_SERVER_FQDN/$CI_PROJECT_PATH/exchange@$CI_COMMIT_SHA`), so inputs are interpolated by a
 * real implementation of `spec: inputs`. gitlab-ci-local does not mint `id_tokens`, so the test
 * mints the token with the testkit GitLab issuer and passes it as the FEDERATE_ID_TOKEN variable
 * from a variables file (GitLab's masked variable store stands in for it). A later `script:` line
 * uses the credentials with the real AWS SDK or node-vault against the testkit emulators.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cliBundle } from '../support/bundles.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { type GitLabIssuer, startGitLabIssuer } from '../../packages/testkit/src/index.js';
import { type AwsSts, startAwsSts } from '../../packages/testkit/src/servers/aws-sts.js';
import { type GcpEmulator, startGcp } from '../../packages/testkit/src/servers/gcp.js';
import { startVault, type VaultEmulator } from '../../packages/testkit/src/servers/vault.js';
import { LeakScanner } from '../support/leak-scanner.js';
import {
  baseEnv,
  CLI_BUNDLE,
  compileSchema,
  type GcpSeen,
  hostile,
  listFiles,
  REPO,
  type RunResult,
  run,
  type Workspace,
  workspace,
  writeClients,
} from './wrapper-support.js';

const COMPONENT_DIR = join(REPO, 'gitlab-templates');
const TEMPLATES = ['exchange', 'doctor'];
const GITLAB_CI_LOCAL = join(REPO, 'test/node_modules/gitlab-ci-local/dist/index.js');
const PROJECT_PATH = 'acme/federate-components';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function templateDocs(name: string): { header: Record<string, Json>; body: Record<string, Json> } {
  const docs = parseAllDocuments(readFileSync(join(COMPONENT_DIR, 'templates', `${name}.yml`), 'utf8'));
  expect(docs).toHaveLength(2);
  for (const d of docs) expect(d.errors).toEqual([]);
  return {
    header: docs[0]?.toJS() as Record<string, Json>,
    body: docs[1]?.toJS() as Record<string, Json>,
  };
}

/** interpolations lists every `$[[ inputs.x ]]` with the path of the value holding it. */
function interpolations(value: Json, path: string[] = []): Array<{ input: string; path: string[] }> {
  if (typeof value === 'string')
    return [...value.matchAll(/\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]/g)].map((m) => ({
      input: m[1] as string,
      path,
    }));
  if (Array.isArray(value)) return value.flatMap((v, i) => interpolations(v, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      ...interpolations(k, [...path, k]),
      ...interpolations(v, [...path, k]),
    ]);
  }
  return [];
}

/** projectIncludeInputs is the inputs the component project's own .gitlab-ci.yml gives `template`. */
function projectIncludeInputs(template: string): Record<string, string> {
  const body = parseAllDocuments(readFileSync(join(COMPONENT_DIR, '.gitlab-ci.yml'), 'utf8'))[0]?.toJS() as {
    include?: Array<{ component?: string; inputs?: Record<string, string> }>;
  };
  const include = (body.include ?? []).find((i) => i.component?.includes(`/${template}@`));
  expect(include, `.gitlab-ci.yml includes ${template}`).toBeDefined();
  return include?.inputs ?? {};
}

describe('GitLab CI/CD component', () => {
  it.each(TEMPLATES)('%s: header and body validate against the GitLab CI schema subset', (name) => {
    const { header, body } = templateDocs(name);
    expect(compileSchema('gitlab-ci.schema.json', '/definitions/header')(header)).toEqual([]);
    expect(compileSchema('gitlab-ci.schema.json', '/definitions/body')(body)).toEqual([]);
  });

  it.each(TEMPLATES)(
    '%s: inputs are interpolated only into variables and id_tokens, never into scripts',
    (name) => {
      const { header, body } = templateDocs(name);
      const declared = Object.keys((header['spec'] as { inputs: Record<string, Json> }).inputs);
      const used = interpolations(body as Json);
      expect(used.length).toBeGreaterThan(0);
      for (const u of used) {
        expect(declared).toContain(u.input);
        // `.job.variables.NAME` (the whole value) or `.job.id_tokens.VAR.aud`.
        const [, section] = u.path;
        expect(['variables', 'id_tokens'], u.path.join('.')).toContain(section);
      }
      expect(new Set(used.map((u) => u.input))).toEqual(new Set(declared));
      for (const [job, def] of Object.entries(body)) {
        for (const key of ['before_script', 'script', 'after_script']) {
          const text = JSON.stringify((def as Record<string, Json>)[key] ?? '');
          expect(text, `${job}.${key}`).not.toContain('$[[');
        }
        const vars = (def as { variables?: Record<string, string> }).variables ?? {};
        for (const k of Object.keys(vars)) expect(k).toMatch(/^FEDERATE_[A-Z0-9_]+$/);
      }
      for (const [input, spec] of Object.entries(
        (header['spec'] as { inputs: Record<string, Record<string, Json>> }).inputs,
      )) {
        expect(input).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(spec['description'], input).toBeTruthy();
        if (Array.isArray(spec['options'])) expect(spec['options']).toContain(spec['default']);
      }
    },
  );

  it('its own .gitlab-ci.yml validates and releases on semver tags with the release keyword', () => {
    const doc = parseAllDocuments(readFileSync(join(COMPONENT_DIR, '.gitlab-ci.yml'), 'utf8'));
    const body = doc[0]?.toJS() as Record<string, Record<string, Json>>;
    expect(compileSchema('gitlab-ci.schema.json', '/definitions/body')(body)).toEqual([]);
    const release = Object.values(body).find((j) => j && typeof j === 'object' && 'release' in j);
    expect(release).toBeDefined();
    expect(JSON.stringify(release?.['rules'])).toContain('CI_COMMIT_TAG');
    expect(existsSync(join(COMPONENT_DIR, 'README.md'))).toBe(true);
  });

  it('its own .gitlab-ci.yml includes exchange with a complete target, so its dry run can pass', () => {
    const { header } = templateDocs('exchange');
    const specInputs = (header['spec'] as { inputs: Record<string, { options?: string[] }> }).inputs;
    const inputs = projectIncludeInputs('exchange');
    expect(inputs['dry_run']).toBe('true');
    // An empty target is ERR_CONFIG_REQUIRED (exit 2): the project's own pipeline would always fail.
    expect(inputs['target']).toBeTruthy();
    expect(specInputs['target']?.options).toContain(inputs['target']);
    for (const name of Object.keys(inputs)) expect(Object.keys(specInputs)).toContain(name);
  });

  it('no image in the component project, its templates or its README is :latest or untagged', () => {
    const images: string[] = [];
    const collect = (value: Json, key = ''): void => {
      if (key === 'image') {
        if (typeof value === 'string') images.push(value);
        else if (value && typeof value === 'object' && !Array.isArray(value))
          images.push(String(value['name']));
        return;
      }
      if (Array.isArray(value)) for (const v of value) collect(v);
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collect(v, k);
    };
    collect(
      parseAllDocuments(readFileSync(join(COMPONENT_DIR, '.gitlab-ci.yml'), 'utf8'))[0]?.toJS() as Json,
    );
    for (const name of TEMPLATES) collect(templateDocs(name).body as Json);
    const readme = readFileSync(join(COMPONENT_DIR, 'README.md'), 'utf8');
    for (const m of readme.matchAll(/```ya?ml\n([\s\S]*?)```/g))
      for (const d of parseAllDocuments(m[1] as string)) collect(d.toJS() as Json);
    // The release job's glab image and the jobs' Node images are all seen.
    expect(images.some((i) => i.startsWith('registry.gitlab.com/gitlab-org/cli'))).toBe(true);
    expect(images.some((i) => i.startsWith('node:'))).toBe(true);
    for (const image of images) {
      // A tag is the part after the last `:` that follows the last `/` (a registry port is not a tag).
      const digest = image.includes('@sha256:');
      const tag = /:([^/:@]+)$/.exec(image.split('@')[0] as string)?.[1];
      expect(digest || tag !== undefined, `${image} has no tag`).toBe(true);
      expect(tag, image).not.toBe('latest');
    }
  });

  it('pins the CLI to the component release', () => {
    const cliVersion = (
      JSON.parse(readFileSync(join(REPO, 'packages/cli/package.json'), 'utf8')) as { version: string }
    ).version;
    for (const name of TEMPLATES) {
      const text = readFileSync(join(COMPONENT_DIR, 'templates', `${name}.yml`), 'utf8');
      const pins = [...text.matchAll(/@federate\/cli@([0-9A-Za-z.+-]+)/g)].map((m) => m[1]);
      expect(pins.length).toBeGreaterThan(0);
      for (const p of pins) expect(p).toBe(cliVersion);
    }
  });

  describe('end to end with gitlab-ci-local', () => {
    // The CLI bundle is built on demand; gitlab-ci-local is a pinned devDependency: never a reason to skip.
    cliBundle();
    let gl: GitLabIssuer;
    let sts: AwsSts;
    let vault: VaultEmulator;
    let gcp: GcpEmulator;
    let markerWs: Workspace;
    const gcpProvider =
      'projects/123456789012/locations/global/workloadIdentityPools/gitlab/providers/gitlab';
    const gcpServiceAccount = 'deployer@my-project.iam.gserviceaccount.com';
    let marker: string;
    const roleArn = 'arn:aws:iam::123456789012:role/gitlab-deploy';
    const hostileRoleArn = 'arn:aws:iam::123456789012:role/gitlab-hostile';
    const awsAudience = 'sts.amazonaws.com';
    let hostileAudience: string;
    const dbPassword = `pw-${randomBytes(12).toString('hex')}`;

    beforeAll(async () => {
      markerWs = workspace('gl-marker');
      marker = markerWs.path('pwned');
      hostileAudience = hostile(marker);
      gl = await startGitLabIssuer({ claims: { project_path: PROJECT_PATH } });
      sts = await startAwsSts({
        trusted: [{ issuer: gl.issuer }],
        roles: {
          [roleArn]: {
            audiences: [awsAudience],
            conditions: { sub: `project_path:${PROJECT_PATH}:ref_type:branch:ref:*` },
          },
          [hostileRoleArn]: { audiences: [hostileAudience] },
        },
      });
      vault = await startVault({
        trusted: [{ issuer: gl.issuer }],
        mounts: {
          jwt: {
            roles: {
              'gitlab-ci': {
                role_type: 'jwt',
                bound_audiences: ['vault'],
                user_claim: 'sub',
                bound_claims: { project_path: PROJECT_PATH },
                token_policies: ['ci'],
              },
            },
          },
        },
        kv: { secret: { version: 2, data: { 'ci/db': { password: dbPassword } } } },
        policies: { ci: ['secret/data/ci/*'] },
      });
      gcp = await startGcp({
        trusted: [{ issuer: gl.issuer }],
        providers: {
          [gcpProvider]: {
            attributeMapping: { 'google.subject': 'sub', 'attribute.project_path': 'project_path' },
          },
        },
        serviceAccounts: {
          [gcpServiceAccount]: {
            allowedPrincipals: [
              `principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/gitlab/attribute.project_path/${PROJECT_PATH}`,
            ],
          },
        },
      });
    });
    afterAll(async () => {
      await Promise.all([gl?.close(), sts?.close(), vault?.close(), gcp?.close()]);
      markerWs?.dispose();
    });

    interface Pipeline {
      ws: Workspace;
      repo: string;
      variablesFile: string;
      result: RunResult;
    }

    /**
     * runPipeline writes a project that includes the component with `inputs`, and runs `job`
     * (extending .federate-exchange, `script` lines given) with gitlab-ci-local's shell executor.
     * With `project`, the repository is the component project itself: its own .gitlab-ci.yml, and
     * the named job of it runs (shell executor forced, as its jobs name Docker images).
     */
    async function runPipeline(
      scanner: LeakScanner,
      opts: {
        inputs?: Record<string, string>;
        audience: string;
        script?: string[];
        variables?: Record<string, string>;
        project?: { job: string };
      },
    ): Promise<Pipeline> {
      const ws = workspace('gl');
      const repo = ws.path('repo');
      mkdirSync(repo);
      cpSync(join(COMPONENT_DIR, 'templates'), join(repo, 'templates'), { recursive: true });
      cpSync(join(COMPONENT_DIR, 'README.md'), join(repo, 'README.md'));
      const clients = writeClients(ws.root);
      if (opts.project) {
        cpSync(join(COMPONENT_DIR, '.gitlab-ci.yml'), join(repo, '.gitlab-ci.yml'));
      } else {
        const config = {
          include: [
            {
              component: '$CI_SERVER_FQDN/$CI_PROJECT_PATH/exchange@$CI_COMMIT_SHA',
              inputs: opts.inputs ?? {},
            },
          ],
          job: { extends: '.federate-exchange', script: opts.script ?? [] },
        };
        writeFileSync(join(repo, '.gitlab-ci.yml'), stringify(config));
      }

      // gitlab-ci-local mirrors tracked files with rsync for Docker jobs; shell jobs run in place.
      const bin = ws.path('bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'rsync'), '#!/bin/sh\nfor last; do :; done\nmkdir -p "$last"\n', {
        mode: 0o755,
      });
      const home = ws.path('home');
      mkdirSync(home);
      const base = baseEnv(home);
      const env = { ...base, PATH: `${bin}:${base['PATH']}`, GIT_CONFIG_NOSYSTEM: '1' };

      const git = async (...args: string[]) => {
        const r = await run('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...args], {
          env,
          cwd: repo,
        });
        expect(r.code, r.stderr).toBe(0);
      };
      await git('init', '-q', '-b', 'main');
      await git('remote', 'add', 'origin', `git@gitlab.example.com:${PROJECT_PATH}.git`);
      await git('add', '-A');
      await git('commit', '-q', '-m', 'component under test');

      // GitLab mints id_tokens at job start; here the testkit issuer does, with the component's audience.
      const token = scanner.secret(await gl.mintFor(opts.audience), 'FEDERATE_ID_TOKEN');
      const variablesFile = ws.path('variables.yml');
      writeFileSync(
        variablesFile,
        stringify({
          FEDERATE_ID_TOKEN: token,
          // Relative: gitlab-ci-local turns a value starting with / into a file variable (a copy of that
          // one file), and the CLI's entry needs the rest of its dist/ beside it.
          FEDERATE_CLI: relative(repo, CLI_BUNDLE),
          AWS_ENDPOINT_URL_STS: sts.url,
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CLIENT: clients.aws,
          VAULT_CLIENT: clients.vault,
          GCP_CLIENT: clients.gcp,
          GCP_TOKENINFO_URL: `${gcp.url}/tokeninfo`,
          ...opts.variables,
        }),
      );
      const result = await run(
        process.execPath,
        // Paths relative to the repository: gitlab-ci-local refuses an absolute --cwd.
        [
          GITLAB_CI_LOCAL,
          '--variables-file',
          '../variables.yml',
          '--home',
          home,
          ...(opts.project ? ['--force-shell-executor', opts.project.job] : ['job']),
        ],
        { env, cwd: repo, scanner, timeoutMs: 120_000 },
      );
      return { ws, repo, variablesFile, result };
    }

    function scanPipeline(p: Pipeline, scanner: LeakScanner): void {
      // The variables file stands in for GitLab's (masked) CI/CD variable store.
      scanner.scanTree(p.ws.root, [p.variablesFile]);
      scanner.assertClean();
    }

    /** jsonLine finds the JSON object a client printed inside gitlab-ci-local's `job > ` log lines. */
    function jsonLine<T>(stdout: string): T {
      const line = stdout.split('\n').find((l) => l.includes('> {'));
      if (!line) throw new Error(`no JSON line in the job log:\n${stdout.slice(-2000)}`);
      return JSON.parse(line.slice(line.indexOf('{'))) as T;
    }

    it('exchanges for AWS in the job and a later script line calls STS with the SDK', async () => {
      const scanner = new LeakScanner();
      const before = sts.sessions.length;
      const p = await runPipeline(scanner, {
        inputs: { target: 'aws', audience: awsAudience, role_arn: roleArn, region: 'us-east-1' },
        audience: awsAudience,
        script: ['node "$AWS_CLIENT"'],
      });
      try {
        expect(p.result.code, p.result.stdout + p.result.stderr).toBe(0);
        // gitlab-ci-local validates the expanded pipeline (our component included) against
        // GitLab's own published ci.json schema, which it bundles, before running anything.
        expect(p.result.stdout + p.result.stderr).toMatch(/json schema validated/);
        const session = sts.sessions[before];
        expect(session?.roleArn).toBe(roleArn);
        scanner.secret(session?.secretAccessKey ?? '', 'AWS secret key');
        scanner.secret(session?.sessionToken ?? '', 'AWS session token');
        expect(jsonLine<{ Arn: string }>(p.result.stdout).Arn).toBe(session?.assumedRoleArn);
        // after_script ran `federate cleanup` from its own shell: the private directory is gone.
        expect(listFiles(`${p.repo}.tmp`)).toEqual([]);
        scanPipeline(p, scanner);
      } finally {
        p.ws.dispose();
      }
    });

    it('takes a hostile audience input literally: nothing runs and the export still works', async () => {
      const scanner = new LeakScanner();
      const before = sts.sessions.length;
      const p = await runPipeline(scanner, {
        inputs: { target: 'aws', audience: hostileAudience, role_arn: hostileRoleArn, region: 'us-east-1' },
        audience: hostileAudience,
        script: ['node "$AWS_CLIENT"', `test ! -e "${marker}"`],
      });
      try {
        expect(p.result.code, p.result.stdout + p.result.stderr).toBe(0);
        expect(existsSync(marker)).toBe(false);
        const session = sts.sessions[before];
        expect(session?.claims?.['aud']).toBe(hostileAudience);
        scanner.secret(session?.secretAccessKey ?? '', 'AWS secret key');
        scanner.secret(session?.sessionToken ?? '', 'AWS session token');
        expect(jsonLine<{ Arn: string }>(p.result.stdout).Arn).toBe(session?.assumedRoleArn);
        scanPipeline(p, scanner);
      } finally {
        p.ws.dispose();
      }
    });

    it('rejects a hostile role_arn input before any job runs (regex), running none of it', async () => {
      const scanner = new LeakScanner();
      const p = await runPipeline(scanner, {
        inputs: { target: 'aws', audience: awsAudience, role_arn: hostile(marker) },
        audience: awsAudience,
        script: ['true'],
      });
      try {
        expect(p.result.code).not.toBe(0);
        // Refused while the pipeline is created: the job never starts.
        expect(p.result.stdout).not.toMatch(/job starting/);
        expect(existsSync(marker)).toBe(false);
        scanPipeline(p, scanner);
      } finally {
        p.ws.dispose();
      }
    });

    it('logs in to Vault, exports a secret to the script, and after_script revokes the token', async () => {
      const scanner = new LeakScanner();
      scanner.secret(dbPassword, 'DB_PASSWORD');
      const p = await runPipeline(scanner, {
        inputs: {
          target: 'vault',
          audience: 'vault',
          url: '$VAULT_URL_FOR_TEST',
          role: 'gitlab-ci',
          secrets: 'secret/data/ci/db password | DB_PASSWORD',
        },
        audience: 'vault',
        script: ['node "$VAULT_CLIENT"'],
        variables: { VAULT_URL_FOR_TEST: vault.url },
      });
      try {
        expect(p.result.code, p.result.stdout + p.result.stderr).toBe(0);
        const issued = vault.allTokens();
        expect(issued).toHaveLength(1);
        scanner.secret(issued[0]?.id ?? '', 'VAULT_TOKEN');
        const seen = jsonLine<{ policies: string[]; dbPasswordSha: string }>(p.result.stdout);
        expect(seen.policies).toContain('ci');
        expect(seen.dbPasswordSha).toBe(createHash('sha256').update(dbPassword).digest('hex'));
        expect(issued[0]?.revoked).toBe(true);
        scanPipeline(p, scanner);
      } finally {
        p.ws.dispose();
      }
    });
    it('target gcp: impersonates through the GCP emulator and a later script line uses the credentials file with google-auth-library', async () => {
      const scanner = new LeakScanner();
      const before = gcp.count('/v1/projects/-/serviceAccounts');
      const audience = `//iam.googleapis.com/${gcpProvider}`;
      const p = await runPipeline(scanner, {
        inputs: {
          target: 'gcp',
          audience,
          workload_identity_provider: gcpProvider,
          service_account: gcpServiceAccount,
          sts_endpoint: '$GCP_URL_FOR_TEST',
          iam_credentials_endpoint: '$GCP_URL_FOR_TEST',
        },
        audience,
        script: ['node "$GCP_CLIENT"'],
        variables: { GCP_URL_FOR_TEST: gcp.url },
      });
      try {
        expect(p.result.code, p.result.stdout + p.result.stderr).toBe(0);
        const seen = jsonLine<GcpSeen>(p.result.stdout);
        expect(seen.email).toBe(gcpServiceAccount);
        expect(seen.project).toBe('my-project');
        // token_format defaults to access_token: the exchange impersonates once, the library once more.
        expect(gcp.count('/v1/projects/-/serviceAccounts') - before).toBe(2);
        // after_script's cleanup removed the credentials file and the token file with it.
        expect(listFiles(`${p.repo}.tmp`)).toEqual([]);
        scanPipeline(p, scanner);
      } finally {
        p.ws.dispose();
      }
    });

    it("the component project's own exchange-dry-run job succeeds and prints the doctor report", async () => {
      const scanner = new LeakScanner();
      const inputs = projectIncludeInputs('exchange');
      const tokensBefore = vault.allTokens().length;
      const p = await runPipeline(scanner, {
        // GitLab mints the ID token for the include's audience (the default is $CI_SERVER_URL).
        audience: inputs['audience'] ?? 'https://gitlab.example.com',
        project: { job: 'exchange-dry-run' },
      });
      try {
        expect(p.result.code, p.result.stdout + p.result.stderr).toBe(0);
        const log = p.result.stdout + p.result.stderr;
        expect(log).toContain('Verification:');
        expect(log).toContain('exchange ran in dry-run mode');
        expect(p.result.stdout).toContain(`project_path:${PROJECT_PATH}`);
        // A dry run logs in nowhere.
        expect(vault.allTokens().length).toBe(tokensBefore);
        scanPipeline(p, scanner);
      } finally {
        p.ws.dispose();
      }
    });

    it('dry_run prints the doctor report (Verification) and exchanges and exports nothing', async () => {
      const scanner = new LeakScanner();
      const before = sts.sessions.length;
      const p = await runPipeline(scanner, {
        inputs: {
          target: 'aws',
          audience: awsAudience,
          role_arn: roleArn,
          region: 'us-east-1',
          dry_run: 'true',
        },
        audience: awsAudience,
        script: ['test -z "$AWS_ACCESS_KEY_ID"'],
      });
      try {
        expect(p.result.code, p.result.stdout + p.result.stderr).toBe(0);
        expect(p.result.stdout + p.result.stderr).toContain('Verification:');
        expect(p.result.stdout).toContain(`project_path:${PROJECT_PATH}`);
        expect(sts.sessions.length).toBe(before);
        scanPipeline(p, scanner);
      } finally {
        p.ws.dispose();
      }
    });
  });
});
