/**
 * github-runner.ts: the testkit's runner simulation, bound to this repository's Node 24 binary.
 */
import { join } from 'node:path';
import { Job as TestkitJob } from '@federate/testkit';

export {
  maskedValues,
  parseFileCommands,
  type ProcessResult,
  runProcess,
  type StepResult,
  withoutMaskCommands,
} from '@federate/testkit';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** node24 is the Node 24 binary the runner uses for `runs.using: node24`. */
export function node24(): string {
  if (process.version.startsWith('v24.')) return process.execPath;
  return join(repoRoot, 'node_modules', 'node', 'bin', 'node');
}

/** Job runs steps with Node 24, as the runner does for `runs.using: node24`. */
export class Job extends TestkitJob {
  constructor(baseEnv: Record<string, string>) {
    super(baseEnv, node24());
  }
}
