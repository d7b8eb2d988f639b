/**
 * temp-dir.ts: the directory a platform keeps its private files under: the job's own
 * temporary-directory variable (GitHub's RUNNER_TEMP, always set on a runner; TMPDIR elsewhere,
 * when the job sets it), else the system's. node:os is loaded on that fallback path only: importing
 * it at start-up cost every GitHub step ~0.5 ms for a function it never calls (docs/benchmarks.md).
 */
import type { Env } from '@federate/core';

/** tempDirFrom returns `env[variable]`, or the system's temporary directory when it is unset or empty. */
export function tempDirFrom(env: Env, variable: string): string {
  return env[variable] || (process.getBuiltinModule('node:os') as typeof import('node:os')).tmpdir();
}
