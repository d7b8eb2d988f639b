/**
 * env-name.ts: which names Federate may export a value as. One policy, used twice: when options are
 * parsed (an `env-name: NODE_OPTIONS` fails before any request is made) and by every sink right before
 * it writes (the last line of defence for names that come from a server or a mapping).
 */

/** ENV_NAME_PATTERN is a portable POSIX shell identifier. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** DANGEROUS_ENV_NAMES change how shells, loaders and runtimes start; exporting them is refused. */
export const DANGEROUS_ENV_NAMES: ReadonlySet<string> = new Set([
  'PATH',
  'HOME',
  'USER',
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
  // A proxy variable would route every later program's traffic, credentials included.
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  // Tools change behaviour on CI=true; a credential has no business unsetting it.
  'CI',
]);

/** DANGEROUS_ENV_PREFIXES are loader and shell-function prefixes refused on every platform. */
export const DANGEROUS_ENV_PREFIXES: readonly string[] = ['LD_', 'DYLD_', 'BASH_FUNC_', 'GIT_CONFIG_'];

/** RESERVED_ENV_PREFIXES are the variable namespaces each CI platform keeps for itself. */
export const RESERVED_ENV_PREFIXES = {
  github: ['GITHUB_', 'RUNNER_', 'ACTIONS_'],
  gitlab: ['CI_', 'GITLAB_'],
  circleci: ['CIRCLE_'],
} as const satisfies Record<string, readonly string[]>;

/**
 * EVERY_CI_RESERVED_PREFIX is every platform's namespace. Options refuse all of them, so one
 * configuration is accepted or refused the same way on every platform.
 */
export const EVERY_CI_RESERVED_PREFIX: readonly string[] = Object.values(RESERVED_ENV_PREFIXES).flat();

/** EnvNameProblem says why a name cannot be exported; `kind` lets callers pick their error code. */
export interface EnvNameProblem {
  readonly kind: 'pattern' | 'dangerous' | 'reserved';
  readonly reason: string;
  readonly prefix?: string;
}

/**
 * envNameProblem tells why `name` must not be exported, or undefined when it may be. Windows
 * environments are case-insensitive (`Path`), so names are compared in upper case.
 */
export function envNameProblem(
  name: string,
  reservedPrefixes: readonly string[] = EVERY_CI_RESERVED_PREFIX,
): EnvNameProblem | undefined {
  if (!ENV_NAME_PATTERN.test(name))
    return { kind: 'pattern', reason: 'is not a valid environment variable name' };
  const upper = name.toUpperCase();
  if (DANGEROUS_ENV_NAMES.has(upper) || DANGEROUS_ENV_PREFIXES.some((p) => upper.startsWith(p)))
    return { kind: 'dangerous', reason: 'it changes how later programs start' };
  const prefix = reservedPrefixes.find((p) => upper.startsWith(p));
  if (prefix) return { kind: 'reserved', reason: `the CI platform reserves the ${prefix}* names`, prefix };
  return undefined;
}
