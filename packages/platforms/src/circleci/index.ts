/**
 * circleci/: CircleCI. Detected by CIRCLECI=true. The job's environment carries a token whose `aud`
 * is the organization id; any other audience (or a token about to expire, since it was minted at job
 * start) is minted with the job's built-in `circleci run oidc get`. CircleCI masks only project and
 * context variables, so `mask` is a no-op and nothing secret is printed; values reach later steps
 * through $BASH_ENV, which CircleCI's bash sources at the start of every step.
 */
import { join } from 'node:path';
import {
  decodeIdentity,
  PlatformError,
  type Sink,
  type TokenSource,
  RESERVED_ENV_PREFIXES,
} from '@federate/core';
import { appendPrivateFile, PrivateDir } from '../shared/private-dir.js';
import { outputsAsEnv, renderShellExports } from '../shared/shell-export.js';
import { fileStateStore, SinkBase } from '../shared/sink-base.js';
import { tempDirFrom } from '../shared/temp-dir.js';
import type { PlatformContext, PlatformInstance, PlatformModule } from '../types.js';

/** CIRCLECI_RESERVED_PREFIXES are CircleCI's built-in variable namespace. */
export const CIRCLECI_RESERVED_PREFIXES: readonly string[] = RESERVED_ENV_PREFIXES.circleci;
/** MINT_MARGIN_MS: an environment token this close to expiry is replaced by a freshly minted one. */
const MINT_MARGIN_MS = 60_000;
const MINT_TIMEOUT_MS = 30_000;

function envToken(ctx: PlatformContext): { name: string; token: string | undefined } {
  const name = ctx.options.circleciTokenVersion === 'v1' ? 'CIRCLE_OIDC_TOKEN' : 'CIRCLE_OIDC_TOKEN_V2';
  return { name, token: ctx.env[name]?.trim() || undefined };
}

/** circleciDefaultAudience is the organization id: CIRCLE_ORGANIZATION_ID, else the job token's `aud`. */
export function circleciDefaultAudience(ctx: PlatformContext): string | undefined {
  if (ctx.env['CIRCLE_ORGANIZATION_ID']) return ctx.env['CIRCLE_ORGANIZATION_ID'];
  const { token } = envToken(ctx);
  if (!token) return undefined;
  try {
    return decodeIdentity(token, 'circleci').audience[0];
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return (text.trim().split(/\r?\n/)[0] ?? '').slice(0, 300);
}

/** circleciTokenSource returns the job token when its audience fits, else mints one with the CLI. */
export function circleciTokenSource(ctx: PlatformContext): TokenSource {
  const mint = async (audience: string): Promise<string> => {
    if (!ctx.exec)
      throw new PlatformError(
        'ERR_PLATFORM_TOKEN_REQUEST',
        'circleci',
        `cannot mint a CircleCI token for audience ${audience}: running programs is not available here`,
      );
    // argv, not a shell: the audience is data, and JSON.stringify makes it valid JSON whatever it holds.
    const args = ['run', 'oidc', 'get', '--claims', JSON.stringify({ aud: audience })];
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined) env[k] = v;
    let result: Awaited<ReturnType<NonNullable<PlatformContext['exec']>>>;
    try {
      result = await ctx.exec('circleci', args, { env, timeoutMs: MINT_TIMEOUT_MS });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new PlatformError(
        'ERR_PLATFORM_TOKEN_REQUEST',
        'circleci',
        `could not run \`circleci run oidc get\` for audience ${audience}${code ? ` (${code})` : ''}`,
        {
          // No cause: a child-process error's message carries the command line and its stderr.
          hint: 'the job-internal `circleci` CLI exists only inside a CircleCI job (OIDC needs CircleCI cloud or server 4.4+)',
        },
      );
    }
    const token = result.stdout.trim();
    if (result.code !== 0 || !token) {
      throw new PlatformError(
        'ERR_PLATFORM_TOKEN_REQUEST',
        'circleci',
        `\`circleci run oidc get\` for audience ${audience} failed (exit ${result.code})${result.stderr.trim() ? `: ${ctx.secrets.redact(firstLine(result.stderr))}` : ''}`,
        {
          hint: 'forked pull-request builds get tokens only with "Pass secrets to builds from forked pull requests" enabled',
        },
      );
    }
    ctx.secrets.add(token);
    return token;
  };
  return {
    async idToken(audience) {
      const { name, token } = envToken(ctx);
      const wanted = audience || circleciDefaultAudience(ctx);
      if (token) {
        ctx.secrets.add(token);
        const id = decodeIdentity(token, 'circleci');
        const fits = !audience || id.audience.includes(audience);
        const fresh = !id.expiresAt || id.expiresAt.getTime() - ctx.now() > MINT_MARGIN_MS;
        if (fits && fresh) return token;
        if (!fits)
          ctx.log.debug(`${name} has audience ${id.audience.join(', ')}; minting one for ${audience}`);
        else ctx.log.debug(`${name} expires soon; minting a fresh one`);
      }
      if (!wanted)
        throw new PlatformError(
          'ERR_PLATFORM_TOKEN_UNAVAILABLE',
          'circleci',
          `${name} is not set and no audience is known to mint a token for`,
          { hint: 'set `audience`, or run inside a CircleCI job with OIDC enabled' },
        );
      return mint(wanted);
    },
  };
}

function circleciSink(ctx: PlatformContext, base: SinkBase): Sink {
  const exported = new Set<string>();
  const bashEnv = (): string => {
    const path = ctx.env['BASH_ENV'];
    if (!path)
      throw new PlatformError(
        'ERR_PLATFORM_EXPORT',
        'circleci',
        'cannot export variables: BASH_ENV is not set',
        {
          hint: 'CircleCI sets BASH_ENV for bash steps; on Alpine/ash set BASH_ENV: /etc/profile and shell: /bin/sh -leo pipefail',
        },
      );
    return path;
  };
  return {
    // CircleCI masks only project and context variables; there is no runtime masking API to call.
    mask() {},
    writeFile: (file) => base.writeFile(file),
    recordCleanup: (record) => base.recordCleanup(record),
    async exportEnv(vars) {
      for (const v of vars) exported.add(v.name);
      await appendPrivateFile(
        'circleci',
        bashEnv(),
        renderShellExports('circleci', vars, CIRCLECI_RESERVED_PREFIXES),
      );
    },
    async setOutputs(outputs) {
      const { vars: all, skipped } = outputsAsEnv(outputs);
      // An output whose variable name the exports already set (AWS_REGION) is not appended twice.
      const vars = all.filter((v) => !exported.has(v.name));
      if (skipped.length)
        ctx.log.debug(`secret outputs are exported only as their env variables: ${skipped.join(', ')}`);
      if (vars.length)
        await appendPrivateFile(
          'circleci',
          bashEnv(),
          renderShellExports('circleci', vars, CIRCLECI_RESERVED_PREFIXES),
        );
    },
    async writeSummary(summary) {
      ctx.write(`${base.summaryText(summary)}\n`);
    },
  };
}

/** circleciPrivateDir is `/tmp/federate-<CIRCLE_WORKFLOW_JOB_ID>` (job-scoped, so cleanup in a later step finds it). */
export function circleciPrivateDir(ctx: PlatformContext): PrivateDir {
  if (ctx.options.privateDir) return new PrivateDir('circleci', ctx.options.privateDir, { exclusive: false });
  const job = ctx.env['CIRCLE_WORKFLOW_JOB_ID'];
  if (job && /^[A-Za-z0-9-]+$/.test(job))
    return new PrivateDir('circleci', join(tempDirFrom(ctx.env, 'TMPDIR'), `federate-${job}`), {
      exclusive: false,
    });
  return PrivateDir.random('circleci', tempDirFrom(ctx.env, 'TMPDIR'), 'federate-');
}

/** circleci is the CircleCI platform module. */
export const circleci: PlatformModule = {
  name: 'circleci',
  detect(env) {
    return { detected: env['CIRCLECI'] === 'true', lookedFor: ['CIRCLECI=true'] };
  },
  create(ctx): PlatformInstance {
    const dir = circleciPrivateDir(ctx);
    const base = new SinkBase('circleci', ctx, dir, fileStateStore(dir));
    const audience = circleciDefaultAudience(ctx);
    return {
      name: 'circleci',
      tokenSource: circleciTokenSource(ctx),
      sink: circleciSink(ctx, base),
      ...(audience ? { defaultAudience: audience } : {}),
      privateDir: dir.path,
      cleanup: () => base.cleanup(),
    };
  },
};
