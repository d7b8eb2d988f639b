/**
 * cleanup.ts: `federate cleanup`: remove what an earlier exchange wrote and revoke what it recorded.
 * Safe to run when nothing was recorded (a `when: always` step after a failed exchange).
 */
import { revokeRecorded, SecretRegistry } from '@federate/core';
import { loadRevokingTargets } from '@federate/targets/lazy';
import type { ParsedArgs } from '../args.js';
import { EXIT_CLEANUP, EXIT_OK } from '../exit-codes.js';
import { createPlatform } from '../platform.js';
import { makeDeps, type Io } from '../runtime.js';

/** runCleanup is `federate cleanup`. */
export async function runCleanup(args: ParsedArgs, io: Io, secrets = new SecretRegistry()): Promise<number> {
  const deps = makeDeps(io, secrets, 'cli', args.inputs['platform'] ?? 'auto');
  const platform = createPlatform(io, deps, secrets, args.inputs);
  const { removed, revoke } = await platform.cleanup();
  const errors = await revokeRecorded(revoke, await loadRevokingTargets(revoke), deps);
  deps.log.info(
    `federate cleanup: removed ${removed.length} file(s), revoked ${revoke.length - errors.length} of ${revoke.length} token(s)`,
  );
  for (const e of errors) deps.log.warn(`${e.code}: ${e.message}`);
  return errors.length ? EXIT_CLEANUP : EXIT_OK;
}
