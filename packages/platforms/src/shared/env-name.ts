/**
 * env-name.ts: which variable names a sink may export. A name must be a portable shell identifier,
 * and must not be one that changes how later programs start (a credential exchange has no business
 * setting NODE_OPTIONS or LD_PRELOAD) or one the platform reserves for itself.
 */
import { PlatformError } from '@federate/core';

/** ENV_NAME_PATTERN is a POSIX shell identifier. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** DANGEROUS_ENV_NAMES change how shells, loaders and runtimes start; exporting them is refused. */
export const DANGEROUS_ENV_NAMES: ReadonlySet<string> = new Set([
  'PATH',
  'HOME',
  'SHELL',
  'ENV',
  'BASH_ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'IFS',
  'PS4',
  'PROMPT_COMMAND',
  'CDPATH',
  'GLOBIGNORE',
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_EXTRA_CA_CERTS',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'PYTHONPATH',
  'PYTHONSTARTUP',
  'PYTHONHOME',
  'PYTHONINSPECT',
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'RUBYOPT',
  'RUBYLIB',
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_ASKPASS',
  'GIT_EXEC_PATH',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_SYSTEM',
  'SSH_ASKPASS',
  'EDITOR',
  'VISUAL',
  'PAGER',
  'TMPDIR',
]);

/** DANGEROUS_ENV_PREFIXES are loader and shell-function prefixes refused on every platform. */
export const DANGEROUS_ENV_PREFIXES: readonly string[] = ['LD_', 'DYLD_', 'BASH_FUNC_', 'GIT_CONFIG_'];

/** checkEnvName throws ERR_PLATFORM_EXPORT when `name` is invalid, dangerous, or reserved by the platform. */
export function checkEnvName(platform: string, name: string, reservedPrefixes: readonly string[] = []): void {
  if (!ENV_NAME_PATTERN.test(name)) {
    throw new PlatformError(
      'ERR_PLATFORM_EXPORT',
      platform,
      `refusing to export ${JSON.stringify(name.slice(0, 64))}: not a valid environment variable name`,
      { hint: 'use letters, digits and underscores, not starting with a digit' },
    );
  }
  // Windows environments are case-insensitive (`Path`), so compare in upper case.
  const upper = name.toUpperCase();
  const why = DANGEROUS_ENV_NAMES.has(upper)
    ? 'it changes how later programs start'
    : DANGEROUS_ENV_PREFIXES.some((p) => upper.startsWith(p))
      ? 'it changes how later programs start'
      : reservedPrefixes.some((p) => upper.startsWith(p))
        ? `the ${platform} platform reserves the ${reservedPrefixes.find((p) => upper.startsWith(p))}* names`
        : undefined;
  if (why) {
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
