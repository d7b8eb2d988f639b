/**
 * octo-sts: exchange the platform token for a GitHub App installation token scoped by a trust policy
 * (https://github.com/octo-sts/app). The token is exported as GH_TOKEN (configurable) and the
 * `token` output, and revoked at cleanup with `DELETE /installation/token`, as octo-sts/action's post
 * step does, but against the configured GitHub API so GHES works too.
 */
import { type Credentials, ExchangeError, FederateError, type Target } from '@federate/core';
import { DEFAULT_DOMAIN, type OctoStsOptions, parse } from './options.js';
import { exchangeRequest, revokeRequest } from './request.js';
import { codeForStatus } from '../shared/response.js';
import { exchangeError, parseExchange, TARGET } from './response.js';
import { nodeCrypto } from '../shared/node-crypto.js';

export {
  DEFAULT_DOMAIN,
  DEFAULT_ENV_NAME,
  DEFAULT_GITHUB_API_URL,
  type OctoStsOptions,
  parse as parseOctoStsOptions,
} from './options.js';

/** octoStsTarget exchanges the platform token at octo-sts for a GitHub installation token. */
export const octoStsTarget: Target<OctoStsOptions> = {
  name: 'octo-sts',
  title: 'octo-sts',
  relevantClaims: [
    'iss',
    'sub',
    'aud',
    'repository',
    'ref',
    'job_workflow_ref',
    'workflow_ref',
    'environment',
    'event_name',
  ],
  parse,
  audience: (options) => options.domain || DEFAULT_DOMAIN,
  describe: (o) => `octo-sts ${o.url.host}: ${o.scope} as ${o.identity} (exported as ${o.envName})`,

  async exchange(ctx, options) {
    const jwt = await ctx.token();
    const res = await ctx.http.request(exchangeRequest(options.url, options.scope, options.identity, jwt));
    if (res.status !== 200)
      throw exchangeError(res, { scope: options.scope, identity: options.identity, domain: options.domain });
    const token = parseExchange(res);
    ctx.secrets.add(token);
    // octo-sts logs the same digest (TokenSHA256): it correlates this run with the server's audit log.
    const digest = nodeCrypto().createHash('sha256').update(token).digest('hex');
    ctx.log.info(`octo-sts issued a token for ${options.scope} (sha256 ${digest})`);
    return {
      target: TARGET,
      principal: `${options.scope} as ${options.identity}`,
      // octo-sts returns no expiry; GitHub installation tokens last one hour.
      expiresAt: undefined,
      values: [{ name: 'token', value: token, secret: true, env: options.envName, output: 'octo-sts-token' }],
      files: [],
      revoke: options.revoke
        ? [
            {
              target: TARGET,
              data: { token, githubApiUrl: options.githubApiUrl.href },
              secretKeys: ['token'],
            },
          ]
        : [],
      notes: [`GitHub installation token (about 1 hour), sha256 ${digest.slice(0, 16)}`],
    } satisfies Credentials;
  },

  async revoke(ctx, record) {
    const token = record.data['token'];
    const api = record.data['githubApiUrl'];
    if (!token || !api)
      throw new FederateError('ERR_CLEANUP_FAILED', 'the octo-sts revoke record is incomplete');
    ctx.secrets.add(token);
    const res = await ctx.http.request(revokeRequest(new URL(api), token));
    if (res.status === 204) {
      ctx.log.debug('GitHub installation token revoked');
      return;
    }
    // 401 Bad credentials: the token is already revoked or expired, which is what cleanup wants.
    if (res.status === 401) {
      ctx.log.debug('GitHub installation token was already invalid');
      return;
    }
    throw new ExchangeError(
      codeForStatus(res.status),
      TARGET,
      `GitHub answered HTTP ${res.status} to the installation token revocation`,
      { status: res.status, hint: 'the token expires by itself within an hour' },
    );
  },
};
