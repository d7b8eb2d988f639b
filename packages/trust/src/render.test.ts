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
    // The escape injected after `dev|x` in the subject claim must not survive into the output.
    expect(colored).not.toContain('x\u001b[31m');
  });
  it('markdown escapes pipes and HTML', () => {
    const md = renderMarkdown(report, { showClaims: true });
    expect(md).toContain('dev\\|x');
    expect(md).not.toContain('<img');
    expect(md).toContain('### AWS trust policy: **implicit-deny**');
  });
  it('JSON omits personal claims unless asked and never contains the token', () => {
    const json = renderJson(report);
    expect(JSON.parse(json).inspection.claims.actor).toBeUndefined();
    expect(JSON.parse(json).inspection.hiddenClaims).toEqual(['actor']);
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

describe("render: claim values beside each cloud's spelling", () => {
  const iat = NOW / 1000 - 30;
  const github = {
    iss: 'https://token.actions.githubusercontent.com',
    aud: 'sts.amazonaws.com',
    sub: 'repo:acme/app:environment:prod',
    ref: 'refs/heads/release',
    job_workflow_ref: 'acme/wf/.github/workflows/deploy.yml@refs/tags/v1',
    repository_id: '4242',
    actor: 'octocat-person',
    user_email: 'person@example.com',
    ctx: { env: 'prod' },
    iat,
    exp: NOW / 1000 + 60,
  };
  const r: DoctorReport = { inspection: inspectToken(unsignedJwt(github), { now: () => NOW }) };
  const line = (text: string, name: string) =>
    text.split('\n').find((l) => new RegExp(`^\\s+PASS\\s+${name}\\s`).test(l));

  it('text shows every testable claim with its value, AWS key, GCP CEL and Vault key', () => {
    const text = renderText(r);
    const ref = line(text, 'ref');
    expect(ref).toContain(JSON.stringify(github.ref));
    expect(ref).toContain('token.actions.githubusercontent.com:ref');
    expect(ref).toContain('assertion.ref');
    expect(line(text, 'job_workflow_ref')).toContain(JSON.stringify(github.job_workflow_ref));
    expect(line(text, 'repository_id')).toContain(JSON.stringify(github.repository_id));
    expect(line(text, 'sub')).toContain('google.subject=assertion.sub');
    expect(line(text, 'ctx')).toContain('vault /ctx/env');
    expect(line(text, 'issued')).toContain(new Date(iat * 1000).toISOString());
    expect(line(text, 'gcp subject')).toContain('google.subject=assertion.sub');
  });

  it("keeps personal claims' values behind showClaims, but still spells their keys", () => {
    const text = renderText(r);
    expect(text).not.toContain(github.actor);
    expect(text).not.toContain(github.user_email);
    expect(line(text, 'actor')).toContain('token.actions.githubusercontent.com:actor');
    const shown = renderText(r, { showClaims: true });
    expect(line(shown, 'actor')).toContain(JSON.stringify(github.actor));
    expect(line(shown, 'user_email')).toContain(JSON.stringify(github.user_email));
  });

  it('JSON and markdown carry the values too', () => {
    const json = JSON.parse(renderJson(r)).inspection;
    const aws = Object.fromEntries(
      (json.conditionKeys.aws.keys as Array<{ key: string; value?: unknown }>).map((k) => [k.key, k]),
    );
    expect(aws['token.actions.githubusercontent.com:ref']?.value).toBe(github.ref);
    expect(aws['token.actions.githubusercontent.com:actor']).not.toHaveProperty('value');
    expect(
      (json.conditionKeys.vault as Array<{ boundClaimsKey: string; value?: unknown }>).find(
        (v) => v.boundClaimsKey === '/ctx/env',
      )?.value,
    ).toBe('prod');
    expect(
      (json.conditionKeys.gcp.attributes as Array<{ claim: string; value?: unknown }>).find(
        (a) => a.claim === 'job_workflow_ref',
      )?.value,
    ).toBe(github.job_workflow_ref);
    expect(json.hiddenClaims).toEqual(['actor', 'user_email']);
    expect(JSON.stringify(json)).not.toContain(github.actor);
    const md = renderMarkdown(r);
    expect(md).toContain(github.job_workflow_ref);
    expect(md).not.toContain(github.user_email);
  });

  it('shows what AWS compares for Google tokens (aud is azp, oaud is aud)', () => {
    const google = inspectToken(
      unsignedJwt({
        iss: 'https://accounts.google.com',
        aud: 'https://sts.example',
        azp: '1234567890',
        sub: '1234567890',
        email: 'builder@p.iam.gserviceaccount.com',
        exp: NOW / 1000 + 60,
      }),
      { now: () => NOW },
    );
    const text = renderText({ inspection: google });
    expect(line(text, 'aud')).toContain('accounts.google.com:aud = "1234567890"');
    expect(line(text, 'oaud')).toContain('accounts.google.com:oaud = "https://sts.example"');
    expect(text).not.toContain('builder@');
  });
});

describe('renderText: Entra and Okta PA spellings', () => {
  it('shows what an Entra federated credential and an Okta PA workload connection must match', () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'RS256', kid: 'k' })}.${b64({ iss: 'https://token.actions.githubusercontent.com', sub: 'repo:acme/app:ref:refs/heads/main', aud: 'okta-aud', iat: 1, exp: 4_000_000_000 })}.c2ln`;
    const text = renderText({ inspection: inspectToken(jwt, { now: () => 2_000 }) });
    expect(text).toMatch(
      /entra credential\s+issuer https:\/\/token\.actions\.githubusercontent\.com, subject repo:acme\/app:ref:refs\/heads\/main/,
    );
    expect(text).toMatch(
      /okta-pa connection\s+issuer https:\/\/token\.actions\.githubusercontent\.com; require aud = okta-aud/,
    );
  });
});
