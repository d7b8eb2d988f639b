/**
 * options.ts: the generic OAuth target's inputs: the token endpoint, which grant carries the platform
 * token (RFC 8693 token exchange, RFC 7523 §2.1 JWT bearer grant, or RFC 7523 §2.2 client assertion
 * with client_credentials), request parameters, client authentication and where the token goes.
 */
import type { Env, InputReader } from '@federate/core';
import { TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_JWT } from '../shared/oauth.js';

/** OAuthGrant names how the platform token is presented. */
export type OAuthGrant = 'token-exchange' | 'jwt-bearer' | 'client-credentials';
/** OAuthClientAuth is RFC 6749 §2.3.1 Basic, the same in the body, or a public client. */
export type OAuthClientAuth = 'basic' | 'post' | 'none';

/** OAuthOptions are the parsed inputs of the oauth target. */
export interface OAuthOptions {
  readonly tokenUrl: URL;
  readonly grant: OAuthGrant;
  /** audience is the platform token's audience (what the token endpoint expects in `aud`). */
  readonly audience: string;
  /** exchangeAudiences are RFC 8693 `audience` parameters (the service the new token is for). */
  readonly exchangeAudiences: readonly string[];
  readonly resources: readonly string[];
  readonly scopes: readonly string[];
  readonly requestedTokenType: string | undefined;
  readonly subjectTokenType: string;
  readonly clientId: string | undefined;
  /** clientSecret is a secret: never in messages, describe() or logs. */
  readonly clientSecret: string | undefined;
  readonly clientAuth: OAuthClientAuth;
  readonly envName: string;
  readonly output: string;
  readonly exportRefreshToken: boolean;
}

/** DEFAULT_OAUTH_ENV is the variable the issued token is exported as unless `env-name` says otherwise. */
export const DEFAULT_OAUTH_ENV = 'FEDERATE_OAUTH_TOKEN';
/** DEFAULT_OAUTH_OUTPUT is the step output holding the issued token. */
export const DEFAULT_OAUTH_OUTPUT = 'oauth-access-token';

const GRANTS: readonly OAuthGrant[] = ['token-exchange', 'jwt-bearer', 'client-credentials'];
const CLIENT_AUTHS: readonly OAuthClientAuth[] = ['basic', 'post', 'none'];
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** parseOAuthOptions reads the oauth target's inputs; problems go to the reader. */
export function parseOAuthOptions(input: InputReader, _env: Env): OAuthOptions {
  const tokenUrl = input.url('token-url', {
    required: true,
    hint: "the authorization server's token endpoint, e.g. https://auth.example.com/oauth2/token",
  });
  if (tokenUrl?.hash) input.problem('token-url', 'ERR_CONFIG_URL', 'must not have a fragment');
  const grant = input.oneOf('grant', GRANTS, { default: 'token-exchange' }) ?? 'token-exchange';

  // The run reads `audience` too; reading it here lets the error say why there is no default.
  const audience = input.string('audience') ?? '';
  if (audience === '')
    input.problem(
      'audience',
      'ERR_CONFIG_REQUIRED',
      'is required for target oauth: there is no universal default',
      'set it to the aud value the token endpoint expects in the platform token (often its issuer or token URL)',
    );

  const exchangeAudiences = input.list('exchange-audience');
  const requestedRaw = input.string('requested-token-type', {
    pattern: URI,
    patternText: 'a token type URI like urn:ietf:params:oauth:token-type:access_token',
  });
  const subjectTokenType =
    input.string('subject-token-type', {
      pattern: URI,
      patternText: 'a token type URI like urn:ietf:params:oauth:token-type:jwt',
    }) ?? TOKEN_TYPE_JWT;
  if (grant !== 'token-exchange') {
    for (const only of ['exchange-audience', 'requested-token-type', 'subject-token-type'])
      if (input.has(only))
        input.problem(only, 'ERR_CONFIG_INVALID', 'applies only to grant token-exchange (RFC 8693)');
  }

  const resources = input.list('resource');
  for (const r of resources) {
    let ok = false;
    try {
      const u = new URL(r);
      ok = u.hash === '' && !r.includes('#');
    } catch {}
    if (!ok)
      input.problem(
        'resource',
        'ERR_CONFIG_URL',
        `${r} must be an absolute URI without a fragment (RFC 8707)`,
      );
  }
  const scopes = input.list('scope').flatMap((s) => s.split(/\s+/).filter((x) => x !== ''));
  for (const s of scopes)
    if (!SCOPE_TOKEN.test(s))
      input.problem('scope', 'ERR_CONFIG_PATTERN', `${s} is not a valid scope token (RFC 6749 §3.3)`);

  const clientId = input.string('client-id');
  const clientSecret = input.raw('client-secret')?.trim();
  const clientAuth =
    input.oneOf('client-auth', CLIENT_AUTHS, { default: clientSecret ? 'basic' : 'none' }) ?? 'none';
  if (clientAuth !== 'none') {
    if (!clientId)
      input.problem('client-id', 'ERR_CONFIG_REQUIRED', `is required with client-auth ${clientAuth}`);
    if (!clientSecret)
      input.problem('client-secret', 'ERR_CONFIG_REQUIRED', `is required with client-auth ${clientAuth}`);
  } else if (clientSecret) {
    input.problem(
      'client-secret',
      'ERR_CONFIG_EXCLUSIVE',
      'is ignored with client-auth none',
      'set client-auth to basic or post, or remove client-secret',
    );
  }
  if (grant === 'client-credentials' && clientSecret)
    input.problem(
      'client-secret',
      'ERR_CONFIG_EXCLUSIVE',
      'cannot be used with grant client-credentials: the platform token already authenticates the client',
      'RFC 6749 §2.3 allows one client authentication method per request',
    );

  const envName = input.envName('env-name', DEFAULT_OAUTH_ENV);
  const output =
    input.string('output', {
      pattern: OUTPUT_NAME,
      patternText: 'an output name (letters, digits, - and _)',
    }) ?? DEFAULT_OAUTH_OUTPUT;
  const exportRefreshToken = input.boolean('export-refresh-token', false);

  return {
    tokenUrl: tokenUrl ?? new URL('https://invalid.invalid/'),
    grant,
    audience,
    exchangeAudiences,
    resources,
    scopes,
    requestedTokenType: grant === 'token-exchange' ? (requestedRaw ?? TOKEN_TYPE_ACCESS_TOKEN) : undefined,
    subjectTokenType,
    clientId,
    clientSecret,
    clientAuth,
    envName,
    output,
    exportRefreshToken,
  };
}
