/**
 * request.ts: the Entra v2 token request with a federated credential (the client-credentials grant
 * with the platform token as client assertion, RFC 7523 §2.2). Pure, so tests can table it.
 */
import { type HttpRequest, joinUrl } from '@federate/core';
import { CLIENT_ASSERTION_TYPE_JWT, GRANT_CLIENT_CREDENTIALS } from '../shared/oauth.js';
import type { AzureOptions } from './options.js';

/** AZURE_WHAT names the server in messages. */
export const AZURE_WHAT = 'Microsoft Entra ID';

/** azureTokenUrl is `<authority>/<tenant>/oauth2/v2.0/token`. */
export function azureTokenUrl(options: AzureOptions): URL {
  return joinUrl(options.authorityHost, options.tenantId, 'oauth2', 'v2.0', 'token');
}

/** buildAzureTokenRequest builds the token request; `assertion` is the platform token (a secret). */
export function buildAzureTokenRequest(options: AzureOptions, assertion: string): HttpRequest {
  const body = new URLSearchParams([
    ['client_id', options.clientId],
    ['scope', options.scope],
    ['grant_type', GRANT_CLIENT_CREDENTIALS],
    ['client_assertion_type', CLIENT_ASSERTION_TYPE_JWT],
    ['client_assertion', assertion],
  ]);
  return {
    what: AZURE_WHAT,
    url: azureTokenUrl(options),
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body,
  };
}
