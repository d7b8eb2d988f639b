/**
 * refresh.ts: how later steps get AWS credentials again once these expire. `credential-process`
 * writes a profile whose `credential_process` re-runs this exchange through `federate
 * credential-process` (which caches, and re-exchanges only near expiry); `web-identity-file` hands
 * the SDKs the platform token in a file so they call AssumeRoleWithWebIdentity themselves.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html
 */
import { isoTimestamp } from '@federate/core';
import { ConfigError, type CredentialFile, type Env, fileRef, type Identity } from '@federate/core';
import { type AwsOptions, DEFAULT_AUDIENCE } from './options.js';
import type { StsCredentials } from './response.js';

/** SELF_COMMAND_ENV names the variable in which the composition root passes its own argv (a JSON array). */
export const SELF_COMMAND_ENV = 'FEDERATE_SELF_COMMAND';
/** DEFAULT_REFRESH_PROFILE is the profile name when the user names none. */
export const DEFAULT_REFRESH_PROFILE = 'federate';
/** CACHE_FILE holds the credentials `federate credential-process` returns until they near expiry. */
export const CACHE_FILE = 'aws/credential-cache.json';
/** WEB_IDENTITY_TOKEN_FILE is the platform token the SDKs read through AWS_WEB_IDENTITY_TOKEN_FILE. */
export const WEB_IDENTITY_TOKEN_FILE = 'aws/web-identity-token';

/** CachedCredentials is the cache file: credential_process output plus what it was exchanged for. */
export interface CachedCredentials {
  readonly Version: 1;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly SessionToken: string;
  readonly Expiration: string;
  /** RoleArn is the role the credentials act as (the chained role when there is one). */
  readonly RoleArn: string;
}

/** selfCommand reads the CLI's own argv from the environment, or explains why it cannot refresh. */
export function selfCommand(env: Env, input = 'refresh'): string[] {
  const text = env[SELF_COMMAND_ENV];
  let argv: unknown;
  try {
    argv = text === undefined ? undefined : JSON.parse(text);
  } catch {
    argv = undefined;
  }
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string' && a !== ''))
    throw new ConfigError([
      {
        code: 'ERR_CONFIG_INVALID',
        input,
        message:
          text === undefined
            ? 'refreshing through the CLI needs the federate CLI, and this runner does not know where it is'
            : `${SELF_COMMAND_ENV} must be a JSON array of the CLI's argv`,
        hint: 'the GitHub Action does not ship the CLI: run `npx @federate/cli exchange --refresh credential-process …` in a step, or use refresh: web-identity-file',
      },
    ]);
  return argv as string[];
}

/** shellQuote quotes one word for both `sh -c` (the JS SDK) and shlex (botocore and the AWS CLI). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_/.,:@%+=-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** tokenAudience is the audience to request again: the one this exchange's token was minted for. */
function tokenAudience(identity: Identity): string | undefined {
  if (identity.audience.length === 1) return identity.audience[0];
  return identity.audience.includes(DEFAULT_AUDIENCE) ? DEFAULT_AUDIENCE : undefined;
}

/**
 * credentialProcessArgs are the arguments after the CLI's argv: every option that shaped this
 * exchange, so the re-exchange asks for exactly the same thing. None of them is a secret.
 */
export function credentialProcessArgs(o: AwsOptions, identity: Identity, sessionName: string): string[] {
  const args = ['credential-process', '--role-arn', o.roleArn, '--region', o.region];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') args.push(`--${name}`, value);
  };
  if (o.endpointSource !== 'default') add('endpoint', o.endpoint.href);
  add('session-name', sessionName);
  add('duration', o.durationSeconds === undefined ? undefined : String(o.durationSeconds));
  add('session-policy', o.sessionPolicy);
  add('managed-policy-arns', o.managedPolicyArns.join(','));
  if (o.roleChain) {
    add('role-chain', o.roleChain.roleArn);
    add('external-id', o.roleChain.externalId);
    add('session-tags', o.roleChain.tags.map((t) => `${t.key}=${t.value}`).join(','));
    add('transitive-tag-keys', o.roleChain.transitiveTagKeys.join(','));
  }
  if (o.checkIdentity) args.push('--check-identity=true');
  add('allowed-account-ids', o.allowedAccountIds.join(','));
  add('margin', o.refreshMarginMs === undefined ? undefined : String(Math.ceil(o.refreshMarginMs / 1000)));
  add('audience', tokenAudience(identity));
  if (identity.platform !== 'unknown') add('platform', identity.platform);
  return args;
}

/** cacheContent renders the cache file (secret: it holds the keys). */
export function cacheContent(roleArn: string, c: StsCredentials): string {
  const cached: CachedCredentials = {
    Version: 1,
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    SessionToken: c.sessionToken,
    Expiration: isoTimestamp(c.expiration),
    RoleArn: roleArn,
  };
  return JSON.stringify(cached);
}

/**
 * credentialProcessFiles are the cache (seeded with these credentials, so the first SDK call costs no
 * exchange) and a config file whose profile runs `federate credential-process`. The cache path is a
 * file reference, resolved when the sink has written it; it is single-quoted for sh and shlex.
 */
export function credentialProcessFiles(
  o: AwsOptions,
  self: readonly string[],
  identity: Identity,
  sessionName: string,
  c: StsCredentials,
): CredentialFile[] {
  const profile = o.profile ?? DEFAULT_REFRESH_PROFILE;
  const argv = [...self, ...credentialProcessArgs(o, identity, sessionName)].map(shellQuote);
  const command = `${argv.join(' ')} --cache-file '${fileRef(CACHE_FILE)}'`;
  const section = profile === 'default' ? '[default]' : `[profile ${profile}]`;
  return [
    {
      name: CACHE_FILE,
      content: cacheContent(o.roleChain?.roleArn ?? o.roleArn, c),
      secret: true,
      mode: 0o600,
    },
    {
      name: 'aws/config',
      content: [section, `region = ${o.region}`, `credential_process = ${command}`, ''].join('\n'),
      secret: false,
      mode: 0o600,
      env: ['AWS_CONFIG_FILE'],
      output: 'aws-config-file',
    },
  ];
}

/** webIdentityFile is the platform token, byte for byte (the SDKs do not trim it). */
export function webIdentityFile(token: string): CredentialFile {
  return {
    name: WEB_IDENTITY_TOKEN_FILE,
    content: token,
    secret: true,
    mode: 0o600,
    env: ['AWS_WEB_IDENTITY_TOKEN_FILE'],
    output: 'aws-web-identity-token-file',
  };
}
