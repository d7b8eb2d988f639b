/**
 * options.ts: the `gcp` target's inputs. Everything is checked here, before any request: the provider
 * resource name (a project NUMBER, a provider not a pool), the service account, which token to mint
 * and the endpoints (https, or plain http only on loopback for emulators).
 */
import type { Env, InputReader } from '@federate/core';

/** DEFAULT_UNIVERSE is Google's public cloud; Trusted Partner Clouds have their own domain. */
export const DEFAULT_UNIVERSE = 'googleapis.com';
/** DEFAULT_SCOPES is what google-github-actions/auth and the client libraries request. */
export const DEFAULT_SCOPES: readonly string[] = ['https://www.googleapis.com/auth/cloud-platform'];
/** DEFAULT_LIFETIME_MS is IAM Credentials' default and, without the org constraint, its maximum. */
export const DEFAULT_LIFETIME_MS = 3_600_000;
/** MAX_LIFETIME_MS is the ceiling with `constraints/iam.allowServiceAccountCredentialLifetimeExtension`. */
export const MAX_LIFETIME_MS = 12 * 3_600_000;

/** TokenFormat is what the exchange mints after the STS step. */
export type TokenFormat = 'access_token' | 'id_token' | 'none';

/** ProviderResource is a parsed workload identity pool provider name. */
export interface ProviderResource {
  /** name is `projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>`. */
  readonly name: string;
  readonly projectNumber: string;
  readonly pool: string;
  readonly provider: string;
}

/** GcpOptions are the parsed inputs of the `gcp` target. */
export interface GcpOptions {
  readonly provider: ProviderResource;
  readonly serviceAccount: string | undefined;
  readonly tokenFormat: TokenFormat;
  readonly scopes: readonly string[];
  readonly lifetimeMs: number;
  readonly delegates: readonly string[];
  readonly idTokenAudience: string | undefined;
  readonly idTokenIncludeEmail: boolean;
  readonly projectId: string | undefined;
  readonly universe: string;
  /** stsEndpoint is the STS base URL (no `/v1`), e.g. `https://sts.googleapis.com`. */
  readonly stsEndpoint: string;
  /** iamCredentialsEndpoint is the IAM Credentials base URL (no `/v1`). */
  readonly iamCredentialsEndpoint: string;
  readonly createCredentialsFile: boolean;
  /** credentialSource says how the external_account file gets a subject token again (docs/refresh.md). */
  readonly credentialSource: GcpCredentialSource;
  /** allowExecutables exports GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1 for the executable source. */
  readonly allowExecutables: boolean;
}

/** GcpCredentialSource is the `credential-source` input: which credential_source the file names. */
export type GcpCredentialSource = 'file' | 'url' | 'executable';

// Pool and provider ids are 4-32 characters of [a-z0-9-] (IAM docs); the `//iam.<universe>/` prefix is
// what `gcloud iam workload-identity-pools providers describe --format='value(name)'` omits and the
// STS audience includes, so users paste either.
const PROVIDER =
  /^(?:\/\/iam\.[a-z0-9.-]+\/)?projects\/([^/]+)\/locations\/([^/]+)\/workloadIdentityPools\/([^/]+)\/providers\/([^/]+)$/;
const POOL_ONLY =
  /^(?:\/\/iam\.[a-z0-9.-]+\/)?projects\/[^/]+\/locations\/[^/]+\/workloadIdentityPools\/[^/]+\/?$/;
const ID = /^[a-z0-9-]{4,32}$/;
const SA_EMAIL = /^[a-z0-9][a-z0-9._+-]*@[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$/i;
const SA_UNIQUE_ID = /^\d{10,30}$/;
// Project ids are 6-30 characters; legacy domain-scoped ids look like `example.com:my-project`.
const PROJECT_ID = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
const SA_PROJECT = /^[^@]+@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/;

/** parseProviderResource reads a provider name (with or without `//iam.googleapis.com/`), or explains why not. */
export function parseProviderResource(text: string): ProviderResource | { problem: string; hint: string } {
  const t = text.trim();
  if (POOL_ONLY.test(t))
    return {
      problem: 'names a workload identity pool, not a provider',
      hint: 'append `/providers/<provider-id>`; list them with `gcloud iam workload-identity-pools providers list --workload-identity-pool=<pool> --location=global`',
    };
  const m = PROVIDER.exec(t);
  if (!m)
    return {
      problem:
        'must be like projects/<project-number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>',
      hint: 'copy the provider `name` from `gcloud iam workload-identity-pools providers describe`',
    };
  const [, project = '', location = '', pool = '', provider = ''] = m;
  if (!/^\d+$/.test(project))
    return {
      problem: `uses the project id ${JSON.stringify(project)} where STS needs the project NUMBER`,
      hint: `find it with \`gcloud projects describe ${project} --format='value(projectNumber)'\``,
    };
  if (location !== 'global')
    return {
      problem: `has location ${JSON.stringify(location)}; workload identity pools live in \`global\``,
      hint: 'use locations/global',
    };
  if (!ID.test(pool) || !ID.test(provider))
    return {
      problem: 'has a pool or provider id that is not 4-32 characters of a-z, 0-9 and -',
      hint: 'check the ids for typos or stray characters',
    };
  return {
    name: `projects/${project}/locations/global/workloadIdentityPools/${pool}/providers/${provider}`,
    projectNumber: project,
    pool,
    provider,
  };
}

function endpoint(input: InputReader, name: string, fallback: string): string {
  const url = input.url(name);
  if (!url) return fallback;
  // Accept the base with or without the API version, the way CLOUDSDK_API_ENDPOINT_OVERRIDES_* are written.
  return url.href.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** projectFromServiceAccount derives the project id from `name@<project>.iam.gserviceaccount.com`. */
export function projectFromServiceAccount(email: string | undefined): string | undefined {
  return email === undefined ? undefined : SA_PROJECT.exec(email)?.[1];
}

/** parseGcpOptions reads the `gcp` target's inputs; every problem goes to the reader. */
export function parseGcpOptions(input: InputReader, _env: Env): GcpOptions {
  const providerText = input.required('workload-identity-provider');
  let provider: ProviderResource = { name: '', projectNumber: '', pool: '', provider: '' };
  if (providerText !== '') {
    const parsed = parseProviderResource(providerText);
    if ('problem' in parsed)
      input.problem('workload-identity-provider', 'ERR_CONFIG_PATTERN', parsed.problem, parsed.hint);
    else provider = parsed;
  }

  const serviceAccount = input.string('service-account');
  if (serviceAccount !== undefined && !SA_EMAIL.test(serviceAccount) && !SA_UNIQUE_ID.test(serviceAccount))
    input.problem(
      'service-account',
      'ERR_CONFIG_PATTERN',
      'must be a service account email (name@project.iam.gserviceaccount.com) or its numeric unique id',
    );

  const tokenFormat =
    input.oneOf<TokenFormat>('token-format', ['access_token', 'id_token', 'none'], {
      default: 'access_token',
    }) ?? 'access_token';

  const scopes = input.list('scopes');
  for (const s of scopes) {
    if (!/^https:\/\/\S+$/.test(s)) {
      input.problem(
        'scopes',
        'ERR_CONFIG_PATTERN',
        `has ${JSON.stringify(s)}; scopes are full URLs like https://www.googleapis.com/auth/cloud-platform`,
      );
      break;
    }
  }

  const lifetimeGiven = input.has('lifetime');
  const lifetimeMs =
    input.duration('lifetime', {
      min: 1000,
      max: MAX_LIFETIME_MS,
      default: DEFAULT_LIFETIME_MS,
      hint: 'more than 1h needs the org policy constraints/iam.allowServiceAccountCredentialLifetimeExtension to list the service account',
    }) ?? DEFAULT_LIFETIME_MS;
  if (lifetimeMs % 1000 !== 0)
    input.problem('lifetime', 'ERR_CONFIG_DURATION', 'must be a whole number of seconds');

  const delegates = input.list('delegates');
  for (const d of delegates) {
    const email = d.replace(/^projects\/-\/serviceAccounts\//, '');
    if (!SA_EMAIL.test(email) && !SA_UNIQUE_ID.test(email)) {
      input.problem(
        'delegates',
        'ERR_CONFIG_PATTERN',
        `has ${JSON.stringify(d)}, not a service account email`,
      );
      break;
    }
  }

  const idTokenAudience = input.string('id-token-audience');
  const idTokenIncludeEmail = input.boolean('id-token-include-email', false);

  if (serviceAccount === undefined) {
    const needsSa = [
      ...(tokenFormat === 'id_token' ? ['token-format'] : []),
      ...(lifetimeGiven ? ['lifetime'] : []),
      ...(delegates.length > 0 ? ['delegates'] : []),
    ];
    for (const name of needsSa)
      input.problem(
        name,
        'ERR_CONFIG_REQUIRED',
        name === 'token-format'
          ? 'id_token needs `service-account`: only a service account can mint ID tokens'
          : 'applies only when impersonating; set `service-account`',
        'direct Workload Identity Federation yields a federated access token with a fixed lifetime',
      );
  }
  if (tokenFormat === 'id_token' && idTokenAudience === undefined)
    input.problem(
      'id-token-audience',
      'ERR_CONFIG_REQUIRED',
      'is required with token-format id_token',
      'set it to the URL of the service that will receive the ID token (for Cloud Run, its https URL)',
    );
  if (tokenFormat !== 'id_token') {
    for (const name of ['id-token-audience', 'id-token-include-email'])
      if (input.has(name))
        input.problem(name, 'ERR_CONFIG_INVALID', 'applies only with token-format id_token');
  }

  const universe = (input.string('universe') ?? DEFAULT_UNIVERSE).toLowerCase();
  if (!DOMAIN.test(universe))
    input.problem('universe', 'ERR_CONFIG_PATTERN', 'must be a domain like googleapis.com');

  const projectId = input.string('project-id', {
    pattern: PROJECT_ID,
    patternText: 'a project id: 6-30 lowercase letters, digits and hyphens, starting with a letter',
  });

  const createCredentialsFile = input.boolean('create-credentials-file', true);
  const credentialSource =
    input.oneOf<GcpCredentialSource>('credential-source', ['file', 'url', 'executable'], {
      default: 'file',
      hint: 'url (GitHub) and executable let the client libraries fetch a fresh platform token themselves',
    }) ?? 'file';
  const allowExecutables = input.boolean('allow-executables', false);
  if (!createCredentialsFile && input.has('credential-source'))
    input.problem(
      'credential-source',
      'ERR_CONFIG_INVALID',
      'applies only with create-credentials-file: true',
    );
  if (allowExecutables && credentialSource !== 'executable')
    input.problem(
      'allow-executables',
      'ERR_CONFIG_INVALID',
      'applies only with credential-source: executable',
    );

  return {
    provider,
    serviceAccount,
    tokenFormat,
    scopes: scopes.length > 0 ? scopes : DEFAULT_SCOPES,
    lifetimeMs,
    delegates,
    idTokenAudience,
    idTokenIncludeEmail,
    projectId: projectId ?? projectFromServiceAccount(serviceAccount),
    universe,
    stsEndpoint: endpoint(input, 'sts-endpoint', `https://sts.${universe}`),
    iamCredentialsEndpoint: endpoint(input, 'iam-credentials-endpoint', `https://iamcredentials.${universe}`),
    createCredentialsFile,
    credentialSource,
    allowExecutables,
  };
}
