import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Claims } from '../claims.js';
import { evaluateAwsTrustPolicy } from '../policy/aws.js';
import { evaluateGcpProvider } from '../policy/gcp-cel.js';
import { evaluateVaultRole } from '../policy/vault.js';
import { generateTrust } from './index.js';
import { hclString, shellQuote } from './quote.js';
import type { GenerateFormat, GenerateRequest, GenerateTarget } from './types.js';

// ---- HCL structural check (no HCL parser is installed; this is not a substitute for one) ----

/** hclProblems returns structural problems: unbalanced brackets, bad escapes, stray interpolation. */
function hclProblems(text: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const pairs: Record<string, string> = { '}': '{', ']': '[', ')': '(' };
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      i++;
      for (;;) {
        const d = text[i];
        if (d === undefined || d === '\n') {
          problems.push(`line ${line}: unterminated string`);
          break;
        }
        if (d === '"') break;
        if (d === '\\') {
          const e = text[i + 1];
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
          else if (e !== undefined && 'nrt"\\'.includes(e)) i += 2;
          else {
            problems.push(`line ${line}: bad escape \\${e}`);
            i += 2;
          }
          continue;
        }
        if ((d === '$' || d === '%') && text[i + 1] === d && text[i + 2] === '{') {
          i += 3;
          continue;
        }
        if ((d === '$' || d === '%') && text[i + 1] === '{')
          problems.push(`line ${line}: unescaped template sequence ${d}{`);
        i++;
      }
      i++;
      continue;
    }
    if ('{[('.includes(c)) stack.push(c);
    if ('}])'.includes(c) && stack.pop() !== pairs[c]) problems.push(`line ${line}: unbalanced ${c}`);
    i++;
  }
  if (stack.length) problems.push(`unclosed ${stack.join('')}`);
  return problems;
}

/** hclUnquote decodes one HCL quoted string literal (to prove the escaping round-trips). */
function hclUnquote(lit: string): string {
  return lit
    .slice(1, -1)
    .replace(
      /\\u([0-9a-fA-F]{4})|\\(.)|\$\$\{|%%\{/g,
      (m, hex: string | undefined, ch: string | undefined) => {
        if (hex) return String.fromCharCode(Number.parseInt(hex, 16));
        if (m === '$${') return '${';
        if (m === '%%{') return '%{';
        return ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' } as Record<string, string>)[ch!]!;
      },
    );
}

// ---- Workloads, their tokens and their neighbours ----

const ORG = '0a1b2c3d-0000-4000-8000-000000000001';
const PROJ = '0a1b2c3d-0000-4000-8000-000000000002';
const USER = '0a1b2c3d-0000-4000-8000-000000000003';
const GCP_PROVIDER = 'projects/123456/locations/global/workloadIdentityPools/ci-pool/providers/ci-provider';
const AUD: Record<'aws' | 'gcp' | 'vault', string> = {
  aws: 'sts.amazonaws.com',
  gcp: `https://iam.googleapis.com/${GCP_PROVIDER}`,
  vault: 'https://vault.example.com',
};

type Platform = GenerateRequest['platform'];
interface Fixture {
  scope: Record<string, unknown>;
  token: (aud: string) => Claims;
  neighbours: Record<string, (aud: string) => Claims>;
}

const gh = (aud: string, o: Partial<Record<string, string>> = {}): Claims => {
  const repo = o['repository'] ?? 'acme/app';
  const ref = o['ref'] ?? 'refs/heads/main';
  return {
    iss: 'https://token.actions.githubusercontent.com',
    aud,
    sub: o['sub'] ?? `repo:${repo}:ref:${ref}`,
    repository: repo,
    repository_id: o['repository_id'] ?? '42',
    ref,
    event_name: o['event_name'] ?? 'push',
    job_workflow_ref: `${repo}/.github/workflows/deploy.yml@${ref}`,
  };
};
const gl = (aud: string, o: Partial<Record<string, string>> = {}): Claims => {
  const path = o['project_path'] ?? 'acme/app';
  const ref = o['ref'] ?? 'main';
  return {
    iss: 'https://gitlab.com',
    aud,
    sub: `project_path:${path}:ref_type:branch:ref:${ref}`,
    project_path: path,
    project_id: o['project_id'] ?? '42',
    namespace_id: o['namespace_id'] ?? '7',
    ref,
    ref_type: 'branch',
    ref_protected: o['ref_protected'] ?? 'true',
    pipeline_source: o['pipeline_source'] ?? 'push',
    user_login: 'dev',
  };
};
const cc = (aud: string, o: Partial<Record<string, string>> = {}): Claims => {
  const project = o['project'] ?? PROJ;
  const origin = o['origin'] ?? 'github.com/acme/app';
  const ref = o['ref'] ?? 'refs/heads/main';
  return {
    iss: `https://oidc.circleci.com/org/${ORG}`,
    aud,
    sub: `org/${ORG}/project/${project}/user/${USER}/vcs-origin/${origin}/vcs-ref/${ref}`,
    'oidc.circleci.com/org-id': ORG,
    'oidc.circleci.com/project-id': project,
    'oidc.circleci.com/vcs-origin': origin,
    'oidc.circleci.com/vcs-ref': ref,
  };
};
const cb = (aud: string, o: Partial<Record<string, string>> = {}): Claims => ({
  iss: 'https://accounts.google.com',
  aud,
  azp: o['id'] ?? '1111',
  sub: o['id'] ?? '1111',
  email: o['email'] ?? 'deployer@proj.iam.gserviceaccount.com',
});

const fixtures: Record<Platform, Fixture> = {
  github: {
    scope: {
      repository: 'acme/app',
      repositoryId: '42',
      branch: 'main',
      jobWorkflowRef: 'acme/app/.github/workflows/deploy.yml@refs/heads/main',
    },
    token: (a) => gh(a),
    neighbours: {
      'another branch': (a) => gh(a, { ref: 'refs/heads/dev' }),
      'another repo': (a) => gh(a, { repository: 'acme/other', repository_id: '43' }),
      'renamed-into repo': (a) => gh(a, { repository_id: '99' }),
      'fork PR': (a) =>
        gh(a, { sub: 'repo:acme/app:pull_request', ref: 'refs/pull/1/merge', event_name: 'pull_request' }),
      'different audience': () => gh('https://github.com/acme'),
    },
  },
  gitlab: {
    scope: { projectPath: 'acme/app', projectId: '42', namespaceId: '7', ref: 'main', protectedOnly: true },
    token: (a) => gl(a),
    neighbours: {
      'another branch': (a) => gl(a, { ref: 'dev', ref_protected: 'false' }),
      'another repo': (a) => gl(a, { project_path: 'acme/other', project_id: '43' }),
      'fork MR': (a) =>
        gl(a, {
          project_path: 'mallory/app',
          project_id: '99',
          namespace_id: '98',
          pipeline_source: 'merge_request_event',
        }),
      'different audience': () => gl('https://gitlab.com'),
    },
  },
  circleci: {
    scope: {
      orgId: ORG,
      projectId: PROJ,
      vcsOrigin: 'github.com/acme/app',
      vcsRef: 'refs/heads/main',
      userId: USER,
    },
    token: (a) => cc(a),
    neighbours: {
      'another branch': (a) => cc(a, { ref: 'refs/heads/dev' }),
      'another repo': (a) =>
        cc(a, { project: '0a1b2c3d-0000-4000-8000-000000000009', origin: 'github.com/acme/other' }),
      'fork PR': (a) => cc(a, { origin: 'github.com/mallory/app', ref: 'refs/pull/5/head' }),
      'different audience': () => cc(ORG),
    },
  },
  cloudbuild: {
    scope: { serviceAccountEmail: 'deployer@proj.iam.gserviceaccount.com', serviceAccountUniqueId: '1111' },
    token: (a) => cb(a),
    neighbours: {
      'another service account': (a) => cb(a, { id: '2222', email: 'other@proj.iam.gserviceaccount.com' }),
      'different audience': () => cb('https://example.com'),
    },
  },
};

const targetParams = {
  aws: { aws: { accountId: '123456789012', roleName: 'ci-deploy' } },
  gcp: {
    gcp: {
      projectNumber: '123456',
      poolId: 'ci-pool',
      providerId: 'ci-provider',
      serviceAccount: 'deploy@proj.iam.gserviceaccount.com',
    },
  },
  azure: { azure: { appObjectId: '00000000-0000-4000-8000-00000000000a', name: 'ci-deploy' } },
  vault: { vault: { role: 'ci-deploy', policies: ['deploy'], audience: AUD.vault } },
  'octo-sts': { octoSts: { scope: 'acme/app', identity: 'deploy' } },
} as const;

const gen = (
  platform: Platform,
  target: GenerateTarget,
  format: GenerateFormat,
  scope?: Record<string, unknown>,
) =>
  generateTrust({
    platform,
    scope: scope ?? fixtures[platform].scope,
    target,
    ...targetParams[target],
    format,
  } as unknown as GenerateRequest);

const platforms = Object.keys(fixtures) as Platform[];
const targets = Object.keys(targetParams) as GenerateTarget[];
const pairs = platforms.flatMap((p) => targets.map((t) => [p, t] as const));

describe('generateTrust: every platform × target', () => {
  it.each(pairs)('%s → %s: JSON parses, Terraform is balanced, CLI is valid sh', (platform, target) => {
    const json = gen(platform, target, 'json');
    expect(() => JSON.parse(json.text)).not.toThrow();
    expect(hclProblems(gen(platform, target, 'terraform').text)).toEqual([]);
    const cli = gen(platform, target, 'cli').text;
    expect(spawnSync('sh', ['-n'], { input: cli }).status).toBe(0);
  });
});

describe('generateTrust: round trip through the evaluators', () => {
  const evaluate = (platform: Platform, target: 'aws' | 'gcp' | 'vault', claims: Claims): string => {
    const doc = JSON.parse(gen(platform, target, 'json').text);
    if (target === 'aws')
      return evaluateAwsTrustPolicy(doc.assumeRolePolicyDocument, claims, { accountId: '123456789012' })
        .decision;
    if (target === 'vault') return evaluateVaultRole(doc, claims).decision;
    const p = doc.provider;
    return evaluateGcpProvider(
      {
        attributeMapping: p.attributeMapping,
        attributeCondition: p.attributeCondition,
        issuerUri: p.oidc.issuerUri,
        allowedAudiences: p.oidc.allowedAudiences,
        providerName: GCP_PROVIDER,
      },
      claims,
    ).decision;
  };
  const cases = platforms.flatMap((platform) =>
    (['aws', 'gcp', 'vault'] as const)
      .filter((t) => !(platform === 'cloudbuild' && t === 'gcp'))
      .flatMap((target) => [
        [platform, target, 'the named workload', 'allow'] as const,
        ...Object.keys(fixtures[platform].neighbours).map((n) => [platform, target, n, 'reject'] as const),
      ]),
  );
  it.each(cases)('%s → %s: %s → %s', (platform, target, name, want) => {
    const f = fixtures[platform];
    const claims = name === 'the named workload' ? f.token(AUD[target]) : f.neighbours[name]!(AUD[target]);
    const decision = evaluate(platform, target, claims);
    if (want === 'allow') expect(decision).toBe('allow');
    else expect(decision).not.toBe('allow');
  });

  it('pins exact values with StringEquals and uses StringLike only for patterns', () => {
    const exact = JSON.parse(gen('github', 'aws', 'json').text).assumeRolePolicyDocument.Statement[0]
      .Condition;
    expect(Object.keys(exact)).toEqual(['StringEquals']);
    expect(exact.StringEquals['token.actions.githubusercontent.com:repository_id']).toBe('42');
    const wide = generateTrust({
      platform: 'github',
      scope: { repository: 'acme/app' },
      target: 'aws',
      ...targetParams.aws,
      format: 'json',
    });
    const cond = JSON.parse(wide.text).assumeRolePolicyDocument.Statement[0].Condition;
    expect(cond.StringLike['token.actions.githubusercontent.com:sub']).toBe('repo:acme/app:*');
    expect(cond.StringNotLike['token.actions.githubusercontent.com:sub']).toBe('repo:acme/app:pull_request');
    expect(wide.warnings.some((w) => w.includes('wildcard sub'))).toBe(true);
    // The wildcard policy still rejects pull requests.
    const policy = JSON.parse(wide.text).assumeRolePolicyDocument;
    expect(evaluateAwsTrustPolicy(policy, gh('sts.amazonaws.com', { ref: 'refs/heads/dev' })).decision).toBe(
      'allow',
    );
    expect(
      evaluateAwsTrustPolicy(policy, gh('sts.amazonaws.com', { sub: 'repo:acme/app:pull_request' })).decision,
    ).toBe('implicit-deny');
  });

  it('warns about the traps', () => {
    const has = (r: { warnings: string[] }, s: string) => r.warnings.some((w) => w.includes(s));
    expect(
      has(
        generateTrust({
          platform: 'gitlab',
          scope: { projectPath: 'acme/app', ref: 'main', host: 'gitlab.example.com' },
          target: 'aws',
          ...targetParams.aws,
          format: 'json',
        }),
        'only sub and aud',
      ),
    ).toBe(true);
    expect(
      has(
        generateTrust({
          platform: 'circleci',
          scope: { orgId: ORG, projectId: PROJ },
          target: 'aws',
          ...targetParams.aws,
          format: 'json',
        }),
        'forked pull requests',
      ),
    ).toBe(true);
    expect(has(gen('gitlab', 'vault', 'json'), 'forks')).toBe(true);
    expect(
      has(
        generateTrust({
          platform: 'cloudbuild',
          scope: { serviceAccountEmail: '123-compute@developer.gserviceaccount.com' },
          target: 'aws',
          ...targetParams.aws,
          format: 'json',
        }),
        'default service account',
      ),
    ).toBe(true);
  });

  it('self-managed GitLab policies still admit the workload on sub alone', () => {
    const r = generateTrust({
      platform: 'gitlab',
      scope: { projectPath: 'acme/app', projectId: '42', ref: 'main', host: 'gitlab.example.com' },
      target: 'aws',
      ...targetParams.aws,
      format: 'json',
    });
    const policy = JSON.parse(r.text).assumeRolePolicyDocument;
    expect(Object.keys(policy.Statement[0].Condition.StringEquals)).toEqual([
      'gitlab.example.com:aud',
      'gitlab.example.com:sub',
    ]);
    expect(
      evaluateAwsTrustPolicy(policy, { ...gl('sts.amazonaws.com'), iss: 'https://gitlab.example.com' })
        .decision,
    ).toBe('allow');
  });

  it('refuses an Azure credential without an exact subject', () => {
    expect(() =>
      generateTrust({
        platform: 'github',
        scope: { repository: 'acme/app' },
        target: 'azure',
        ...targetParams.azure,
        format: 'json',
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_TRUST_INVALID_SCOPE' }));
  });

  it('rejects malformed scope values with a code', () => {
    expect(() => gen('github', 'aws', 'json', { repository: 'acme' })).toThrow(
      expect.objectContaining({ code: 'ERR_TRUST_INVALID_SCOPE' }),
    );
    expect(() => gen('circleci', 'aws', 'json', { orgId: 'x', projectId: PROJ })).toThrow(
      expect.objectContaining({ code: 'ERR_TRUST_INVALID_SCOPE' }),
    );
  });
});

describe('hostile values', () => {
  const HOSTILE = [
    "it's",
    '$(touch pwned)',
    '`touch pwned`',
    '"; touch pwned; echo "',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${...} is the hostile value under test
    '${HOME}',
    '%{ if true }x%{ endif }',
    'a\nb',
    "'\\''",
    '\\',
  ];
  const dir = mkdtempSync(join(tmpdir(), 'trust-quote-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(HOSTILE)('shellQuote survives sh: %j', (value) => {
    const r = spawnSync('sh', ['-c', `printf '%s' ${shellQuote(value)}`], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout).toBe(value);
    expect(readdirSync(dir)).not.toContain('pwned');
  });

  it.each(HOSTILE)('hclString round-trips and stays balanced: %j', (value) => {
    const lit = hclString(value);
    expect(hclProblems(`x = ${lit}`)).toEqual([]);
    expect(hclUnquote(lit)).toBe(value);
  });

  // Run each generated CLI script with fake aws/gcloud/az/vault that record their argv, and check the
  // recorded arguments equal the JSON output: nothing was expanded or split by the shell.
  const bin = join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  for (const tool of ['aws', 'gcloud', 'az', 'vault']) {
    const path = join(bin, tool);
    writeFileSync(
      path,
      `#!/bin/sh\nn=$(ls "$REC" | wc -l)\n{ for a in "$@"; do printf '%s\\0' "$a"; done; } > "$REC/$n.args"\nif [ "${tool}" = vault ]; then cat > "$REC/$n.stdin"; fi\n`,
    );
    chmodSync(path, 0o755);
  }
  const runCli = (text: string): string[][] => {
    const rec = mkdtempSync(join(dir, 'rec-'));
    const r = spawnSync('sh', ['-c', text], {
      cwd: dir,
      env: { PATH: `${bin}:/usr/bin:/bin`, REC: rec },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const files = readdirSync(rec)
      .filter((f) => f.endsWith('.args'))
      .sort();
    return files.map((f) => readFileSync(join(rec, f), 'utf8').split('\0').slice(0, -1));
  };
  const branch = `feat/it's-$(touch pwned)-\`id\`-"q"-\${HOME}-%{x}`;
  const environment = "prod 'eu' $(touch pwned)\nnext";

  it('AWS CLI passes the policy document byte for byte', () => {
    const scope = { repository: 'acme/app', branch };
    const calls = runCli(gen('github', 'aws', 'cli', scope).text);
    const create = calls.find((c) => c[1] === 'create-role')!;
    const doc = create[create.indexOf('--assume-role-policy-document') + 1]!;
    expect(JSON.parse(doc)).toEqual(
      JSON.parse(gen('github', 'aws', 'json', scope).text).assumeRolePolicyDocument,
    );
    expect(readdirSync(dir)).not.toContain('pwned');
  });

  it('gcloud CLI passes the condition byte for byte', () => {
    const scope = { repository: 'acme/app', environment };
    const calls = runCli(gen('github', 'gcp', 'cli', scope).text);
    const create = calls.find((c) => c.includes('create-oidc'))!;
    const cond = create
      .find((a) => a.startsWith('--attribute-condition='))!
      .slice('--attribute-condition='.length);
    expect(cond).toBe(JSON.parse(gen('github', 'gcp', 'json', scope).text).provider.attributeCondition);
    expect(readdirSync(dir)).not.toContain('pwned');
  });

  it('az and vault CLIs receive the exact JSON', () => {
    const scope = { repository: 'acme/app', environment };
    const az = runCli(gen('github', 'azure', 'cli', scope).text)[0]!;
    expect(JSON.parse(az[az.indexOf('--parameters') + 1]!)).toEqual(
      JSON.parse(gen('github', 'azure', 'json', scope).text),
    );
    const rec = mkdtempSync(join(dir, 'rec-'));
    const r = spawnSync('sh', ['-c', gen('github', 'vault', 'cli', scope).text], {
      cwd: dir,
      env: { PATH: `${bin}:/usr/bin:/bin`, REC: rec },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(join(rec, '0.stdin'), 'utf8'))).toEqual(
      JSON.parse(gen('github', 'vault', 'json', scope).text),
    );
    expect(readdirSync(dir)).not.toContain('pwned');
  });

  it('Terraform stays balanced and keeps the values', () => {
    for (const target of targets) {
      const scope =
        target === 'azure' ? { repository: 'acme/app', environment } : { repository: 'acme/app', branch };
      const tf = gen('github', target, 'terraform', scope).text;
      expect(hclProblems(tf)).toEqual([]);
    }
    const tf = gen('github', 'azure', 'terraform', { repository: 'acme/app', environment }).text;
    const subject = /subject\s+= ("(?:[^"\\]|\\.)*")/.exec(tf)![1]!;
    expect(hclUnquote(subject)).toBe(`repo:acme/app:environment:${environment}`);
  });
});

describe('generateTrust: Terraform parses with a real HCL parser', () => {
  // @cdktf/hcl2json is HashiCorp's hcl library compiled to WebAssembly: what `terraform` itself parses.
  const expected: Record<GenerateTarget, string[]> = {
    aws: ['aws_iam_role'],
    gcp: ['google_iam_workload_identity_pool_provider'],
    azure: ['azuread_application_federated_identity_credential'],
    vault: ['vault_jwt_auth_backend_role'],
    'octo-sts': [],
  };
  it.each(pairs)('%s → %s', async (platform, target) => {
    const { parse } = await import('@cdktf/hcl2json');
    const text = gen(platform, target, 'terraform').text;
    const doc = (await parse('main.tf', text)) as {
      resource?: Record<string, unknown>;
      locals?: unknown;
      output?: unknown;
    };
    const types = Object.keys(doc.resource ?? {});
    for (const t of expected[target]) {
      // Cloud Build → GCP binds a service account instead of creating a pool.
      if (platform === 'cloudbuild' && target === 'gcp') continue;
      expect(types, `${platform} → ${target}`).toContain(t);
    }
    expect(Object.keys(doc).length).toBeGreaterThan(0);
  });

  it('keeps hostile scope values as data inside HCL strings', async () => {
    const { parse } = await import('@cdktf/hcl2json');
    const hostile = 'acme/app"}\nresource "evil" "x" {';
    const text = gen('github', 'aws', 'terraform', {
      ...fixtures.github.scope,
      repository: 'acme/app',
      environment: hostile,
    }).text;
    const doc = (await parse('main.tf', text)) as { resource?: Record<string, unknown> };
    expect(Object.keys(doc.resource ?? {})).not.toContain('evil');
  });
});
