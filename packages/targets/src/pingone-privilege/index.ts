/**
 * pingone-privilege: PingOne Privilege workload tokens. The workload's API key (a masked CI secret)
 * is the bearer of `GET <base>/pubapi/<tenant>/v1/workloadtokens/<namespace>/<workload>`; the answer
 * is a 60-minute token whose decoded payload carries cloud credentials (AWS key id, secret and session
 * token; GCP and Azure equivalents), exported through a configurable mapping. The vendor says to renew
 * "by calling the GET API again before it expires" (seed 002): a token already inside `renew-before`
 * of its end is fetched again at once, and the notes say when to run Federate again.
 */
import { isoTimestamp } from '@federate/core';
import { type Credentials, type CredentialValue, ExchangeError, type Target } from '@federate/core';
import { formatDuration } from '@federate/core';
import { type PingOneOptions, parse } from './options.js';
import { jwksRequest, workloadTokenRequest } from './request.js';
import {
  decodeToken,
  expiryOf,
  extractToken,
  mapCredentials,
  TARGET,
  verifyJwtSignature,
  workloadTokenError,
} from './response.js';
import { parseJsonBody } from '../shared/response.js';

export {
  DEFAULT_API_KEY_ENV as PINGONE_DEFAULT_API_KEY_ENV,
  DEFAULT_MAPPING as PINGONE_DEFAULT_MAPPING,
  type PingOneMappingEntry,
  type PingOneOptions,
  parse as parsePingOneOptions,
} from './options.js';

function outputName(env: string): string {
  return env.toLowerCase().replace(/_/g, '-');
}

/** pingOnePrivilegeTarget fetches a PingOne Privilege workload token and exports its cloud credentials. */
export const pingOnePrivilegeTarget: Target<PingOneOptions> = {
  name: 'pingone-privilege',
  title: 'PingOne Privilege',
  // The documented flow authenticates with the API key alone; these matter only with send-platform-token.
  relevantClaims: ['iss', 'sub', 'aud'],
  parse,
  // The documented flow needs no platform token: the platform is not even asked for one (so a GitHub
  // job needs no id-token permission). When one is sent, it is scoped to this server.
  usesPlatformToken: (o) => o.sendPlatformToken === 'header',
  audience: (o) => o.baseUrl.origin,
  describe: (o) =>
    `PingOne Privilege ${o.baseUrl.host}: workload ${o.tenant}/${o.namespace}/${o.workload} (API key from ${o.apiKeySource}; exports ${[...new Set(o.mapping.map((m) => m.env))].join(', ')})`,

  async exchange(ctx, options) {
    // Registered before any request, so a server echoing it in an error is redacted too.
    ctx.secrets.add(options.apiKey);
    const platformToken = options.sendPlatformToken === 'header' ? await ctx.token() : undefined;
    const call = {
      tenant: options.tenant,
      namespace: options.namespace,
      workload: options.workload,
      apiKeySource: options.apiKeySource,
    };
    let jwks: unknown;
    const fetchToken = async () => {
      const res = await ctx.http.request(workloadTokenRequest(options, platformToken));
      if (res.status < 200 || res.status >= 300) throw workloadTokenError(res, call);
      const token = ctx.secrets.add(extractToken(res, options.tokenField));
      const decoded = decodeToken(token);
      if (options.jwksUrl) {
        if (jwks === undefined) {
          const keys = await ctx.http.request(jwksRequest(options.jwksUrl));
          if (keys.status !== 200)
            throw new ExchangeError(
              'ERR_EXCHANGE_BAD_RESPONSE',
              TARGET,
              `PingOne Privilege signing keys answered HTTP ${keys.status}`,
              { status: keys.status, hint: 'check jwks-url' },
            );
          jwks = parseJsonBody(keys, TARGET, 'PingOne Privilege signing keys');
        }
        verifyJwtSignature(token, decoded.header, jwks);
      }
      return { token, decoded, expiry: expiryOf(decoded.payload, ctx.now()) };
    };

    let got = await fetchToken();
    if (got.expiry.at.getTime() - ctx.now() <= options.renewBeforeMs) {
      // A token already due for renewal (a cached one near its end, or clock skew): fetch once more.
      ctx.log.debug('the PingOne Privilege token is already within renew-before of its end; fetching again');
      got = await fetchToken();
    }
    const left = got.expiry.at.getTime() - ctx.now();
    if (left <= 0)
      throw new ExchangeError(
        'ERR_EXCHANGE_BAD_RESPONSE',
        TARGET,
        `PingOne Privilege returned a workload token that expired at ${isoTimestamp(got.expiry.at)}`,
        {
          serverCode: 'TokenExpired',
          hint: "check the runner's clock; PingOne Privilege tokens last 60 minutes",
        },
      );
    if (left <= options.renewBeforeMs)
      ctx.log.warn(
        `the PingOne Privilege token lasts only ${formatDuration(left)}, less than renew-before (${formatDuration(options.renewBeforeMs)})`,
      );

    const mapped = mapCredentials(got.decoded.payload, options.mapping, options.mappingIsDefault);
    for (const m of mapped) ctx.secrets.add(m.value);
    const values: CredentialValue[] = mapped.map((m) => ({
      name: m.env,
      value: m.value,
      secret: true,
      env: m.env,
      output: outputName(m.env),
    }));
    values.push({ name: 'token', value: got.token, secret: true, output: 'token' });
    const renewAt = new Date(Math.max(ctx.now(), got.expiry.at.getTime() - options.renewBeforeMs));
    ctx.log.info(
      `PingOne Privilege issued credentials for ${options.namespace}/${options.workload} (${mapped.map((m) => m.env).join(', ')})`,
    );
    return {
      target: TARGET,
      principal: `${options.tenant}/${options.namespace}/${options.workload}`,
      expiresAt: got.expiry.at,
      values,
      files: [],
      revoke: [],
      notes: [
        `PingOne Privilege credentials last 60 minutes (until ${isoTimestamp(got.expiry.at)}) and cannot be refreshed in place: run Federate again after ${isoTimestamp(renewAt)} to fetch new ones`,
        ...(got.expiry.assumed ? ['the token carried no exp claim; assumed the documented 60 minutes'] : []),
        ...(options.jwksUrl
          ? []
          : ['the token was decoded without verifying its signature (set jwks-url to verify)']),
      ],
    } satisfies Credentials;
  },
};
