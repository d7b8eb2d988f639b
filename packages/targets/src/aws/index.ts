/**
 * aws: exchanges a platform token at AWS STS (AssumeRoleWithWebIdentity), optionally chains a second
 * role with a SigV4-signed AssumeRole, checks the result with GetCallerIdentity, and exports the
 * temporary credentials as the SDKs and the CLI read them (env, outputs, or a named profile).
 */
import { isoTimestamp } from '@federate/core';
import {
  type CredentialValue,
  type ExchangeContext,
  ExchangeError,
  type HttpResponse,
  type Target,
} from '@federate/core';
import { type AwsOptions, DEFAULT_AUDIENCE, parseAwsOptions } from './options.js';
import { profileFiles } from './profile.js';
import {
  credentialProcessFiles,
  DEFAULT_REFRESH_PROFILE,
  selfCommand,
  WEB_IDENTITY_TOKEN_FILE,
  webIdentityFile,
} from './refresh.js';
import {
  assumeRoleRequest,
  assumeRoleWithWebIdentityRequest,
  getCallerIdentityRequest,
  type StsRequest,
  sessionNameFor,
} from './request.js';
import {
  type AssumeRoleResult,
  type ErrorContext,
  isRetryableSts,
  parseAssumeRole,
  parseCallerIdentity,
  type StsAction,
  type StsCredentials,
  stsError,
} from './response.js';
import { signV4 } from './sigv4.js';

export type { AwsOptions } from './options.js';

/** CHAINED_MAX_DURATION_S is AWS's cap on role-chained sessions. */
export const CHAINED_MAX_DURATION_S = 3600;

/** AWS_RELEVANT_CLAIMS are what AWS trust policies test (sub, aud) plus the claims `sub` is built from. */
export const AWS_RELEVANT_CLAIMS = [
  'iss',
  'sub',
  'aud',
  'repository',
  'ref',
  'environment',
  'job_workflow_ref',
  'project_path',
  'ref_type',
];

async function call(
  ctx: ExchangeContext,
  req: StsRequest,
  action: StsAction,
  what: string,
  errorCtx: ErrorContext,
): Promise<HttpResponse> {
  const res = await ctx.http.request({
    what,
    url: req.url,
    method: req.method,
    headers: req.headers,
    body: req.body,
    retryable: isRetryableSts,
  });
  if (res.status !== 200) throw stsError(res, what, action, errorCtx);
  return res;
}

async function signed(
  req: StsRequest,
  keys: StsCredentials,
  region: string,
  now: number,
): Promise<StsRequest> {
  const s = await signV4(
    {
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: req.body,
      region,
      service: 'sts',
      now: new Date(now),
    },
    keys,
  );
  return { ...req, headers: s.headers };
}

function remember(ctx: ExchangeContext, r: AssumeRoleResult): void {
  ctx.secrets.add(r.credentials.secretAccessKey);
  ctx.secrets.add(r.credentials.sessionToken);
}

function policyError(message: string, hint: string): ExchangeError {
  return new ExchangeError('ERR_EXCHANGE_POLICY', 'aws', message, { hint });
}

async function exchange(ctx: ExchangeContext, o: AwsOptions) {
  const notes: string[] = [];
  const sessionName = o.sessionName ?? sessionNameFor(ctx.identity.platform, ctx.identity.runId, ctx.now());
  if (o.regionDefaulted) notes.push(`no region was given; used ${o.region} as the AWS SDKs do`);
  const chained = o.roleChain !== undefined;
  const finalPolicy = { policy: o.sessionPolicy, policyArns: o.managedPolicyArns };
  // Checked before the exchange: without the CLI's path the profile could not refresh anything.
  const self = o.refresh === 'credential-process' ? selfCommand(ctx.env) : undefined;

  const token = await ctx.token();
  const what = `AWS STS AssumeRoleWithWebIdentity for ${o.roleArn}`;
  const res = await call(
    ctx,
    assumeRoleWithWebIdentityRequest(o.endpoint, {
      roleArn: o.roleArn,
      sessionName,
      token,
      durationSeconds: o.durationSeconds,
      ...(chained ? {} : finalPolicy),
    }),
    'AssumeRoleWithWebIdentity',
    what,
    {
      roleArn: o.roleArn,
      issuer: ctx.identity.issuer,
      audience: ctx.identity.audience,
      durationSeconds: o.durationSeconds,
    },
  );
  let result = parseAssumeRole(res, what, 'AssumeRoleWithWebIdentity');
  remember(ctx, result);
  ctx.log.debug(
    `assumed ${result.assumedRoleArn}${result.requestId ? ` (request ${result.requestId})` : ''}`,
  );

  if (o.roleChain) {
    const chain = o.roleChain;
    let duration = o.durationSeconds;
    if (duration !== undefined && duration > CHAINED_MAX_DURATION_S) {
      duration = CHAINED_MAX_DURATION_S;
      notes.push(
        `role chaining limits the session to ${CHAINED_MAX_DURATION_S}s; used that instead of ${o.durationSeconds}s`,
      );
    }
    const chainWhat = `AWS STS AssumeRole for ${chain.roleArn}`;
    const req = assumeRoleRequest(o.endpoint, {
      roleArn: chain.roleArn,
      sessionName,
      durationSeconds: duration,
      externalId: chain.externalId,
      tags: chain.tags,
      transitiveTagKeys: chain.transitiveTagKeys,
      ...finalPolicy,
    });
    const chainRes = await call(
      ctx,
      await signed(req, result.credentials, o.region, ctx.now()),
      'AssumeRole',
      chainWhat,
      {
        roleArn: chain.roleArn,
        durationSeconds: duration,
      },
    );
    result = parseAssumeRole(chainRes, chainWhat, 'AssumeRole');
    remember(ctx, result);
    ctx.log.debug(`chained to ${result.assumedRoleArn}`);
  }

  const account = result.account ?? '';
  if (o.checkIdentity) {
    const idWhat = 'AWS STS GetCallerIdentity';
    const idRes = await call(
      ctx,
      await signed(getCallerIdentityRequest(o.endpoint), result.credentials, o.region, ctx.now()),
      'GetCallerIdentity',
      idWhat,
      { roleArn: o.roleChain?.roleArn ?? o.roleArn },
    );
    const caller = parseCallerIdentity(idRes, idWhat);
    if (caller.account !== account || caller.arn !== result.assumedRoleArn)
      throw policyError(
        `GetCallerIdentity names ${caller.arn} in account ${caller.account}, not ${result.assumedRoleArn}`,
        'the endpoint is not the STS that issued the credentials: check `endpoint` and AWS_ENDPOINT_URL_STS',
      );
    notes.push(`GetCallerIdentity confirmed ${caller.arn}`);
  }
  if (o.allowedAccountIds.length > 0 && !o.allowedAccountIds.includes(account))
    throw policyError(
      `the assumed role is in account ${account || 'unknown'}, which is not in allowed-account-ids`,
      'use a role in one of the allowed accounts, or add the account to `allowed-account-ids`',
    );

  const c = result.credentials;
  // The SDKs prefer AWS_ACCESS_KEY_ID & co. over any profile: a refreshing mode must not export them.
  const useEnv = o.profile === undefined && o.refresh === 'none';
  const value = (
    name: string,
    v: string,
    secret: boolean,
    output: string,
    env?: string,
  ): CredentialValue => ({
    name,
    value: v,
    secret,
    output,
    ...(env && useEnv ? { env } : {}),
  });
  const values: CredentialValue[] = [
    value('accessKeyId', c.accessKeyId, false, 'aws-access-key-id', 'AWS_ACCESS_KEY_ID'),
    value('secretAccessKey', c.secretAccessKey, true, 'aws-secret-access-key', 'AWS_SECRET_ACCESS_KEY'),
    value('sessionToken', c.sessionToken, true, 'aws-session-token', 'AWS_SESSION_TOKEN'),
    value('expiration', isoTimestamp(c.expiration), false, 'aws-expiration'),
    value('accountId', account, false, 'aws-account-id'),
    value('assumedRoleArn', result.assumedRoleArn, false, 'aws-assumed-role-arn'),
    // The JS SDK reads only AWS_REGION, botocore and the CLI only AWS_DEFAULT_REGION: export both.
    { name: 'region', value: o.region, secret: false, env: 'AWS_REGION', output: 'aws-region' },
    { name: 'defaultRegion', value: o.region, secret: false, env: 'AWS_DEFAULT_REGION' },
  ];
  const profile = o.profile ?? (o.refresh === 'credential-process' ? DEFAULT_REFRESH_PROFILE : undefined);
  if (profile !== undefined)
    values.push({
      name: 'profile',
      value: profile,
      secret: false,
      env: 'AWS_PROFILE',
      output: 'aws-profile',
    });

  let files = o.profile === undefined ? [] : profileFiles(o.profile, o.region, c);
  if (self) {
    files = credentialProcessFiles(o, self, ctx.identity, sessionName, c);
    notes.push(
      `profile ${profile} re-exchanges through \`federate credential-process\` when the credentials near expiry${refreshBound(ctx)}`,
    );
  } else if (o.refresh === 'web-identity-file') {
    files = [webIdentityFile(token)];
    values.push(
      { name: 'roleArn', value: o.roleArn, secret: false, env: 'AWS_ROLE_ARN' },
      { name: 'roleSessionName', value: sessionName, secret: false, env: 'AWS_ROLE_SESSION_NAME' },
    );
    // The SDKs call STS themselves now; an endpoint given as an input must reach them too.
    if (o.endpointSource === 'input')
      values.push({
        name: 'stsEndpoint',
        value: o.endpoint.href,
        secret: false,
        env: 'AWS_ENDPOINT_URL_STS',
      });
    notes.push(
      `the SDKs re-exchange ${WEB_IDENTITY_TOKEN_FILE} by themselves${refreshBound(ctx)}; keep it fresh with \`federate token --audience ${ctx.identity.audience[0] ?? 'sts.amazonaws.com'} --output-file "$AWS_WEB_IDENTITY_TOKEN_FILE"\``,
    );
  }

  return {
    target: 'aws',
    principal: result.assumedRoleArn,
    expiresAt: c.expiration,
    values,
    files,
    revoke: [],
    notes,
  };
}

/** refreshBound says how long a refresh can work: platforms that cannot mint again stop at the token's exp. */
function refreshBound(ctx: ExchangeContext): string {
  const p = ctx.identity.platform;
  if (p === 'github' || p === 'circleci' || p === 'cloudbuild')
    return ` (${p} mints a fresh token each time)`;
  const exp = ctx.identity.expiresAt;
  return exp ? ` until the ${p} token expires at ${isoTimestamp(exp)}` : '';
}

/** awsTarget exchanges a platform token for temporary AWS credentials at STS. */
export const awsTarget: Target<AwsOptions> = {
  name: 'aws',
  title: 'AWS STS',
  relevantClaims: AWS_RELEVANT_CLAIMS,
  parse: parseAwsOptions,
  audience: () => DEFAULT_AUDIENCE,
  exchange,
  describe(o) {
    const parts = [`role ${o.roleArn}`];
    if (o.roleChain) parts.push(`then ${o.roleChain.roleArn}`);
    parts.push(`in ${o.region}`);
    if (o.endpointSource !== 'default') parts.push(`via ${o.endpoint.origin}`);
    if (o.durationSeconds) parts.push(`for ${o.durationSeconds}s`);
    if (o.profile) parts.push(`as profile ${o.profile}`);
    if (o.refresh !== 'none') parts.push(`refreshing by ${o.refresh}`);
    return parts.join(' ');
  },
};
