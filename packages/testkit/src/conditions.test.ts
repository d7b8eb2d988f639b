import { describe, expect, it } from 'vitest';
import { globMatch, matchConditions } from './conditions.js';

describe('globMatch', () => {
  it.each([
    ['repo:o/r:*', 'repo:o/r:ref:refs/heads/main', true],
    ['repo:o/r:*', 'repo:o/other:ref:x', false],
    ['repo:o/?:ref', 'repo:o/r:ref', true],
    ['repo:o/?:ref', 'repo:o/rr:ref', false],
    ['a.b', 'axb', false],
    ['a+b(c)[d]$^|{}\\', 'a+b(c)[d]$^|{}\\', true],
    ['*', '', true],
    ['refs/heads/*', 'refs/heads/feature/x', true],
    ['Main', 'main', false],
  ])('%s vs %s', (glob, value, expected) => {
    expect(globMatch(glob, value)).toBe(expected);
  });
});

describe('matchConditions', () => {
  const claims = {
    sub: 'repo:octo-org/octo-repo:environment:prod',
    aud: ['sts.amazonaws.com', 'other'],
    run_attempt: 1,
    'oidc.circleci.com/ssh-rerun': false,
    google: { compute_engine: { project_id: 'p1' } },
  };

  it('passes when every condition matches one of its patterns', () => {
    expect(
      matchConditions(claims, {
        sub: 'repo:octo-org/*:environment:prod',
        aud: 'sts.amazonaws.com',
        run_attempt: ['2', '1'],
        'oidc.circleci.com/ssh-rerun': 'false',
        'google.compute_engine.project_id': 'p?',
      }),
    ).toEqual({ ok: true, failures: [] });
  });

  it('reports every failing condition with the actual value', () => {
    const result = matchConditions(claims, { sub: 'repo:*:ref:*', aud: ['x', 'y'], missing: '*' });
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([
      { claim: 'sub', expected: 'repo:*:ref:*', actual: claims.sub },
      { claim: 'aud', expected: ['x', 'y'], actual: claims.aud },
      { claim: 'missing', expected: '*', actual: undefined },
    ]);
  });
});
