/**
 * azure: Microsoft Entra ID workload identity federation. The platform token is the client assertion
 * of a client-credentials request for one app registration (or user-assigned managed identity).
 */
import { isoTimestamp } from '@federate/core';
import type { Target } from '@federate/core';
import { type AzureOptions, defaultAzureAudience, parseAzureOptions } from './options.js';
import { buildAzureTokenRequest } from './request.js';
import { parseAzureError, parseAzureSuccess } from './response.js';

export type { AzureOptions } from './options.js';

/** azureTarget exchanges a CI token for an Entra access token and the AZURE_* federation variables. */
export const azureTarget: Target<AzureOptions> = {
  name: 'azure',
  title: 'Microsoft Entra ID',
  parse: parseAzureOptions,
  audience: defaultAzureAudience,
  relevantClaims: ['iss', 'sub', 'aud'],
  describe: (o) =>
    `app ${o.clientId} in tenant ${o.tenantId}, scope ${o.scope}${o.subscriptionId ? `, subscription ${o.subscriptionId}` : ''}`,
  async exchange(ctx, options) {
    const assertion = await ctx.token();
    const res = await ctx.http.request(buildAzureTokenRequest(options, assertion));
    if (res.status < 200 || res.status >= 300) {
      const audience = ctx.identity.audience[0] ?? defaultAzureAudience(options);
      throw parseAzureError(res, options, ctx.identity, audience);
    }
    const creds = parseAzureSuccess(res, options, assertion, ctx.now());
    if (!options.refreshTokenFile) return creds;
    // @azure/identity and az re-read the file on every exchange: re-writing it is the whole refresh.
    const audience = ctx.identity.audience[0] ?? defaultAzureAudience(options);
    const how = `re-write it with \`federate token --audience ${audience} --output-file "$AZURE_FEDERATED_TOKEN_FILE"\` before it expires`;
    const bound =
      ctx.identity.platform === 'github' ||
      ctx.identity.platform === 'circleci' ||
      ctx.identity.platform === 'cloudbuild'
        ? `${ctx.identity.platform} mints a fresh token each time`
        : `this platform cannot mint again, so refresh ends when its token expires${ctx.identity.expiresAt ? ` at ${isoTimestamp(ctx.identity.expiresAt)}` : ''}`;
    return { ...creds, notes: [`AZURE_FEDERATED_TOKEN_FILE holds the platform token; ${how} (${bound})`] };
  },
};
