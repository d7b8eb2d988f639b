import { describe, expect, it } from 'vitest';
import { evaluateGcpProvider } from './gcp-cel.js';

const claims = {
  iss: 'https://token.actions.githubusercontent.com',
  aud: 'https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/v',
  sub: 'repo:acme/app:ref:refs/heads/main',
  repository_id: '42',
};
const base = {
  attributeMapping: {
    'google.subject': 'assertion.sub',
    'attribute.repository_id': 'assertion.repository_id',
  },
  issuerUri: 'https://token.actions.githubusercontent.com/',
  providerName: 'projects/1/locations/global/workloadIdentityPools/p/providers/v',
};

describe('evaluateGcpProvider', () => {
  it('maps attributes and passes a true condition', () => {
    const r = evaluateGcpProvider({ ...base, attributeCondition: "attribute.repository_id == '42'" }, claims);
    expect(r.decision).toBe('allow');
    expect(r.attributes).toEqual({ 'google.subject': claims.sub, 'attribute.repository_id': '42' });
    expect(r.condition).toEqual({ result: true, decidedBy: "attribute.repository_id == '42'" });
  });
  it('denies on a false condition and names the decider', () => {
    const r = evaluateGcpProvider(
      {
        ...base,
        attributeCondition: "assertion.sub.startsWith('repo:acme/') && assertion.repository_id == '7'",
      },
      claims,
    );
    expect(r.decision).toBe('deny');
    expect(r.condition).toEqual({ result: false, decidedBy: "assertion.repository_id == '7'" });
  });
  it('denies on a condition error (missing claim)', () => {
    const r = evaluateGcpProvider({ ...base, attributeCondition: "assertion.environment == 'prod'" }, claims);
    expect(r.decision).toBe('deny');
    expect(r.condition.result).toBe('error');
  });
  it('requires google.subject', () => {
    const r = evaluateGcpProvider({ attributeMapping: { 'attribute.x': 'assertion.sub' } }, claims);
    expect(r.checks.find((c) => c.name === 'google.subject')!.ok).toBe(false);
  });
  it('rejects a google.subject over 127 bytes', () => {
    const r = evaluateGcpProvider(
      { attributeMapping: { 'google.subject': 'assertion.sub' } },
      { ...claims, sub: 'é'.repeat(64) },
    );
    expect(r.decision).toBe('deny');
    const ok = evaluateGcpProvider(
      { attributeMapping: { 'google.subject': 'assertion.sub' } },
      { ...claims, sub: 'a'.repeat(127) },
    );
    expect(ok.decision).toBe('allow');
  });
  it('checks the default audience and the issuer', () => {
    expect(evaluateGcpProvider(base, { ...claims, aud: 'other' }).decision).toBe('deny');
    expect(
      evaluateGcpProvider({ ...base, allowedAudiences: ['other'] }, { ...claims, aud: 'other' }).decision,
    ).toBe('allow');
    expect(evaluateGcpProvider(base, { ...claims, iss: 'https://gitlab.com' }).decision).toBe('deny');
  });
  it('rejects invalid mapping targets and surfaces parse errors', () => {
    expect(
      evaluateGcpProvider(
        { attributeMapping: { 'google.subject': 'assertion.sub', 'attribute.Bad-Name': 'assertion.sub' } },
        claims,
      ).decision,
    ).toBe('deny');
    expect(() => evaluateGcpProvider({ ...base, attributeCondition: 'assertion.sub ==' }, claims)).toThrow(
      expect.objectContaining({ code: 'ERR_TRUST_CEL_PARSE' }),
    );
  });
});
