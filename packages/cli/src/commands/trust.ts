/**
 * trust.ts: `federate trust`: print the least-privilege server-side configuration that trusts
 * exactly the named workload (raw JSON, Terraform, or CLI commands).
 */
import { ConfigError, InputReader, SecretRegistry, throwIfIssues } from '@federate/core';
import type { generateTrust, TrustError } from '@federate/trust';
import type { ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit-codes.js';
import type { Io } from '../runtime.js';

type Request = Parameters<typeof generateTrust>[0];

/** trustRequest reads the command line into a generation request, reporting every problem at once. */
export function trustRequest(inputs: Readonly<Record<string, string>>): Request {
  const r = new InputReader(inputs);
  const platform = r.oneOf('platform', ['github', 'gitlab', 'circleci', 'cloudbuild'] as const, {
    required: true,
  });
  const target = r.oneOf('target', ['aws', 'gcp', 'azure', 'vault', 'octo-sts'] as const, { required: true });
  const format = r.oneOf('format', ['json', 'terraform', 'cli'] as const, { default: 'json' }) ?? 'json';
  const opt = (name: string) => r.string(name);
  const compact = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  let scope: object = {};
  if (platform === 'github') {
    scope = compact({
      repository: r.required('repository', { pattern: /^[\w.-]+\/[\w.-]+$/, patternText: 'owner/repo' }),
      repositoryId: opt('repository-id'),
      branch: opt('branch'),
      tag: opt('tag'),
      ref: opt('ref'),
      environment: opt('environment'),
      jobWorkflowRef: opt('job-workflow-ref'),
      allowPullRequests: r.boolean('allow-pull-requests', false) || undefined,
    });
    r.exclusive(['branch', 'tag', 'ref']);
  } else if (platform === 'gitlab') {
    scope = compact({
      projectPath: r.required('project-path'),
      projectId: opt('project-id'),
      namespaceId: opt('namespace-id'),
      ref: opt('ref'),
      refType: r.oneOf('ref-type', ['branch', 'tag'] as const),
      protectedOnly: r.boolean('protected-only', false) || undefined,
      environment: opt('environment'),
      host: opt('host'),
    });
  } else if (platform === 'circleci') {
    scope = compact({
      orgId: r.required('org-id'),
      projectId: r.required('project-id'),
      vcsOrigin: opt('vcs-origin'),
      vcsRef: opt('vcs-ref'),
      userId: opt('user-id'),
    });
  } else if (platform === 'cloudbuild') {
    scope = compact({
      serviceAccountEmail: r.required('service-account'),
      serviceAccountUniqueId: opt('service-account-id'),
    });
  }
  let params: object = {};
  if (target === 'aws')
    params = {
      aws: compact({
        accountId: r.required('account-id', { pattern: /^\d{12}$/, patternText: 'a 12-digit account id' }),
        roleName: r.required('role-name'),
        audience: opt('audience'),
        partition: opt('partition'),
      }),
    };
  if (target === 'gcp')
    params = {
      gcp: compact({
        projectNumber: r.required('project-number', {
          pattern: /^\d+$/,
          patternText: 'the numeric project number',
        }),
        // The GCP project id is its own option: --project-id is the GitLab/CircleCI scope's project.
        projectId: opt('gcp-project-id'),
        poolId: r.required('pool-id'),
        providerId: r.required('provider-id'),
        serviceAccount: opt('gcp-service-account'),
        audience: opt('audience'),
      }),
    };
  if (target === 'azure')
    params = {
      azure: compact({
        clientId: opt('client-id'),
        appObjectId: opt('app-object-id'),
        name: r.string('name') ?? 'federate',
        audience: opt('audience'),
      }),
    };
  if (target === 'vault')
    params = {
      vault: compact({
        mount: opt('mount'),
        role: r.required('role'),
        policies: r.list('policies'),
        audience: opt('audience'),
        tokenTtl: opt('token-ttl'),
      }),
    };
  if (target === 'octo-sts')
    params = {
      octoSts: compact({
        scope: r.required('scope'),
        identity: r.required('identity'),
        audience: opt('audience'),
      }),
    };
  throwIfIssues(r.issues);
  return { platform, scope, target, format, ...params } as Request;
}

// Request fields whose option name is not simply the field in kebab-case.
const OPTION_FOR: Readonly<Record<string, string>> = {
  'scope.serviceAccountEmail': 'service-account',
  'scope.serviceAccountUniqueId': 'service-account-id',
  'gcp.projectId': 'gcp-project-id',
  'gcp.serviceAccount': 'gcp-service-account',
  'octoSts.scope': 'scope',
  'octoSts.identity': 'identity',
};

/** optionForField names the command-line option behind a request field (`gcp.poolId` → `pool-id`). */
export function optionForField(field: string): string {
  return OPTION_FOR[field] ?? (field.split('.')[1] ?? field).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * trustConfigError turns the generator's TrustError into the CLI's configuration error: the option it
 * names (not the request field), the trust code for reference, and a hint; the CLI then exits 2.
 */
export function trustConfigError(error: TrustError): ConfigError {
  const field = /\b(?:scope|aws|gcp|azure|vault|octoSts)\.[A-Za-z]+/.exec(error.message)?.[0];
  const input = field ? optionForField(field) : 'trust';
  let message = error.message;
  if (field && message.startsWith(`${field} `)) message = message.slice(field.length + 1);
  else if (field) message = message.replace(field, `--${input}`);
  const hint =
    error.code === 'ERR_TRUST_UNSUPPORTED'
      ? 'use --format json or terraform instead'
      : `fix --${input}; 'federate trust --help' lists each platform's and target's options`;
  return new ConfigError(
    [{ code: 'ERR_CONFIG_INVALID', input, message: `${message} [${error.code}]`, hint }],
    { cause: error },
  );
}

/** runTrust is `federate trust`. */
export async function runTrust(args: ParsedArgs, io: Io, _secrets = new SecretRegistry()): Promise<number> {
  // Imported here, not at the top: the CLI's entry must not load the library at every start.
  const { generateTrust, TrustError } = await import('@federate/trust');
  let result: ReturnType<typeof generateTrust>;
  try {
    result = generateTrust(trustRequest(args.flags));
  } catch (error) {
    if (error instanceof TrustError) throw trustConfigError(error);
    throw error;
  }
  io.stdout(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
  for (const w of result.warnings) io.stderr(`warning: ${w}\n`);
  return EXIT_OK;
}
