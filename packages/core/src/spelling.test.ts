import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from './spelling.js';

describe('closestName', () => {
  const accepted = new Set([
    'role-arn',
    'region',
    'repository',
    'repository-id',
    'audience',
    'platform',
    'target',
  ]);

  it.each([
    ['rol-arn', 'role-arn'], // a letter missing
    ['audiense', 'audience'], // a letter wrong
    ['platfrom', 'platform'], // two letters swapped
    ['regoin', 'region'],
    ['targte', 'target'],
  ])('guesses --%s meant --%s', (typed, meant) => {
    expect(closestName(typed, accepted)).toBe(meant);
  });

  it('guesses a unique longer name from its start, and nothing from an ambiguous one', () => {
    expect(closestName('reposit', new Set(['repository', 'region']))).toBe('repository');
    expect(closestName('repo', accepted)).toBeUndefined(); // repository or repository-id
    expect(closestName('ro', accepted)).toBeUndefined(); // too short to guess from
  });

  it('guesses nothing when no option is close', () => {
    expect(closestName('bogus-flag', accepted)).toBeUndefined();
    expect(closestName('x', accepted)).toBeUndefined();
  });
});

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['platfrom', 'platform', 1],
    ['role-arn', 'role-arn', 0],
  ])('%j -> %j is %i', (a, b, n) => {
    expect(editDistance(a, b)).toBe(n);
    expect(editDistance(b, a)).toBe(n);
  });
});
