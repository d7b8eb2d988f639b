/**
 * env-name.ts: which variable names a sink may export. A name must be a portable shell identifier,
 * and must not be one that changes how later programs start (a credential exchange has no business
 * setting NODE_OPTIONS or LD_PRELOAD) or one the platform reserves for itself.
 */
import { envNameProblem, PlatformError } from '@federate/core';

export { DANGEROUS_ENV_NAMES, DANGEROUS_ENV_PREFIXES, ENV_NAME_PATTERN } from '@federate/core';

/**
 * checkEnvName throws ERR_PLATFORM_EXPORT when `name` is invalid, dangerous, or reserved by this
 * platform: the same policy (core's envNameProblem) the option parsers applied before any request.
 */
export function checkEnvName(platform: string, name: string, reservedPrefixes: readonly string[] = []): void {
  const problem = envNameProblem(name, reservedPrefixes);
  if (problem?.kind === 'pattern') {
    throw new PlatformError(
      'ERR_PLATFORM_EXPORT',
      platform,
      `refusing to export ${JSON.stringify(name.slice(0, 64))}: not a valid environment variable name`,
      { hint: 'use letters, digits and underscores, not starting with a digit' },
    );
  }
  if (problem) {
    const why =
      problem.kind === 'reserved'
        ? `the ${platform} platform reserves the ${problem.prefix}* names`
        : problem.reason;
    throw new PlatformError('ERR_PLATFORM_EXPORT', platform, `refusing to export ${name}: ${why}`, {
      hint: 'choose another variable name for this value',
    });
  }
}

/** OUTPUT_NAME_PATTERN is what step outputs may be called. */
export const OUTPUT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** checkOutputName throws ERR_PLATFORM_EXPORT for an output name that is not an identifier. */
export function checkOutputName(platform: string, name: string): void {
  if (!OUTPUT_NAME_PATTERN.test(name)) {
    throw new PlatformError(
      'ERR_PLATFORM_EXPORT',
      platform,
      `refusing to set output ${JSON.stringify(name.slice(0, 64))}: not a valid output name`,
      { hint: 'use letters, digits, `-` and `_`' },
    );
  }
}

/** outputEnvName maps an output name (`aws-account-id`) to the variable shell platforms export it as (`AWS_ACCOUNT_ID`). */
export function outputEnvName(output: string): string {
  return output.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase();
}
