/**
 * trust.ts: `federate trust`: print the least-privilege server-side configuration that trusts
 * exactly the named workload (raw JSON, Terraform, or CLI commands).
 */
import { InputReader, SecretRegistry, throwIfIssues } from '@federate/core';
import { generateTrust } from '@federate/trust';
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
        projectId: opt('project-id'),
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

/** runTrust is `federate trust`. */
export async function runTrust(args: ParsedArgs, io: Io, _secrets = new SecretRegistry()): Promise<number> {
  const result = generateTrust(trustRequest(args.flags));
  io.stdout(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
  for (const w of result.warnings) io.stderr(`warning: ${w}\n`);
  return EXIT_OK;
}
