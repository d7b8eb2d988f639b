import { describe, expect, it } from 'vitest';
import { TrustError } from '../errors.js';
import { type CelValue, celSource, evalCel, parseCel } from './cel.js';

const assertion: CelValue = {
  sub: 'repo:acme/app:ref:refs/heads/main',
  repository: 'acme/app',
  repository_id: '42',
  run_number: 7,
  groups: ['a', 'b'],
  'oidc.circleci.com/project-id': 'p1',
  nested: { x: 'y' },
};
const vars = { assertion, attribute: { repo: 'acme/app' }, google: { subject: 's' } };
const run = (src: string): CelValue => evalCel(parseCel(src), vars).value;

describe('CEL subset', () => {
  const cases: Array<[string, CelValue]> = [
    ["assertion.repository == 'acme/app'", true],
    ["assertion.repository != 'acme/app'", false],
    ["assertion['oidc.circleci.com/project-id'] == 'p1'", true],
    ["assertion.repository_id == '42' && assertion.sub.startsWith('repo:acme/')", true],
    ["assertion.repository_id == '7' || assertion.sub.endsWith(':refs/heads/main')", true],
    ["!(assertion.repository == 'x')", true],
    ["assertion.repository in ['acme/app', 'acme/other']", true],
    ["'c' in assertion.groups", false],
    ["assertion.sub.contains('acme')", true],
    ["assertion.sub.matches('^repo:acme/[a-z]+:ref:refs/heads/(main|release)$')", true],
    ["assertion.sub.matches('heads')", true],
    ["assertion.sub.matches('(?i)^REPO:')", true],
    ["'repo:' + assertion.repository", 'repo:acme/app'],
    ['size(assertion.groups)', 2],
    ["size('héllo')", 5],
    ['assertion.repository.size() > 3', true],
    ['assertion.run_number == 7', true],
    ["assertion.run_number == '7'", false],
    ["attribute.repo == 'acme/app' && google.subject == 's'", true],
    ["assertion.nested.x == 'y'", true],
    ['has(assertion.missing)', false],
    ["assertion.repository == 'x' ? 'a' : 'b'", 'b'],
    ["'it\\'s' == \"it's\"", true],
    ["false && assertion.missing == 'x'", false],
    ["true || assertion.missing == 'x'", true],
    ["assertion.missing == 'x' && false", false],
  ];
  it.each(cases)('%s', (src, want) => {
    expect(run(src)).toEqual(want);
  });

  const evalErrors = [
    "assertion.missing == 'x'",
    "assertion.missing == 'x' && true",
    "assertion.run_number.startsWith('7')",
    "assertion.sub.matches('(a)\\\\1')",
    "assertion.sub.matches('(?=x)')",
    "assertion.sub.matches('(a+)+$')",
    'unknown.x',
    "assertion.sub.nope('x')",
  ];
  it.each(evalErrors)('evaluation error: %s', (src) => {
    expect(() => run(src)).toThrow(expect.objectContaining({ code: 'ERR_TRUST_CEL_EVAL' }));
  });

  const parseErrors = [
    "assertion.sub == 'unterminated",
    'assertion.sub ==',
    '(assertion.sub',
    "assertion.sub == 'a' 'b'",
    'assertion.sub = 1',
    'assertion.',
    '1.5 == 1',
    "a ? 'b'",
    '@',
    '[1, 2',
    `${'('.repeat(100)}1${')'.repeat(100)}`,
  ];
  it.each(parseErrors)('parse error: %s', (src) => {
    expect(() => parseCel(src)).toThrow(TrustError);
    expect(() => parseCel(src)).toThrow(expect.objectContaining({ code: 'ERR_TRUST_CEL_PARSE' }));
  });

  it('names the deciding sub-expression', () => {
    const src = "assertion.repository_id == '42' && assertion.sub.startsWith('repo:other/')";
    const r = evalCel(parseCel(src), vars);
    expect(r.value).toBe(false);
    expect(celSource(src, r.decidedBy)).toBe("assertion.sub.startsWith('repo:other/')");
    const neg = "!(assertion.repository == 'acme/app')";
    expect(celSource(neg, evalCel(parseCel(neg), vars).decidedBy)).toBe("assertion.repository == 'acme/app'");
  });
});
