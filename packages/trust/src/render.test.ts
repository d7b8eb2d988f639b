import { describe, expect, it } from 'vitest';
import { inspectToken } from './inspect.js';
import { evaluateAwsTrustPolicy } from './policy/aws.js';
import { checkExpectations, parseExpectations } from './policy/expect.js';
import { type DoctorReport, renderJson, renderMarkdown, renderText } from './render.js';
import { unsignedJwt } from './test-support.js';

const NOW = 1_900_000_000_000;
const claims = {
  iss: 'https://token.actions.githubusercontent.com',
  aud: 'sts.amazonaws.com',
  sub: 'repo:acme/app:ref:refs/heads/dev|x\u001b[31m',
  exp: NOW / 1000 + 60,
  actor: '<img src=x>',
};
const jwt = unsignedJwt(claims);
const report: DoctorReport = {
  inspection: inspectToken(jwt, { now: () => NOW }),
  checks: [
    { name: 'signature', ok: false, detail: 'bad', code: 'ERR_TRUST_JWT_SIGNATURE' },
    { name: 'kid', ok: false, skipped: true, detail: 'not checked' },
  ],
  aws: evaluateAwsTrustPolicy(
    {
      Statement: {
        Sid: 'Main',
        Effect: 'Allow',
        Principal: {
          Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
        },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' },
        },
      },
    },
    claims,
  ),
  expectations: checkExpectations(claims, parseExpectations(['sub=repo:acme/*'])),
};

describe('render', () => {
  it('text has no ANSI unless asked, and neutralises escapes from claims', () => {
    const plain = renderText(report);
    expect(plain).not.toContain('\u001b');
    expect(plain).toContain('AWS trust policy: IMPLICIT-DENY');
    expect(plain).toMatch(/FAIL\s+signature/);
    expect(plain).toMatch(/SKIP\s+kid/);
    const colored = renderText(report, { color: true });
    expect(colored).toContain('\u001b[31mFAIL');
    expect(colored).not.toContain('\u001b[31m"');
  });
  it('markdown escapes pipes and HTML', () => {
    const md = renderMarkdown(report, { showClaims: true });
    expect(md).toContain('dev\\|x');
    expect(md).not.toContain('<img');
    expect(md).toContain('### AWS trust policy: **implicit-deny**');
  });
  it('JSON omits claims unless asked and never contains the token', () => {
    const json = renderJson(report);
    expect(JSON.parse(json).inspection.claims).toBeUndefined();
    expect(JSON.parse(renderJson(report, { showClaims: true })).inspection.claims.actor).toBe('<img src=x>');
    for (const out of [
      json,
      renderText(report, { showClaims: true }),
      renderMarkdown(report, { showClaims: true }),
    ]) {
      expect(out).not.toContain(jwt);
      expect(out).not.toContain(jwt.split('.')[1]);
    }
  });
});
