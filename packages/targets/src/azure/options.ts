/**
 * options.ts: the azure target's inputs. Everything is checked before any request: GUIDs, the tenant
 * (GUID or verified domain), the scope's `/.default` form that the client-credentials grant requires,
 * and an https authority host (loopback http only, for emulators).
 */
import type { Env, InputReader } from '@federate/core';

/** AzureOptions are the parsed inputs of the azure target. */
export interface AzureOptions {
  readonly clientId: string;
  readonly tenantId: string;
  readonly scope: string;
  /** authorityHost is the origin (plus optional path) without a trailing slash. */
  readonly authorityHost: string;
  readonly subscriptionId: string | undefined;
  /** refreshTokenFile says a later step re-writes AZURE_FEDERATED_TOKEN_FILE with `federate token`. */
  readonly refreshTokenFile?: boolean;
}

/** DEFAULT_AZURE_SCOPE is Azure Resource Manager, what `az` and Terraform's azurerm need. */
export const DEFAULT_AZURE_SCOPE = 'https://management.azure.com/.default';
/** DEFAULT_AUTHORITY_HOST is the public cloud's Entra endpoint. */
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
/** DEFAULT_AZURE_AUDIENCE is the audience Entra federated credentials expect in the public cloud. */
export const DEFAULT_AZURE_AUDIENCE = 'api://AzureADTokenExchange';

/** SOVEREIGN_AUDIENCES maps national-cloud authority hosts to their federated credential audience. */
export const SOVEREIGN_AUDIENCES: Readonly<Record<string, string>> = {
  'login.microsoftonline.us': 'api://AzureADTokenExchangeUSGov',
  'login.chinacloudapi.cn': 'api://AzureADTokenExchangeChina',
};

/** GUID matches a Microsoft GUID in its 8-4-4-4-12 form. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
// Client credentials need one tenant; these aliases only work for user sign-in.
const MULTI_TENANT = /^(common|organizations|consumers)$/i;
// One resource per request, `<resource>/.default` (Entra rejects other scopes with AADSTS1002012).
const SCOPE = /^\S+\/\.default$/;

/** parseAzureOptions reads the azure target's inputs; problems go to the reader. */
export function parseAzureOptions(input: InputReader, _env: Env): AzureOptions {
  const clientId = input.required('client-id', {
    pattern: GUID,
    patternText: 'the application (client) id, a GUID like 00000000-0000-0000-0000-000000000000',
    hint: 'copy it from the app registration or managed identity overview',
  });
  const tenantRaw = input.required('tenant-id', {
    hint: 'use the directory (tenant) id GUID or a verified domain like contoso.onmicrosoft.com',
  });
  let tenantId = tenantRaw;
  if (tenantRaw !== '') {
    if (MULTI_TENANT.test(tenantRaw)) {
      input.problem(
        'tenant-id',
        'ERR_CONFIG_INVALID',
        `cannot be ${tenantRaw}: federated credentials need one tenant`,
        'use the directory (tenant) id GUID',
      );
      tenantId = '';
    } else if (!GUID.test(tenantRaw) && !DOMAIN.test(tenantRaw)) {
      input.problem(
        'tenant-id',
        'ERR_CONFIG_PATTERN',
        'must be a tenant GUID or a verified domain name',
        'use the directory (tenant) id GUID',
      );
      tenantId = '';
    }
  }
  const scope =
    input.string('scope', {
      pattern: SCOPE,
      patternText: 'one resource followed by /.default, like https://management.azure.com/.default',
      hint: 'the client-credentials grant takes exactly one <resource>/.default scope per request',
    }) ?? DEFAULT_AZURE_SCOPE;
  let authorityHost = DEFAULT_AUTHORITY_HOST;
  if (input.has('authority-host')) {
    const url = input.url('authority-host', {
      hint: 'e.g. https://login.microsoftonline.us for Azure Government',
    });
    if (url !== undefined) {
      if (url.search || url.hash) {
        input.problem('authority-host', 'ERR_CONFIG_URL', 'must not have a query or fragment');
      } else {
        authorityHost = url.href.replace(/\/+$/, '');
      }
    }
  }
  const subscriptionId = input.string('subscription-id', {
    pattern: GUID,
    patternText: 'a subscription GUID',
  });
  const refreshTokenFile = input.boolean('refresh-token-file', false);
  return {
    clientId,
    tenantId,
    scope,
    authorityHost,
    subscriptionId,
    ...(refreshTokenFile ? { refreshTokenFile } : {}),
  };
}

/** defaultAzureAudience picks the federated credential audience for the authority's cloud. */
export function defaultAzureAudience(options: AzureOptions): string {
  let host = '';
  try {
    host = new URL(options.authorityHost).hostname.toLowerCase();
  } catch {}
  return SOVEREIGN_AUDIENCES[host] ?? DEFAULT_AZURE_AUDIENCE;
}
