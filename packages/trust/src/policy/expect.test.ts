import { describe, expect, it } from 'vitest';
import { checkExpectations, parseExpectations } from './expect.js';

const claims = {
  sub: 'repo:acme/app:ref:refs/heads/main',
  aud: ['a', 'sts.amazonaws.com'],
  run: 3,
  job: { sha: 'abc' },
};

describe('expectations', () => {
  const cases: Array<[string, 'allow' | 'deny']> = [
    ['sub=repo:acme/*', 'allow'],
    ['sub=repo:other/*', 'deny'],
    ['aud=sts.amazonaws.com', 'allow'],
    ['aud=sts.*.com', 'allow'],
    ['run=3', 'allow'],
    ['job.sha=abc', 'allow'],
    ['environment=prod', 'deny'],
    ['sub=repo:acme/app:ref:refs/heads/mai?', 'allow'],
  ];
  it.each(cases)('%s', (input, decision) => {
    expect(checkExpectations(claims, parseExpectations([input])).decision).toBe(decision);
  });
  it('reports every malformed entry', () => {
    expect(() => parseExpectations(['nope', '=x', 'a b=c'])).toThrow(
      expect.objectContaining({ code: 'ERR_TRUST_EXPECT_SYNTAX' }),
    );
  });
  it('keeps "=" inside the pattern', () => {
    expect(parseExpectations(['x=a=b'])).toEqual([{ claim: 'x', pattern: 'a=b' }]);
  });
});
