/**
 * known-inputs.ts: the option names each command accepts, so a typo is named as a usage error before
 * anything else happens (before platform detection, before any request). A typo that were silently
 * accepted could turn `doctor --trust-polcy` into a pass that evaluated nothing.
 */
import { COMMON_INPUTS } from '@federate/core';
import { CLI_PLATFORM_INPUTS } from './platform.js';

let cached: ReadonlySet<string> | undefined;

/** CLI_OWN_INPUTS are accepted by every command. */
const CLI_OWN_INPUTS = ['help', 'json', 'version'] as const;

/**
 * TARGET_INPUTS is every input some target reads. Written out rather than derived at start: deriving
 * it ran all eight targets' parsers on every CLI run (~3.6 ms of a cold start, docs/benchmarks.md).
 * A test checks it against what the targets really read.
 */
export const TARGET_INPUTS = [
  'address',
  'allow-executables',
  'allowed-account-ids',
  'api-key',
  'api-key-env',
  'authority-host',
  'base-url',
  'check-identity',
  'client-auth',
  'client-id',
  'client-secret',
  'connection',
  'create-credentials-file',
  'credential-source',
  'delegates',
  'domain',
  'duration',
  'endpoint',
  'env-name',
  'exchange-audience',
  'export-refresh-token',
  'export-token',
  'external-id',
  'github-api-url',
  'grant',
  'iam-credentials-endpoint',
  'id-token-audience',
  'id-token-include-email',
  'identity',
  'jwks-url',
  'kv-version',
  'lifetime',
  'managed-policy-arns',
  'mapping',
  'method',
  'namespace',
  'output',
  'path',
  'platform-token-header',
  'profile',
  'project-id',
  'refresh',
  'refresh-margin',
  'refresh-token-file',
  'region',
  'renew-before',
  'requested-token-type',
  'resource',
  'revoke',
  'role',
  'role-arn',
  'role-chain',
  'role-hint',
  'scope',
  'scopes',
  'secrets',
  'send-platform-token',
  'service-account',
  'session-name',
  'session-policy',
  'session-tags',
  'sft-path',
  'sft-timeout',
  'sts-endpoint',
  'subject-token-type',
  'subscription-id',
  'team',
  'tenant',
  'tenant-id',
  'token-field',
  'token-format',
  'token-url',
  'transitive-tag-keys',
  'universe',
  'url',
  'workload',
  'workload-identity-provider',
] as const;

/** exchangeInputs is every input some target reads, plus the run's and the CLI's own. */
export function exchangeInputs(): ReadonlySet<string> {
  cached ??= new Set<string>([...COMMON_INPUTS, ...CLI_PLATFORM_INPUTS, ...CLI_OWN_INPUTS, ...TARGET_INPUTS]);
  return cached;
}

/** DOCTOR_INPUTS are what commands/doctor.ts reads besides the platform's inputs. */
export const DOCTOR_INPUTS = [
  'audience',
  'issuer',
  'trust-policy',
  'policy-type',
  'account-id',
  'expect',
  'verify',
  'show-claims',
] as const;

/**
 * TRUST_INPUTS are what commands/trust.ts reads for some platform and target (`format` and
 * `platform` come with the platform inputs). A test checks this list against what it really reads.
 */
export const TRUST_INPUTS = [
  'target',
  // scopes
  'repository',
  'repository-id',
  'branch',
  'tag',
  'ref',
  'environment',
  'job-workflow-ref',
  'allow-pull-requests',
  'project-path',
  'project-id',
  'namespace-id',
  'ref-type',
  'protected-only',
  'host',
  'org-id',
  'vcs-origin',
  'vcs-ref',
  'user-id',
  'service-account',
  'service-account-id',
  // targets
  'account-id',
  'role-name',
  'audience',
  'partition',
  'project-number',
  'gcp-project-id',
  'pool-id',
  'provider-id',
  'gcp-service-account',
  'client-id',
  'app-object-id',
  'name',
  'mount',
  'role',
  'policies',
  'token-ttl',
  'scope',
  'identity',
] as const;

/** PER_COMMAND lists the accepted names of every command other than exchange and run. */
const PER_COMMAND: Readonly<Record<string, readonly string[]>> = {
  doctor: DOCTOR_INPUTS,
  trust: TRUST_INPUTS,
  token: ['audience'],
  cleanup: [],
  renew: ['url', 'namespace', 'increment'],
};

const perCommandCache = new Map<string, ReadonlySet<string>>();

/** knownInputsFor returns the accepted names of a command, or undefined for an unknown command. */
export function knownInputsFor(command: string | undefined): ReadonlySet<string> | undefined {
  if (command === undefined) return undefined;
  if (command === 'exchange' || command === 'run') return exchangeInputs();
  let set = perCommandCache.get(command);
  if (set) return set;
  if (command === 'credential-process')
    // It exchanges at AWS with everything else it is given (see NOT_FORWARDED there).
    set = new Set([...exchangeInputs(), 'cache-file', 'margin']);
  else {
    const own = PER_COMMAND[command];
    if (!own) return undefined;
    set = new Set([...own, ...CLI_PLATFORM_INPUTS, ...CLI_OWN_INPUTS]);
  }
  perCommandCache.set(command, set);
  return set;
}
