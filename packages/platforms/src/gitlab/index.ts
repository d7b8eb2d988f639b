/**
 * gitlab/: GitLab CI/CD. Detected by GITLAB_CI=true. The token is an `id_tokens` variable, minted by
 * GitLab at job start for the audiences the job lists, so it cannot be re-minted: a second request
 * returns the same token and the audience must match. GitLab cannot mask values computed at runtime,
 * so `mask` is a no-op and nothing secret is ever printed; values reach later commands of the job
 * through `<privateDir>/env.sh`, which the component's script sources (inside `set +x`).
 *
 * Private directory: `${CI_PROJECT_DIR}.tmp/federate-<job id>`, beside the checkout in the directory
 * the runner itself uses for file-type variables. It is outside CI_PROJECT_DIR, so no `artifacts:`
 * or `cache:` path (always relative to the project directory) can pick credentials up, and it is
 * reachable from after_script (a new shell of the same job) for cleanup. Without CI_PROJECT_DIR:
 * `${CI_BUILDS_DIR}/.federate-<job id>`, then the system temp directory.
 */
import { join } from 'node:path';
import { PlatformError, type Sink, type TokenSource, RESERVED_ENV_PREFIXES } from '@federate/core';
import { checkEnvName } from '../shared/env-name.js';
import { gitlabDotenvLine } from '../shared/escape.js';
import { PrivateDir } from '../shared/private-dir.js';
import { outputsAsEnv, renderShellExports } from '../shared/shell-export.js';
import { fileStateStore, SinkBase } from '../shared/sink-base.js';
import { checkToken, JWT_SHAPE, tokenAudience } from '../shared/token.js';
import { tempDirFrom } from '../shared/temp-dir.js';
import type { PlatformContext, PlatformInstance, PlatformModule } from '../types.js';

/** DEFAULT_GITLAB_TOKEN_VARIABLE is the id_tokens entry the component declares. */
export const DEFAULT_GITLAB_TOKEN_VARIABLE = 'FEDERATE_ID_TOKEN';
/** GITLAB_RESERVED_PREFIXES are GitLab's predefined variable namespaces. */
export const GITLAB_RESERVED_PREFIXES: readonly string[] = RESERVED_ENV_PREFIXES.gitlab;
/** GITLAB_ENV_FILE and GITLAB_OUTPUTS_FILE are the files the component reads from the private directory. */
export const GITLAB_ENV_FILE = 'env.sh';
export const GITLAB_OUTPUTS_FILE = 'outputs.env';

/** gitlabPrivateDir is the job-private directory (see the module comment for why there). */
export function gitlabPrivateDir(ctx: PlatformContext): string {
  if (ctx.options.privateDir) return ctx.options.privateDir;
  const job = ctx.env['CI_JOB_ID'] || String(process.pid);
  if (ctx.env['CI_PROJECT_DIR'])
    return join(`${ctx.env['CI_PROJECT_DIR'].replace(/\/+$/, '')}.tmp`, `federate-${job}`);
  if (ctx.env['CI_BUILDS_DIR']) return join(ctx.env['CI_BUILDS_DIR'], `.federate-${job}`);
  return join(tempDirFrom(ctx.env, 'TMPDIR'), `federate-${job}`);
}

/** gitlabTokenSource returns the id_tokens variable after checking its audience and expiry. */
export function gitlabTokenSource(ctx: PlatformContext): TokenSource {
  const name = ctx.options.tokenVariable || DEFAULT_GITLAB_TOKEN_VARIABLE;
  return {
    async idToken(audience) {
      const token = ctx.env[name]?.trim();
      if (!token) {
        // Only names are shown: the values are tokens.
        const candidates = Object.keys(ctx.env)
          .filter((k) => k !== name && JWT_SHAPE.test(ctx.env[k]?.trim() ?? ''))
          .sort();
        throw new PlatformError(
          'ERR_PLATFORM_TOKEN_UNAVAILABLE',
          'gitlab',
          `the id_tokens variable ${name} is not set${candidates.length ? `; variables that hold a JWT: ${candidates.join(', ')}` : ''}`,
          {
            hint: candidates.length
              ? `set the token variable to one of them, or add \`id_tokens: ${name}: aud: ${audience || '<audience>'}\` to the job`
              : `add \`id_tokens: ${name}: aud: ${audience || '<audience>'}\` to the job`,
          },
        );
      }
      ctx.secrets.add(token);
      checkToken(
        'gitlab',
        token,
        audience,
        ctx.now(),
        `the GitLab id_tokens variable ${name}`,
        `set \`id_tokens: ${name}: aud:\` in the job to ${audience} (GitLab mints id_tokens at job start, only for the audiences listed there)`,
      );
      return token;
    },
  };
}

function gitlabSink(ctx: PlatformContext, base: SinkBase): Sink {
  let exported = false;
  return {
    // GitLab has no runtime masking (gitlab#337653): nothing to tell it; we never print secrets instead.
    mask() {},
    writeFile: (file) => base.writeFile(file),
    recordCleanup: (record) => base.recordCleanup(record),
    async exportEnv(vars) {
      await base.dir.append(GITLAB_ENV_FILE, renderShellExports('gitlab', vars, GITLAB_RESERVED_PREFIXES));
      exported = true;
      await base.persist();
    },
    async setOutputs(outputs) {
      // The dotenv report is downloadable from the pipeline page: secrets never go there.
      const { vars, skipped } = outputsAsEnv(outputs);
      for (const v of vars) checkEnvName('gitlab', v.name, GITLAB_RESERVED_PREFIXES);
      let text = '';
      for (const v of vars) {
        const line = gitlabDotenvLine(v.name, v.value);
        if (line) text += line;
        else ctx.log.warn(`output ${v.name} is multi-line and cannot go into a dotenv report; skipped`);
      }
      if (skipped.length)
        ctx.log.info(
          `outputs not written to ${GITLAB_OUTPUTS_FILE} because they are secret: ${skipped.join(', ')}`,
        );
      if (text) {
        await base.dir.append(GITLAB_OUTPUTS_FILE, text);
        await base.persist();
      }
    },
    async writeSummary(summary) {
      const lines = [base.summaryText(summary)].filter((l) => l !== '');
      if (exported) lines.push(`later commands of this job: . '${base.dir.resolve(GITLAB_ENV_FILE)}'`);
      ctx.write(`${lines.join('\n')}\n`);
    },
  };
}

/** gitlab is the GitLab CI/CD platform module. */
export const gitlab: PlatformModule = {
  name: 'gitlab',
  detect(env) {
    return { detected: env['GITLAB_CI'] === 'true', lookedFor: ['GITLAB_CI=true'] };
  },
  create(ctx): PlatformInstance {
    const dir = new PrivateDir('gitlab', gitlabPrivateDir(ctx), { exclusive: false });
    const base = new SinkBase('gitlab', ctx, dir, fileStateStore(dir));
    const fixed = tokenAudience(ctx.env[ctx.options.tokenVariable || DEFAULT_GITLAB_TOKEN_VARIABLE]);
    return {
      name: 'gitlab',
      ...(fixed ? { fixedAudience: fixed } : {}),
      tokenSource: gitlabTokenSource(ctx),
      sink: gitlabSink(ctx, base),
      privateDir: dir.path,
      cleanup: () => base.cleanup(),
    };
  },
};
