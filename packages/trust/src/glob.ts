/**
 * globToRegExp compiles an AWS-style pattern: `*` is any run of characters (also `/`), `?` exactly one
 * character, everything else literal. Anchored at both ends.
 */
export function globToRegExp(
  pattern: string,
  options: { ignoreCase?: boolean; question?: boolean } = {},
): RegExp {
  let src = '';
  for (const ch of pattern) {
    if (ch === '*') src += '[\\s\\S]*';
    else if (ch === '?' && options.question !== false) src += '[\\s\\S]';
    else src += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, options.ignoreCase ? 'iu' : 'u');
}

/** globMatch tests `value` against an AWS-style `*`/`?` pattern. */
export function globMatch(pattern: string, value: string, options: { ignoreCase?: boolean } = {}): boolean {
  return globToRegExp(pattern, options).test(value);
}

/** hasWildcard tells whether a value would act as a pattern under `*`/`?` globbing. */
export function hasWildcard(value: string): boolean {
  return value.includes('*') || value.includes('?');
}
