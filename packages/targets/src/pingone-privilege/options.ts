/**
 * options.ts: the pingone-privilege target's inputs. PingOne Privilege's onboarding guide (seed 002)
 * documents one call: `GET https://app.proxyon.cloud/pubapi/<tenant_name>/v1/workloadtokens/
 * <namespace>/<workload_identity_name>` with the workload's API key as the Bearer token, answering a
 * token that is "decoded" into cloud credentials and is valid for 60 minutes. The response format is
 * not public, so the base URL, where the token sits in the answer, and which decoded fields become
 * which variables are all options with documented defaults.
 *
 * The seed documents no use of a platform JWT: the API key alone authenticates the workload. So the
 * platform token is not sent unless `send-platform-token: header` names a header for it.
 */
import { type Env, envNameProblem, type InputReader } from '@federate/core';

/** PingOneMappingEntry maps one decoded-token field (a dotted path) to one exported variable. */
export interface PingOneMappingEntry {
  readonly env: string;
  /** path is the dotted path into the decoded token's payload (`aws.accessKeyId`, `creds.0.key`). */
  readonly path: string;
  /** optional entries may be absent from the token; required ones fail the exchange when absent. */
  readonly optional: boolean;
}

/** PingOneOptions are the pingone-privilege target's parsed inputs. */
export interface PingOneOptions {
  readonly baseUrl: URL;
  readonly tenant: string;
  readonly namespace: string;
  readonly workload: string;
  /** apiKey is a secret: never in messages, describe() or logs. */
  readonly apiKey: string;
  /** apiKeySource names where the key came from (an input or a variable), for messages. */
  readonly apiKeySource: string;
  readonly sendPlatformToken: 'none' | 'header';
  readonly platformTokenHeader: string | undefined;
  /** tokenField is a dotted path into a JSON answer; undefined = find the token (see response.ts). */
  readonly tokenField: string | undefined;
  readonly mapping: readonly PingOneMappingEntry[];
  /** mappingIsDefault relaxes the check: a cloud absent from the token is skipped, not an error. */
  readonly mappingIsDefault: boolean;
  readonly renewBeforeMs: number;
  readonly jwksUrl: URL | undefined;
}

/** DEFAULT_BASE_URL_EXAMPLE is the host PingOne Privilege's documentation shows (seed 002). */
export const DEFAULT_BASE_URL_EXAMPLE = 'https://app.proxyon.cloud';
/** DEFAULT_API_KEY_ENV is read when neither api-key nor api-key-env is given. */
export const DEFAULT_API_KEY_ENV = 'PINGONE_PRIVILEGE_API_KEY';
/** DEFAULT_RENEW_BEFORE_MS: fetch again when less than this is left of the 60-minute token. */
export const DEFAULT_RENEW_BEFORE_MS = 5 * 60_000;

/**
 * DEFAULT_MAPPING is our guess at the decoded token's shape (the vendor shows only that it carries an
 * AWS access key id, secret and session token, and GCP and Azure equivalents). Override it with
 * `mapping` when your tenant's tokens differ; `federate doctor`-style inspection of a decoded token
 * shows its field names.
 */
export const DEFAULT_MAPPING: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'aws.accessKeyId',
  AWS_SECRET_ACCESS_KEY: 'aws.secretAccessKey',
  AWS_SESSION_TOKEN: 'aws.sessionToken',
  CLOUDSDK_AUTH_ACCESS_TOKEN: 'gcp.accessToken',
  GOOGLE_OAUTH_ACCESS_TOKEN: 'gcp.accessToken',
  AZURE_ACCESS_TOKEN: 'azure.accessToken',
};

// Path segments go into the URL; joinUrl encodes them, but `.` and `..` would still walk the path.
const SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._~-]{1,128}$/;
const ENV = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;
const HEADER = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const RESERVED_HEADERS = ['authorization', 'host', 'content-length', 'cookie', 'user-agent'];

/** parseMapping validates a mapping document: `{"ENV_NAME": "dotted.path", …}`, `?` marks optional. */
export function parseMapping(doc: unknown): { entries: PingOneMappingEntry[] } | { error: string } {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    return { error: 'must be a JSON object of variable names to dotted paths' };
  const entries: PingOneMappingEntry[] = [];
  for (const [env, value] of Object.entries(doc)) {
    const problem = envNameProblem(env);
    if (problem?.kind === 'pattern') return { error: `${env} is not a variable name` };
    if (problem) return { error: `${env} cannot be exported: ${problem.reason}` };
    if (typeof value !== 'string') return { error: `the path for ${env} must be a string` };
    const optional = value.endsWith('?');
    const path = optional ? value.slice(0, -1) : value;
    if (!PATH.test(path))
      return { error: `the path for ${env} must be dotted field names like aws.accessKeyId` };
    entries.push({ env, path, optional });
  }
  if (entries.length === 0) return { error: 'must map at least one variable' };
  return { entries };
}

/** parse reads the pingone-privilege target's inputs; every problem goes to the reader. */
export function parse(input: InputReader, env: Env): PingOneOptions {
  const baseUrl = input.url('base-url', {
    required: true,
    hint: `the PingOne Privilege address, e.g. ${DEFAULT_BASE_URL_EXAMPLE} (the host its documentation shows)`,
  });
  const segment = (name: string, what: string) =>
    input.required(name, { pattern: SEGMENT, patternText: `${what} (letters, digits, . _ ~ -)` });
  const tenant = segment('tenant', 'the tenant name');
  const namespace = segment('namespace', 'the workload namespace');
  const workload = segment('workload', 'the workload identity name');

  input.exclusive(['api-key', 'api-key-env'], 'give the API key one way');
  let apiKey = input.raw('api-key')?.trim();
  let apiKeySource = 'api-key';
  if (apiKey === undefined) {
    const name =
      input.string('api-key-env', { pattern: ENV, patternText: 'a variable name' }) ?? DEFAULT_API_KEY_ENV;
    apiKeySource = name;
    apiKey = env[name]?.trim() || undefined;
    if (apiKey === undefined && !input.has('api-key-env'))
      input.problem(
        'api-key',
        'ERR_CONFIG_REQUIRED',
        `is required (or set ${DEFAULT_API_KEY_ENV})`,
        'pass the workload API key from a masked CI secret, never in plain text',
      );
    else if (apiKey === undefined)
      input.problem('api-key-env', 'ERR_CONFIG_REQUIRED', `names ${name}, which is empty or unset`);
  }

  const sendPlatformToken =
    input.oneOf('send-platform-token', ['none', 'header'] as const, { default: 'none' }) ?? 'none';
  const platformTokenHeader = input.string('platform-token-header', {
    pattern: HEADER,
    patternText: 'an HTTP header name',
  });
  if (sendPlatformToken === 'header' && platformTokenHeader === undefined)
    input.problem(
      'platform-token-header',
      'ERR_CONFIG_REQUIRED',
      'is required with send-platform-token header',
      'PingOne Privilege documents no header for a platform token; name the one your tenant expects',
    );
  if (platformTokenHeader && RESERVED_HEADERS.includes(platformTokenHeader.toLowerCase()))
    input.problem('platform-token-header', 'ERR_CONFIG_INVALID', 'must not be a header Federate sets itself');
  if (sendPlatformToken === 'none' && platformTokenHeader !== undefined)
    input.problem(
      'platform-token-header',
      'ERR_CONFIG_EXCLUSIVE',
      'has no effect unless send-platform-token is header',
    );

  const tokenField = input.string('token-field', {
    pattern: PATH,
    patternText: 'a dotted path into the JSON answer, like token or data.accessToken',
  });

  let mapping: PingOneMappingEntry[] = Object.entries(DEFAULT_MAPPING).map(([e, path]) => ({
    env: e,
    path,
    optional: true,
  }));
  const mappingIsDefault = !input.has('mapping');
  if (!mappingIsDefault) {
    const doc = input.json('mapping', { hint: '{"AWS_ACCESS_KEY_ID": "aws.accessKeyId", …}' });
    if (doc !== undefined) {
      const parsed = parseMapping(doc);
      if ('error' in parsed)
        input.problem('mapping', 'ERR_CONFIG_INVALID', parsed.error, 'see the default mapping in the README');
      else mapping = parsed.entries;
    }
  }

  const renewBeforeMs =
    input.duration('renew-before', { min: 0, max: 55 * 60_000, default: DEFAULT_RENEW_BEFORE_MS }) ??
    DEFAULT_RENEW_BEFORE_MS;
  const jwksUrl = input.url('jwks-url', {
    hint: "the URL of PingOne Privilege's token signing keys, to verify tokens instead of only decoding them",
  });

  return {
    baseUrl: baseUrl ?? new URL(DEFAULT_BASE_URL_EXAMPLE),
    tenant,
    namespace,
    workload,
    apiKey: apiKey ?? '',
    apiKeySource,
    sendPlatformToken,
    platformTokenHeader,
    tokenField,
    mapping,
    mappingIsDefault,
    renewBeforeMs,
    jwksUrl,
  };
}
