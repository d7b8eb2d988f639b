import { describe, expect, it } from 'vitest';
import { evaluateVaultRole, type VaultJwtRole } from './vault.js';

const claims = {
  iss: 'https://gitlab.com',
  aud: ['https://vault.example.com', 'other'],
  sub: 'project_path:acme/app:ref_type:branch:ref:main',
  project_id: '42',
  ref: 'main',
  ref_protected: 'true',
  groups: ['dev', 'ops'],
  job_config: { url: 'https://x/y', sha: 'abc' },
  'oidc.circleci.com/project-id': 'p1',
  run: 7,
};
const role = (r: Partial<VaultJwtRole>): VaultJwtRole => ({
  role_type: 'jwt',
  bound_audiences: ['https://vault.example.com'],
  ...r,
});

describe('evaluateVaultRole', () => {
  const cases: Array<[string, VaultJwtRole, 'allow' | 'deny']> = [
    ['audience any match', role({}), 'allow'],
    ['audience none match', role({ bound_audiences: ['x'] }), 'deny'],
    ['no bound audiences with aud in token', role({ bound_audiences: [] }), 'deny'],
    ['bound_subject exact', role({ bound_subject: claims.sub }), 'allow'],
    ['bound_subject does not glob', role({ bound_subject: 'project_path:acme/*' }), 'deny'],
    ['string claim', role({ bound_claims: { project_id: '42', ref: ['dev', 'main'] } }), 'allow'],
    ['string claim is not a glob', role({ bound_claims: { ref: 'ma*' } }), 'deny'],
    ['glob claim', role({ bound_claims_type: 'glob', bound_claims: { ref: 'ma*' } }), 'allow'],
    [
      'glob middle',
      role({ bound_claims_type: 'glob', bound_claims: { sub: 'project_path:acme/*:ref:main' } }),
      'allow',
    ],
    [
      'glob question mark is literal',
      role({ bound_claims_type: 'glob', bound_claims: { ref: 'mai?' } }),
      'deny',
    ],
    ['glob no match', role({ bound_claims_type: 'glob', bound_claims: { ref: 'release/*' } }), 'deny'],
    ['array claim any element', role({ bound_claims: { groups: 'ops' } }), 'allow'],
    ['missing claim', role({ bound_claims: { environment: 'prod' } }), 'deny'],
    ['nested claim by pointer', role({ bound_claims: { '/job_config/sha': 'abc' } }), 'allow'],
    [
      'slash key without leading slash is top-level',
      role({ bound_claims: { 'oidc.circleci.com/project-id': 'p1' } }),
      'allow',
    ],
    ['number claim as text', role({ bound_claims: { run: '7' } }), 'allow'],
    ['user_claim missing', role({ user_claim: 'user_email' }), 'deny'],
    ['role_type oidc', role({ role_type: 'oidc' }), 'deny'],
  ];
  it.each(cases)('%s', (_n, r, decision) => {
    expect(evaluateVaultRole(r, claims).decision).toBe(decision);
  });
  it('applies claim_mappings', () => {
    const r = evaluateVaultRole(role({ claim_mappings: { project_id: 'project', nope: 'x' } }), claims);
    expect(r.metadata).toEqual({ project: '42' });
  });
  it('parses JSON and rejects garbage', () => {
    expect(evaluateVaultRole(JSON.stringify(role({})), claims).decision).toBe('allow');
    expect(() => evaluateVaultRole('{', claims)).toThrow(
      expect.objectContaining({ code: 'ERR_TRUST_POLICY_INVALID' }),
    );
  });
});
