/**
 * github/: GitHub Actions. Detected by GITHUB_ACTIONS=true; tokens from the runner's ID-token
 * endpoint; secrets masked with `::add-mask::` before anything is exported; files under
 * RUNNER_TEMP (emptied by the runner at the start and end of every job, and outside the workspace
 * that artifacts, caches and Docker builds pick up); cleanup state for the post step in GITHUB_STATE.
 */
import { PrivateDir } from '../shared/private-dir.js';
import { SinkBase } from '../shared/sink-base.js';
import { tempDirFrom } from '../shared/temp-dir.js';
import type { PlatformContext, PlatformInstance, PlatformModule } from '../types.js';
import { loadState } from './inputs.js';
import { githubSink, githubStateStore } from './sink.js';
import { githubTokenSource } from './token-source.js';

export { GITHUB_STATE_KEY, inputVariable, loadState, readGitHubInputs } from './inputs.js';
export { appendFileCommands, GITHUB_RESERVED_PREFIXES, githubSink } from './sink.js';
export { githubTokenSource } from './token-source.js';

function privateDirFor(ctx: PlatformContext): PrivateDir {
  if (ctx.options.privateDir) return new PrivateDir('github', ctx.options.privateDir, { exclusive: false });
  // The post step is a new process: it must find the directory main chose, recorded in the state.
  const saved = loadState(ctx.env)?.dir;
  if (saved) return new PrivateDir('github', saved, { exclusive: false });
  return PrivateDir.random('github', tempDirFrom(ctx.env, 'RUNNER_TEMP'), 'federate-');
}

/** github is the GitHub Actions platform module. */
export const github: PlatformModule = {
  name: 'github',
  detect(env) {
    return { detected: env['GITHUB_ACTIONS'] === 'true', lookedFor: ['GITHUB_ACTIONS=true'] };
  },
  create(ctx): PlatformInstance {
    const dir = privateDirFor(ctx);
    const base = new SinkBase('github', ctx, dir, githubStateStore(ctx));
    return {
      name: 'github',
      tokenSource: githubTokenSource(ctx),
      sink: githubSink(ctx, base),
      privateDir: dir.path,
      cleanup: () => base.cleanup(),
    };
  },
};
