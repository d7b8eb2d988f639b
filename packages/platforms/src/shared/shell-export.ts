/**
 * shell-export.ts: the sinks of platforms without runtime masking or an env file protocol (GitLab,
 * CircleCI, Cloud Build) all hand values on as `export NAME='value'` lines a later shell sources.
 * Outputs become variables too, but only non-secret ones: secrets travel as the env they already are.
 */
import type { ExportedVariable, PlatformName } from '@federate/core';
import { checkEnvName, outputEnvName } from './env-name.js';
import { shellExport } from './escape.js';

/** renderShellExports validates every name first, then renders the lines (all or nothing). */
export function renderShellExports(
  platform: PlatformName,
  vars: readonly ExportedVariable[],
  reservedPrefixes: readonly string[],
): string {
  for (const v of vars) checkEnvName(platform, v.name, reservedPrefixes);
  return vars.map((v) => shellExport(v.name, v.value)).join('');
}

/** outputsAsEnv maps non-secret outputs to variables (`aws-account-id` → AWS_ACCOUNT_ID); returns them and the skipped names. */
export function outputsAsEnv(outputs: readonly ExportedVariable[]): {
  vars: ExportedVariable[];
  skipped: string[];
} {
  const vars: ExportedVariable[] = [];
  const skipped: string[] = [];
  for (const o of outputs) {
    if (o.secret) skipped.push(o.name);
    else vars.push({ name: outputEnvName(o.name), value: o.value, secret: false });
  }
  return { vars, skipped };
}
