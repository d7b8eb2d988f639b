/**
 * post.ts: the Action's post step. Removes exactly the files main recorded and revokes the
 * server-side tokens it recorded (Vault, octo-sts). Never fails the job over cleanup: it warns.
 */
import { revokeRecorded } from '@federate/core';
import { readGitHubInputs } from '@federate/platforms';
import { loadRevokingTargets } from '@federate/targets/lazy';
import { actionRuntime } from './runtime.js';

async function run(): Promise<void> {
  const { deps, platform } = actionRuntime('post');
  const log = deps.log;
  // `cleanup: false` keeps everything main wrote (files and server-side tokens) for later jobs' steps.
  if (readGitHubInputs(deps.env, ['cleanup'])['cleanup']?.toLowerCase() === 'false') {
    log.info('Federate cleanup skipped (cleanup: false)');
    return;
  }
  try {
    const { removed, revoke } = await platform.cleanup();
    const errors = await revokeRecorded(revoke, await loadRevokingTargets(revoke), deps);
    log.info(
      `Federate cleanup: removed ${removed.length} file(s), revoked ${revoke.length - errors.length} of ${revoke.length} token(s)`,
    );
    for (const e of errors) log.warn(`${e.code}: ${e.message}`);
  } catch (error) {
    log.warn(`Federate cleanup could not finish: ${(error as { code?: string }).code ?? 'unexpected error'}`);
  }
}

void run();
