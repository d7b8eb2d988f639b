/**
 * gcp: Google Cloud Workload Identity Federation. The platform token goes to STS for a federated
 * token; with `service-account` that token impersonates the account through IAM Credentials
 * (generateAccessToken / generateIdToken). An `external_account` file lets client libraries and gcloud
 * repeat the exchange themselves.
 */
import { isoTimestamp } from '@federate/core';
import type { CredentialFile, CredentialValue, Credentials, ExchangeContext, Target } from '@federate/core';
import { buildExternalAccount, fileRef, renderExternalAccount } from './external-account.js';
import { type GcpOptions, parseGcpOptions } from './options.js';
import { executableSource, type RefreshingSource, urlSource } from './refresh.js';
import {
  type BuiltRequest,
  buildGenerateAccessTokenRequest,
  buildGenerateIdTokenRequest,
  buildStsRequest,
  tokenAudience,
} from './request.js';
import {
  iamError,
  parseGenerateAccessToken,
  parseGenerateIdToken,
  parseStsSuccess,
  principalFor,
  STS_WHAT,
  stsError,
  TARGET,
} from './response.js';

/** SUBJECT_TOKEN_FILE is where the platform token is written for the external_account file source. */
export const SUBJECT_TOKEN_FILE = 'gcp/subject-token';
/** CREDENTIALS_FILE is the external_account JSON. */
export const CREDENTIALS_FILE = 'gcp/credentials.json';
/** PROJECT_ENV lists the variables gcloud and the client libraries read the project from. */
export const PROJECT_ENV: readonly string[] = [
  'GOOGLE_CLOUD_PROJECT',
  'CLOUDSDK_CORE_PROJECT',
  'CLOUDSDK_PROJECT',
  'GCLOUD_PROJECT',
  'GCP_PROJECT',
];
/** CREDENTIALS_ENV lists the variables ADC and gcloud read the credentials file from. */
export const CREDENTIALS_ENV: readonly string[] = [
  'GOOGLE_APPLICATION_CREDENTIALS',
  'CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE',
];

async function post(ctx: ExchangeContext, what: string, req: BuiltRequest) {
  return ctx.http.request({ what, url: req.url, method: req.method, headers: req.headers, body: req.body });
}

const ok = (status: number) => status >= 200 && status < 300;

async function exchange(ctx: ExchangeContext, options: GcpOptions): Promise<Credentials> {
  // The refreshing credential source is settled first: a source that cannot work here (url off
  // GitHub, executable without the CLI) is a configuration error, raised before any request.
  const refreshing: RefreshingSource | undefined =
    options.createCredentialsFile && options.credentialSource !== 'file'
      ? options.credentialSource === 'url'
        ? urlSource(ctx, options)
        : executableSource(ctx, options)
      : undefined;
  // A JWT never contains whitespace; a stray newline would reach STS inside subject_token.
  const token = (await ctx.token()).trim();
  const stsRes = await post(ctx, STS_WHAT, buildStsRequest(options, token));
  if (!ok(stsRes.status)) throw stsError(stsRes, options, ctx.identity, ctx.now());
  const sts = parseStsSuccess(stsRes, ctx.now());
  ctx.secrets.add(sts.accessToken);
  if (sts.issuedTokenType === undefined) ctx.log.debug(`${STS_WHAT}: the answer has no issued_token_type`);

  const values: CredentialValue[] = [];
  const notes: string[] = [];
  const sa = options.serviceAccount;
  let expiresAt = sts.expiresAt;
  let principal = principalFor(options.provider, ctx.identity.subject, options.universe);

  if (sa !== undefined) principal = sa;
  if (options.tokenFormat === 'access_token') {
    if (sa === undefined) {
      values.push({ name: 'accessToken', value: sts.accessToken, secret: true, output: 'gcp-access-token' });
    } else {
      const iamCtx = {
        options,
        serviceAccount: sa,
        method: 'generateAccessToken' as const,
        identity: ctx.identity,
      };
      const res = await post(
        ctx,
        `IAM Credentials generateAccessToken for ${sa}`,
        buildGenerateAccessTokenRequest(options, sa, sts.accessToken),
      );
      if (!ok(res.status)) throw iamError(res, iamCtx);
      const at = parseGenerateAccessToken(res, sa);
      ctx.secrets.add(at.accessToken);
      values.push({ name: 'accessToken', value: at.accessToken, secret: true, output: 'gcp-access-token' });
      expiresAt = at.expiresAt;
      if (options.lifetimeMs > 3_600_000)
        notes.push(
          'a lifetime above 1h works only where constraints/iam.allowServiceAccountCredentialLifetimeExtension lists the service account',
        );
    }
    if (expiresAt !== undefined)
      values.push({
        name: 'accessTokenExpiration',
        value: isoTimestamp(expiresAt),
        secret: false,
        output: 'gcp-access-token-expiration',
      });
  } else if (
    options.tokenFormat === 'id_token' &&
    sa !== undefined &&
    options.idTokenAudience !== undefined
  ) {
    const iamCtx = {
      options,
      serviceAccount: sa,
      method: 'generateIdToken' as const,
      identity: ctx.identity,
    };
    const res = await post(
      ctx,
      `IAM Credentials generateIdToken for ${sa}`,
      buildGenerateIdTokenRequest(options, sa, options.idTokenAudience, sts.accessToken),
    );
    if (!ok(res.status)) throw iamError(res, iamCtx);
    const id = parseGenerateIdToken(res, sa);
    ctx.secrets.add(id.token);
    values.push({ name: 'idToken', value: id.token, secret: true, output: 'gcp-id-token' });
    expiresAt = id.expiresAt;
  } else {
    values.push({
      name: 'federatedToken',
      value: sts.accessToken,
      secret: true,
      output: 'gcp-federated-token',
    });
  }

  if (options.projectId !== undefined) {
    values.push({ name: 'projectId', value: options.projectId, secret: false, output: 'gcp-project-id' });
    for (const env of PROJECT_ENV)
      values.push({ name: `projectId:${env}`, value: options.projectId, secret: false, env });
  }

  const files: CredentialFile[] = [];
  if (refreshing) {
    files.push({
      name: CREDENTIALS_FILE,
      content: renderExternalAccount(buildExternalAccount(options, refreshing.source)),
      secret: refreshing.secret,
      mode: 0o600,
      env: CREDENTIALS_ENV,
      output: 'gcp-credentials-file-path',
    });
    values.push(...refreshing.values);
    notes.push(...refreshing.notes);
  } else if (options.createCredentialsFile) {
    // Written first: the credentials file refers to it by path. Byte for byte, no trailing newline:
    // google-auth-library and gcloud send the file content as subject_token unchanged.
    files.push({ name: SUBJECT_TOKEN_FILE, content: token, secret: true, mode: 0o600 });
    files.push({
      name: CREDENTIALS_FILE,
      content: renderExternalAccount(buildExternalAccount(options, { file: fileRef(SUBJECT_TOKEN_FILE) })),
      secret: false,
      mode: 0o600,
      env: CREDENTIALS_ENV,
      output: 'gcp-credentials-file-path',
    });
    if (ctx.identity.expiresAt !== undefined)
      notes.push(
        `the credentials file re-exchanges the platform token saved beside it, so clients can refresh until ${isoTimestamp(ctx.identity.expiresAt)}`,
      );
  }

  return { target: TARGET, principal, expiresAt, values, files, revoke: [], notes };
}

/** gcpTarget exchanges a platform token at Google Cloud STS (and IAM Credentials when impersonating). */
export const gcpTarget: Target<GcpOptions> = {
  name: 'gcp',
  title: 'Google Cloud STS',
  parse: parseGcpOptions,
  audience: tokenAudience,
  exchange,
  relevantClaims: [
    'repository',
    'repository_owner',
    'repository_owner_id',
    'ref',
    'ref_type',
    'job_workflow_ref',
    'workflow_ref',
    'environment',
    'event_name',
    'project_path',
    'namespace_path',
    'oidc.circleci.com/project-id',
  ],
  describe(options) {
    const as = options.serviceAccount === undefined ? 'direct federation' : `as ${options.serviceAccount}`;
    return `${options.provider.name} ${as} (${options.tokenFormat})`;
  },
};

export type { GcpOptions, ProviderResource, TokenFormat } from './options.js';
export { parseGcpOptions, parseProviderResource } from './options.js';
export {
  buildExternalAccount,
  type CredentialSource,
  type ExternalAccount,
  fileRef,
  resolveFileRefs,
} from './external-account.js';
