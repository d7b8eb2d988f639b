/** ConditionFailure is one condition that did not match, with the claim's actual value. */
export interface ConditionFailure {
  claim: string;
  expected: string | string[];
  actual: unknown;
}

/** ConditionResult is the outcome of matchConditions; `ok` is true when `failures` is empty. */
export interface ConditionResult {
  ok: boolean;
  failures: ConditionFailure[];
}

/** globToRegExp compiles a glob (`*` any run, `?` one character, everything else literal). */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '?') source += '[\\s\\S]';
    else source += ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'u');
}

/** globMatch tells whether `value` matches `glob` in full (case-sensitive, like AWS StringLike). */
export function globMatch(glob: string, value: string): boolean {
  return globToRegExp(glob).test(value);
}

// Claim names such as `oidc.circleci.com/project-id` contain dots, so the exact key wins; a dotted path
// into nested objects (`google.compute_engine.project_id`) is only tried when no such key exists.
function lookup(claims: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let current: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * matchConditions checks claims against trust conditions: each condition names a claim and one glob or
 * a list of globs (any may match). A claim holding an array (e.g. `aud`) matches when any element does;
 * numbers and booleans are compared as text; a missing claim never matches.
 */
export function matchConditions(
  claims: Record<string, unknown>,
  conditions: Record<string, string | string[]>,
): ConditionResult {
  const failures: ConditionFailure[] = [];
  for (const [claim, expected] of Object.entries(conditions)) {
    const patterns = (Array.isArray(expected) ? expected : [expected]).map(globToRegExp);
    const actual = lookup(claims, claim);
    const values = (Array.isArray(actual) ? actual : [actual])
      .map(scalarText)
      .filter((v): v is string => v !== undefined);
    const matched = values.some((v) => patterns.some((p) => p.test(v)));
    if (!matched) failures.push({ claim, expected, actual });
  }
  return { ok: failures.length === 0, failures };
}
