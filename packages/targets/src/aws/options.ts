/**
 * options.ts: the aws target's inputs, validated before any request. The endpoint follows the SDKs:
 * an explicit `endpoint`, else AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else the partition's
 * regional STS endpoint.
 */
import { checkSecureUrl, type Env, type InputReader, parseArn } from '@federate/core';

/** AwsTag is one session tag (`Key=Value`). */
export interface AwsTag {
  readonly key: string;
  readonly value: string;
}

/** RoleChain is the optional second hop: AssumeRole with the first credentials, signed with SigV4. */
export interface RoleChain {
  readonly roleArn: string;
  readonly externalId: string | undefined;
  readonly tags: readonly AwsTag[];
  readonly transitiveTagKeys: readonly string[];
}

/** AwsOptions are the aws target's parsed inputs. */
export interface AwsOptions {
  readonly roleArn: string;
  readonly partition: string;
  /** account is the role's 12-digit account id. */
  readonly account: string;
  readonly region: string;
  /** regionDefaulted is true when no region was given and us-east-1 was used (as the SDKs do). */
  readonly regionDefaulted: boolean;
  readonly endpoint: URL;
  /** endpointSource says where the endpoint came from (for describe and notes). */
  readonly endpointSource: 'input' | 'AWS_ENDPOINT_URL_STS' | 'AWS_ENDPOINT_URL' | 'default';
  /** sessionName is undefined when it should be derived from the identity at exchange time. */
  readonly sessionName: string | undefined;
  readonly durationSeconds: number | undefined;
  /** sessionPolicy is the packed (whitespace-free) JSON text. */
  readonly sessionPolicy: string | undefined;
  readonly managedPolicyArns: readonly string[];
  readonly roleChain: RoleChain | undefined;
  readonly profile: string | undefined;
  readonly checkIdentity: boolean;
  readonly allowedAccountIds: readonly string[];
  /** refresh says how later steps get credentials again after these expire (see docs/refresh.md). */
  readonly refresh: AwsRefresh;
  /** refreshMarginMs is how close to expiry `federate credential-process` re-exchanges (its `--margin`). */
  readonly refreshMarginMs: number | undefined;
}

/** AwsRefresh is the `refresh` input: none, an SDK-run `credential_process`, or an SDK-read token file. */
export type AwsRefresh = 'none' | 'credential-process' | 'web-identity-file';
/** AWS_REFRESH_MODES lists what `refresh` accepts. */
export const AWS_REFRESH_MODES: readonly AwsRefresh[] = ['none', 'credential-process', 'web-identity-file'];
/** MIN_REFRESH_MARGIN_MS is the JS SDK's own expiry window: a smaller margin makes it call the process on every request. */
export const MIN_REFRESH_MARGIN_MS = 300_000;

/** DEFAULT_AUDIENCE is the audience AWS's docs and configure-aws-credentials use. */
export const DEFAULT_AUDIENCE = 'sts.amazonaws.com';
/** DEFAULT_REGION is what the SDKs fall back to for STS when no region is configured. */
export const DEFAULT_REGION = 'us-east-1';
/** MIN_DURATION_S and MAX_DURATION_S bound DurationSeconds (the role's own maximum may be lower). */
export const MIN_DURATION_S = 900;
export const MAX_DURATION_S = 43_200;
/** MAX_POLICY_CHARS is STS's limit on the plaintext inline session policy. */
export const MAX_POLICY_CHARS = 2048;
/** MAX_POLICY_ARNS is STS's limit on managed session policies. */
export const MAX_POLICY_ARNS = 10;
const MAX_TAGS = 50;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
const PROFILE = /^[A-Za-z0-9_.-]{1,64}$/;
const ACCOUNT = /^\d{12}$/;

/** DNS_SUFFIX is each partition's domain (from the SDKs' partitions.json). */
export const DNS_SUFFIX: Readonly<Record<string, string>> = {
  aws: 'amazonaws.com',
  'aws-cn': 'amazonaws.com.cn',
  'aws-us-gov': 'amazonaws.com',
  'aws-iso': 'c2s.ic.gov',
  'aws-iso-b': 'sc2s.sgov.gov',
  'aws-iso-e': 'cloud.adc-e.uk',
  'aws-iso-f': 'csp.hci.ic.gov',
  'aws-eusc': 'amazonaws.eu',
};

/** defaultEndpoint is the regional STS endpoint of a partition (what SDK v3 uses by default). */
export function defaultEndpoint(partition: string, region: string): URL {
  return new URL(`https://sts.${region}.${DNS_SUFFIX[partition] ?? 'amazonaws.com'}/`);
}

function roleArn(input: InputReader, name: string, required: boolean) {
  const text = required ? input.required(name) : input.string(name);
  if (!text) return undefined;
  const arn = parseArn(text);
  if (
    arn?.service !== 'iam' ||
    !/^role\/(.+\/)?[\w+=,.@-]{1,64}$/.test(arn.resource) ||
    !ACCOUNT.test(arn.account)
  ) {
    input.problem(
      name,
      'ERR_CONFIG_ARN',
      'must be an IAM role ARN like arn:aws:iam::123456789012:role/name',
      'copy the ARN from the role page in the IAM console',
    );
    return undefined;
  }
  return { text, ...arn };
}

function envEndpoint(
  env: Env,
): { url: string; source: 'AWS_ENDPOINT_URL_STS' | 'AWS_ENDPOINT_URL' } | undefined {
  if (/^true$/i.test(env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'] ?? '')) return undefined;
  const sts = env['AWS_ENDPOINT_URL_STS']?.trim();
  if (sts) return { url: sts, source: 'AWS_ENDPOINT_URL_STS' };
  const all = env['AWS_ENDPOINT_URL']?.trim();
  if (all) return { url: all, source: 'AWS_ENDPOINT_URL' };
  return undefined;
}

function parseTags(input: InputReader): AwsTag[] {
  const tags: AwsTag[] = [];
  for (const item of input.list('session-tags')) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq).trim();
    const value = eq < 0 ? '' : item.slice(eq + 1).trim();
    if (eq < 0 || !TAG_KEY.test(key) || !TAG_VALUE.test(value)) {
      input.problem(
        'session-tags',
        'ERR_CONFIG_PATTERN',
        'must be Key=Value pairs (keys 1-128, values 0-256 characters of letters, digits, spaces and _.:/=+-@)',
      );
      return [];
    }
    if (tags.some((t) => t.key.toLowerCase() === key.toLowerCase())) {
      input.problem('session-tags', 'ERR_CONFIG_INVALID', `names the tag key ${key} twice`);
      return [];
    }
    tags.push({ key, value });
  }
  if (tags.length > MAX_TAGS)
    input.problem('session-tags', 'ERR_CONFIG_INVALID', `must have at most ${MAX_TAGS} tags`);
  return tags;
}

/** parseAwsOptions reads the aws target's inputs; every problem goes to the reader. */
export function parseAwsOptions(input: InputReader, env: Env): AwsOptions {
  const role = roleArn(input, 'role-arn', true);
  const partition = role?.partition ?? 'aws';

  const regionInput = input.string('region', {
    pattern: REGION,
    patternText: 'an AWS region like eu-west-1',
  });
  const regionEnv = (env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || '').trim() || undefined;
  if (!input.has('region') && regionEnv !== undefined && !REGION.test(regionEnv))
    input.problem(
      'region',
      'ERR_CONFIG_PATTERN',
      `from AWS_REGION/AWS_DEFAULT_REGION (${regionEnv}) is not an AWS region`,
    );
  let region = regionInput ?? (regionEnv && REGION.test(regionEnv) ? regionEnv : undefined);
  let regionDefaulted = false;
  if (region === undefined && !input.has('region')) {
    // The SDKs use us-east-1 for STS when nothing names a region; only the aws partition has it.
    if (partition === 'aws') {
      region = DEFAULT_REGION;
      regionDefaulted = true;
    } else {
      input.problem(
        'region',
        'ERR_CONFIG_REQUIRED',
        `is required for the ${partition} partition`,
        'set `region` or AWS_REGION',
      );
    }
  }
  if (region !== undefined && role && partition === 'aws-cn' && !region.startsWith('cn-'))
    input.problem('region', 'ERR_CONFIG_INVALID', `${region} is not in the aws-cn partition of the role`);

  let endpoint: URL | undefined;
  let endpointSource: AwsOptions['endpointSource'] = 'default';
  if (input.has('endpoint')) {
    endpoint = input.url('endpoint');
    endpointSource = 'input';
  } else {
    const fromEnv = envEndpoint(env);
    if (fromEnv) {
      const checked = checkSecureUrl(fromEnv.url);
      if (typeof checked === 'string')
        input.problem(
          'endpoint',
          checked.startsWith('must use https') ? 'ERR_CONFIG_INSECURE_URL' : 'ERR_CONFIG_URL',
          `from ${fromEnv.source} ${checked}`,
        );
      else {
        endpoint = checked;
        endpointSource = fromEnv.source;
      }
    }
  }

  const sessionName = input.string('session-name', {
    pattern: SESSION_NAME,
    patternText: '2-64 characters of letters, digits and +=,.@_-',
  });
  const durationMs = input.duration('duration', { min: MIN_DURATION_S * 1000, max: MAX_DURATION_S * 1000 });
  const durationSeconds = durationMs === undefined ? undefined : Math.floor(durationMs / 1000);

  let sessionPolicy: string | undefined;
  const policy = input.json('session-policy');
  if (policy !== undefined) {
    if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) {
      input.problem('session-policy', 'ERR_CONFIG_JSON', 'must be a JSON policy document (an object)');
    } else {
      sessionPolicy = JSON.stringify(policy);
      if (sessionPolicy.length > MAX_POLICY_CHARS)
        input.problem(
          'session-policy',
          'ERR_CONFIG_INVALID',
          `is ${sessionPolicy.length} characters packed; STS allows at most ${MAX_POLICY_CHARS}`,
          'move statements into a managed policy and pass it in `managed-policy-arns`',
        );
    }
  }

  const managedPolicyArns = input.list('managed-policy-arns');
  for (const arn of managedPolicyArns) {
    const p = parseArn(arn);
    if (p?.service !== 'iam' || !p.resource.startsWith('policy/')) {
      input.problem(
        'managed-policy-arns',
        'ERR_CONFIG_ARN',
        `${arn} is not an IAM policy ARN like arn:aws:iam::aws:policy/ReadOnlyAccess`,
      );
      break;
    }
  }
  if (managedPolicyArns.length > MAX_POLICY_ARNS)
    input.problem(
      'managed-policy-arns',
      'ERR_CONFIG_INVALID',
      `must list at most ${MAX_POLICY_ARNS} policies`,
    );

  const chain = roleArn(input, 'role-chain', false);
  const externalId = input.string('external-id', {
    pattern: EXTERNAL_ID,
    patternText: '2-1224 characters of letters, digits and +=,.@:/_-',
  });
  const tags = parseTags(input);
  const transitiveTagKeys = input.list('transitive-tag-keys');
  for (const k of transitiveTagKeys) {
    if (!tags.some((t) => t.key === k)) {
      input.problem('transitive-tag-keys', 'ERR_CONFIG_INVALID', `names ${k}, which is not in session-tags`);
      break;
    }
  }
  if (!input.has('role-chain')) {
    for (const name of ['external-id', 'session-tags', 'transitive-tag-keys']) {
      if (input.has(name))
        input.problem(
          name,
          'ERR_CONFIG_INVALID',
          'applies only to the chained AssumeRole',
          'set `role-chain` too (AssumeRoleWithWebIdentity takes session tags from the token)',
        );
    }
  }

  const profile = input.string('profile', {
    pattern: PROFILE,
    patternText: '1-64 characters of letters, digits and _.-',
  });
  const checkIdentity = input.boolean('check-identity', false);
  const allowedAccountIds = input.list('allowed-account-ids');
  for (const id of allowedAccountIds) {
    if (!ACCOUNT.test(id)) {
      input.problem('allowed-account-ids', 'ERR_CONFIG_PATTERN', `${id} is not a 12-digit AWS account id`);
      break;
    }
  }

  const refresh =
    input.oneOf<AwsRefresh>('refresh', AWS_REFRESH_MODES, {
      default: 'none',
      hint: 'credential-process lets the SDKs and the CLI re-exchange by themselves; see docs/refresh.md',
    }) ?? 'none';
  const refreshMarginMs = input.duration('refresh-margin', {
    min: MIN_REFRESH_MARGIN_MS,
    max: MAX_DURATION_S * 1000,
    hint: 'the AWS SDKs ask again 5 minutes before expiry; a smaller margin would re-run the process on every call',
  });
  if (refreshMarginMs !== undefined && refresh !== 'credential-process')
    input.problem('refresh-margin', 'ERR_CONFIG_INVALID', 'applies only with refresh: credential-process');
  if (refresh === 'web-identity-file') {
    // The SDKs' web-identity provider reads only the role, the session name and the token file.
    for (const name of ['role-chain', 'session-policy', 'managed-policy-arns', 'profile']) {
      if (input.has(name))
        input.problem(
          name,
          'ERR_CONFIG_INVALID',
          'cannot be used with refresh: web-identity-file, because the SDKs re-exchange the token file without it',
          'use refresh: credential-process, which re-runs this exchange with every option',
        );
    }
  }

  const resolvedRegion = region ?? DEFAULT_REGION;
  return {
    roleArn: role?.text ?? '',
    partition,
    account: role?.account ?? '',
    region: resolvedRegion,
    regionDefaulted,
    endpoint: endpoint ?? defaultEndpoint(partition, resolvedRegion),
    endpointSource: endpoint ? endpointSource : 'default',
    sessionName,
    durationSeconds,
    sessionPolicy,
    managedPolicyArns,
    roleChain: chain ? { roleArn: chain.text, externalId, tags, transitiveTagKeys } : undefined,
    profile,
    checkIdentity,
    allowedAccountIds,
    refresh,
    refreshMarginMs,
  };
}
