import type { Claims } from '../claims.js';
import { TrustError } from '../errors.js';
import { globMatch } from '../glob.js';

/** Expectation is one `claim=pattern` requirement, `*` and `?` being wildcards. */
export interface Expectation {
  claim: string;
  pattern: string;
}

/** ExpectationCheck is one explained expectation. */
export interface ExpectationCheck extends Expectation {
  ok: boolean;
  actual: string | string[] | undefined;
  detail: string;
}

/** ExpectationResult is the verdict over all expectations (AND). */
export interface ExpectationResult {
  decision: 'allow' | 'deny';
  checks: ExpectationCheck[];
}

/**
 * parseExpectations parses `--expect` values like `sub=repo:acme/*` or `aud=sts.amazonaws.com`.
 * Every malformed entry is reported at once (TrustError ERR_TRUST_EXPECT_SYNTAX).
 */
export function parseExpectations(inputs: readonly string[]): Expectation[] {
  const out: Expectation[] = [];
  const bad: string[] = [];
  for (const input of inputs) {
    const eq = input.indexOf('=');
    const claim = eq > 0 ? input.slice(0, eq).trim() : '';
    if (eq <= 0 || claim === '' || /\s/.test(claim)) bad.push(JSON.stringify(input));
    else out.push({ claim, pattern: input.slice(eq + 1) });
  }
  if (bad.length)
    throw new TrustError(
      'ERR_TRUST_EXPECT_SYNTAX',
      `expectations must look like claim=pattern: ${bad.join(', ')}`,
    );
  return out;
}

/**
 * checkExpectations tests claims against expectations. Array claims (e.g. `aud`) pass when any element
 * matches; non-string scalars are compared as text; claim names may be dotted paths into nested claims.
 */
export function checkExpectations(claims: Claims, expectations: readonly Expectation[]): ExpectationResult {
  const checks = expectations.map((e): ExpectationCheck => {
    let raw: unknown = claims[e.claim];
    if (raw === undefined && e.claim.includes('.')) {
      raw = e.claim
        .split('.')
        .reduce<unknown>(
          (cur, k) =>
            cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined,
          claims,
        );
    }
    if (raw === undefined || raw === null) {
      return {
        ...e,
        ok: false,
        actual: undefined,
        detail: `${e.claim} expected ${e.pattern}, token has no ${e.claim} → no match`,
      };
    }
    const list = (Array.isArray(raw) ? raw : [raw]).map((v) =>
      typeof v === 'object' ? JSON.stringify(v) : String(v),
    );
    const ok = list.some((v) => globMatch(e.pattern, v));
    const actual = Array.isArray(raw) ? list : list[0];
    return {
      ...e,
      ok,
      actual,
      detail: `${e.claim} expected ${e.pattern}, token has ${Array.isArray(actual) ? `[${actual.join(', ')}]` : actual} → ${ok ? 'match' : 'no match'}`,
    };
  });
  return { decision: checks.every((c) => c.ok) ? 'allow' : 'deny', checks };
}
