/**
 * external-account.ts: the `external_account` credential JSON that ADC (every Google client library)
 * and gcloud read from GOOGLE_APPLICATION_CREDENTIALS / CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE. The
 * builder takes any documented credential_source, so refreshing sources (url, executable) slot in later.
 *
 * A file source must name the token file's absolute path, which only the sink knows once it has
 * written the file. The JSON therefore holds a file reference (`fileRef`) that whoever writes the
 * files resolves with `resolveFileRefs`, JSON-escaping the path.
 */
import type { GcpOptions } from './options.js';
import { iamCredentialsUrl, stsAudience, stsTokenUrl, TOKEN_TYPE_JWT } from './request.js';

const DEFAULT_STS = 'https://sts.googleapis.com';

/** CredentialSource is one of the documented `credential_source` shapes. */
export type CredentialSource =
  | { readonly file: string; readonly format?: { readonly type: 'text' } }
  | {
      readonly file: string;
      readonly format: { readonly type: 'json'; readonly subject_token_field_name: string };
    }
  | {
      readonly url: string;
      readonly headers?: Readonly<Record<string, string>>;
      readonly format?:
        | { readonly type: 'text' }
        | { readonly type: 'json'; readonly subject_token_field_name: string };
    }
  | {
      readonly executable: {
        readonly command: string;
        readonly timeout_millis?: number;
        readonly output_file?: string;
      };
    };

/** ExternalAccount is the JSON document, field names as google-auth-library reads them. */
export interface ExternalAccount {
  readonly type: 'external_account';
  readonly audience: string;
  readonly subject_token_type: string;
  readonly token_url: string;
  /** token_info_url is where gcloud introspects a non-impersonated token to name the account. */
  readonly token_info_url?: string;
  readonly service_account_impersonation_url?: string;
  readonly service_account_impersonation?: { readonly token_lifetime_seconds: number };
  readonly credential_source: CredentialSource;
  readonly universe_domain?: string;
  readonly quota_project_id?: string;
}

/** buildExternalAccount builds the document for these options and a credential source. */
export function buildExternalAccount(
  options: Pick<
    GcpOptions,
    'provider' | 'universe' | 'stsEndpoint' | 'iamCredentialsEndpoint' | 'serviceAccount' | 'lifetimeMs'
  >,
  source: CredentialSource,
): ExternalAccount {
  const sa = options.serviceAccount;
  const lifetimeSec = Math.round(options.lifetimeMs / 1000);
  return {
    type: 'external_account',
    audience: stsAudience(options),
    subject_token_type: TOKEN_TYPE_JWT,
    token_url: stsTokenUrl(options),
    // gcloud introspects direct-federation tokens at https://sts.googleapis.com/v1/introspect unless
    // the file names another endpoint; with an STS override that default would be the wrong server.
    ...(sa === undefined && options.stsEndpoint !== DEFAULT_STS
      ? { token_info_url: `${options.stsEndpoint}/v1/introspect` }
      : {}),
    ...(sa === undefined
      ? {}
      : {
          service_account_impersonation_url: iamCredentialsUrl(options, sa, 'generateAccessToken'),
          // The libraries default to 3600 s; write it only when the user chose otherwise.
          ...(lifetimeSec === 3600
            ? {}
            : { service_account_impersonation: { token_lifetime_seconds: lifetimeSec } }),
        }),
    credential_source: source,
    ...(options.universe === 'googleapis.com' ? {} : { universe_domain: options.universe }),
  };
}

/** renderExternalAccount serialises the document the way google-github-actions/auth does (compact JSON). */
export function renderExternalAccount(doc: ExternalAccount): string {
  return JSON.stringify(doc);
}

export { fileRef, resolveFileRefs } from '@federate/core';
