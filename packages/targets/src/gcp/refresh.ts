/**
 * refresh.ts: the `credential_source` of the external_account file, so Google's client libraries and
 * gcloud fetch a fresh subject token by themselves whenever they re-exchange. `file` re-reads the
 * token saved at exchange time (good until its exp); `url` calls GitHub's runner token endpoint (good
 * for the whole job); `executable` runs `federate token` (good wherever the platform can mint again).
 * https://google.aip.dev/auth/4117
 */
import { ConfigError, type CredentialValue, type ExchangeContext } from '@federate/core';
import { selfCommand } from '../aws/refresh.js';
import type { CredentialSource } from './external-account.js';
import type { GcpOptions } from './options.js';
import { tokenAudience } from './request.js';

/** EXECUTABLE_TIMEOUT_MS is how long the libraries wait for `federate token` (they allow 5-120 s). */
export const EXECUTABLE_TIMEOUT_MS = 30_000;
/** ALLOW_EXECUTABLES_ENV is the opt-in the libraries require before running any executable source. */
export const ALLOW_EXECUTABLES_ENV = 'GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES';

/** RefreshingSource is a credential_source plus what must be exported or noted beside it. */
export interface RefreshingSource {
  readonly source: CredentialSource;
  /** secret is true when the file then holds a secret (the runner's request token). */
  readonly secret: boolean;
  readonly values: readonly CredentialValue[];
  readonly notes: readonly string[];
}

// google-auth-library splits the command on spaces, honouring only double quotes (no escapes).
function googleQuote(word: string): string {
  if (!/\s/.test(word)) return word;
  if (word.includes('"'))
    throw new ConfigError([
      {
        code: 'ERR_CONFIG_INVALID',
        input: 'credential-source',
        message: 'executable needs a CLI path without double quotes',
      },
    ]);
  return `"${word}"`;
}

function audienceOf(ctx: ExchangeContext, options: GcpOptions): string {
  const want = tokenAudience(options);
  return ctx.identity.audience.includes(want) || ctx.identity.audience.length !== 1
    ? want
    : (ctx.identity.audience[0] ?? want);
}

/** urlSource points the libraries at GitHub's runner ID-token endpoint (the request token lives for the job). */
export function urlSource(ctx: ExchangeContext, options: GcpOptions): RefreshingSource {
  const url = ctx.env['ACTIONS_ID_TOKEN_REQUEST_URL'];
  const requestToken = ctx.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
  if (ctx.identity.platform !== 'github' || !url || !requestToken)
    throw new ConfigError([
      {
        code: 'ERR_CONFIG_INVALID',
        input: 'credential-source',
        message: 'url works only on GitHub Actions, with ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN set',
        hint: 'give the job `permissions: id-token: write`, or use credential-source: executable elsewhere',
      },
    ]);
  ctx.secrets.add(requestToken);
  const sep = url.includes('?') ? '&' : '?';
  return {
    source: {
      url: `${url}${sep}audience=${encodeURIComponent(audienceOf(ctx, options))}`,
      headers: { Authorization: `Bearer ${requestToken}` },
      format: { type: 'json', subject_token_field_name: 'value' },
    },
    secret: true,
    values: [],
    notes: [
      'the credentials file asks the runner for a fresh token on every refresh, for as long as the job runs',
    ],
  };
}

/** executableSource runs `federate token` in Google's executable-sourced credential format. */
export function executableSource(ctx: ExchangeContext, options: GcpOptions): RefreshingSource {
  const self = selfCommand(ctx.env, 'credential-source');
  const argv = [...self, 'token', '--audience', audienceOf(ctx, options), '--format', 'google-executable'];
  if (ctx.identity.platform !== 'unknown') argv.push('--platform', ctx.identity.platform);
  const values: CredentialValue[] = options.allowExecutables
    ? [{ name: 'allowExecutables', value: '1', secret: false, env: ALLOW_EXECUTABLES_ENV }]
    : [];
  return {
    source: {
      executable: { command: argv.map(googleQuote).join(' '), timeout_millis: EXECUTABLE_TIMEOUT_MS },
    },
    secret: false,
    values,
    notes: [
      options.allowExecutables
        ? `exported ${ALLOW_EXECUTABLES_ENV}=1: the client libraries run \`federate token\` to refresh`
        : `the client libraries run \`federate token\` to refresh only when ${ALLOW_EXECUTABLES_ENV}=1 is set (set allow-executables: true to export it)`,
    ],
  };
}
