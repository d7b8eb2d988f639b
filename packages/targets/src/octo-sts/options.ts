/**
 * options.ts: the octo-sts target's inputs. `scope` and `identity` name the trust policy
 * (`.github/chainguard/<identity>.sts.yaml` in the scope); `domain` names the service and is also the
 * token audience octo-sts requires when a policy names none; `url` reaches a self-hosted or test
 * instance at another address. Revocation goes to the GitHub API the token belongs to: on GHES that is
 * `https://<host>/api/v3`, taken from GITHUB_API_URL when the job runs on Actions.
 */
import { checkSecureUrl, type Env, type InputReader } from '@federate/core';

/** OctoStsOptions are the octo-sts target's parsed inputs. */
export interface OctoStsOptions {
  /** scope is `owner/repo` or `owner` (an org-level policy in the org's `.github` repository). */
  readonly scope: string;
  readonly identity: string;
  readonly domain: string;
  readonly url: URL;
  readonly githubApiUrl: URL;
  readonly envName: string;
  readonly revoke: boolean;
}

/** DEFAULT_DOMAIN is the public octo-sts instance. */
export const DEFAULT_DOMAIN = 'octo-sts.dev';
/** DEFAULT_GITHUB_API_URL is github.com's REST API. */
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
/**
 * DEFAULT_ENV_NAME is GH_TOKEN: the gh CLI prefers it over GITHUB_TOKEN, and it does not shadow the
 * job's own GITHUB_TOKEN, which later steps may still rely on. octo-sts/action exports no variable.
 */
export const DEFAULT_ENV_NAME = 'GH_TOKEN';

const OWNER = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})';
const REPO = '[A-Za-z0-9_.-]{1,100}';
const SCOPE = new RegExp(`^${OWNER}(?:/${REPO})?$`);
const IDENTITY = /^[A-Za-z0-9_.-]{1,100}$/;
const DOMAIN =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::\d{1,5})?$/;

/** parse reads the octo-sts target's inputs; every problem goes to the reader. */
export function parse(input: InputReader, env: Env): OctoStsOptions {
  const scope = input.required('scope', {
    pattern: SCOPE,
    patternText: 'owner/repo or owner',
    hint: 'one repository or organization; octo-sts does not support several scopes',
  });
  if (scope.split('/')[1] === '.' || scope.split('/')[1] === '..')
    input.problem('scope', 'ERR_CONFIG_PATTERN', 'must be owner/repo or owner');
  const identity = input.required('identity', {
    pattern: IDENTITY,
    patternText: 'a trust policy name (the <identity> of .github/chainguard/<identity>.sts.yaml)',
  });
  const domain = input.string('domain', {
    pattern: DOMAIN,
    patternText: 'a host name like octo-sts.dev (no scheme)',
  });
  const urlInput = input.url('url', { hint: 'the octo-sts base URL, e.g. https://octo-sts.example.com' });
  let githubApiUrl: URL | undefined;
  if (input.has('github-api-url')) {
    githubApiUrl = input.url('github-api-url', {
      hint: 'https://api.github.com, or https://<host>/api/v3 on GHES',
    });
  } else if (env['GITHUB_API_URL']) {
    const checked = checkSecureUrl(env['GITHUB_API_URL']);
    if (typeof checked === 'string')
      input.problem('github-api-url', 'ERR_CONFIG_URL', `(from GITHUB_API_URL) ${checked}`);
    else githubApiUrl = checked;
  }
  const envName = input.envName('env-name', DEFAULT_ENV_NAME);
  const revoke = input.boolean('revoke', true);
  const effectiveDomain = domain ?? (urlInput ? urlInput.host : DEFAULT_DOMAIN);
  return {
    scope,
    identity,
    domain: effectiveDomain,
    url: urlInput ?? new URL(`https://${effectiveDomain}`),
    githubApiUrl: githubApiUrl ?? new URL(DEFAULT_GITHUB_API_URL),
    envName,
    revoke,
  };
}
