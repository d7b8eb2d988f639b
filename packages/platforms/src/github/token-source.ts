/**
 * token-source.ts: the runner's ID-token endpoint, called the way @actions/core getIDToken does
 * (GET, bearer request token, `audience` query parameter) but through core's HTTP helper, so it has
 * our timeouts, retries and error messages, and never logs the URL's query.
 */
import { readFileSync } from 'node:fs';
import { PlatformError, type TokenSource } from '@federate/core';
import type { PlatformContext } from '../types.js';

const WHAT = 'the GitHub Actions ID-token endpoint';
const PERMISSION_HINT =
  'add `permissions: id-token: write` to the workflow or job (a job-level `permissions:` block replaces the workflow one)';

async function forkHint(ctx: PlatformContext): Promise<string | undefined> {
  const event = ctx.env['GITHUB_EVENT_NAME'] ?? '';
  if (!event.startsWith('pull_request')) return undefined;
  if (ctx.env['GITHUB_ACTOR'] === 'dependabot[bot]')
    return 'Dependabot pull_request runs get no ID token; skip this step for Dependabot or use pull_request_target with care';
  const path = ctx.env['GITHUB_EVENT_PATH'];
  if (!path) return undefined;
  try {
    const payload = JSON.parse(readFileSync(path, 'utf8')) as {
      pull_request?: { head?: { repo?: { full_name?: string } }; base?: { repo?: { full_name?: string } } };
    };
    const head = payload.pull_request?.head?.repo?.full_name;
    const base = payload.pull_request?.base?.repo?.full_name;
    if (head && base && head !== base)
      return `this pull_request comes from the fork ${head}: GitHub never gives fork pull requests an ID token; skip the step for forks (if: github.event.pull_request.head.repo.full_name == github.repository)`;
  } catch {
    // An unreadable event payload only costs us the more specific hint.
  }
  return undefined;
}

/** githubTokenSource mints a token per audience from ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN. */
export function githubTokenSource(ctx: PlatformContext): TokenSource {
  return {
    async idToken(audience) {
      const requestUrl = ctx.env['ACTIONS_ID_TOKEN_REQUEST_URL'];
      const requestToken = ctx.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
      if (!requestUrl || !requestToken) {
        const fork = await forkHint(ctx);
        throw new PlatformError(
          'ERR_PLATFORM_TOKEN_PERMISSION',
          'github',
          `this job cannot request an OIDC token: ${!requestUrl ? 'ACTIONS_ID_TOKEN_REQUEST_URL' : 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'} is not set`,
          { hint: fork ? `${PERMISSION_HINT}; ${fork}` : PERMISSION_HINT },
        );
      }
      ctx.secrets.add(requestToken);
      let url: URL;
      try {
        url = new URL(requestUrl);
      } catch {
        throw new PlatformError(
          'ERR_PLATFORM_TOKEN_REQUEST',
          'github',
          'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL',
        );
      }
      // searchParams encodes the audience; GitHub applies its default (the owner's URL) when none is sent.
      if (audience) url.searchParams.set('audience', audience);
      const res = await ctx.http.request({
        what: WHAT,
        url,
        headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' },
      });
      if (res.status !== 200) {
        const denied = res.status === 401 || res.status === 403;
        throw new PlatformError(
          'ERR_PLATFORM_TOKEN_REQUEST',
          'github',
          `${WHAT} answered HTTP ${res.status}${denied ? ': the job is not allowed to request an ID token' : ''}`,
          {
            status: res.status,
            hint: denied ? PERMISSION_HINT : 'retry the job; if it persists, check githubstatus.com',
          },
        );
      }
      let value: unknown;
      try {
        value = (JSON.parse(res.text) as { value?: unknown }).value;
      } catch {
        value = undefined;
      }
      if (typeof value !== 'string' || value === '') {
        throw new PlatformError(
          'ERR_PLATFORM_TOKEN_REQUEST',
          'github',
          `${WHAT} answered without a token (expected JSON with a "value" field)`,
          { status: res.status },
        );
      }
      ctx.secrets.add(value);
      return value;
    },
  };
}
