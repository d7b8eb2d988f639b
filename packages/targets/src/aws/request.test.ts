import { describe, expect, it } from 'vitest';
import {
  assumeRoleRequest,
  assumeRoleWithWebIdentityRequest,
  getCallerIdentityRequest,
  sessionNameFor,
} from './request.js';

const ROLE = 'arn:aws:iam::123456789012:role/ci';

describe('request builders', () => {
  it('builds AssumeRoleWithWebIdentity as a form POST with the token only in the body', () => {
    const req = assumeRoleWithWebIdentityRequest('https://sts.eu-west-1.amazonaws.com', {
      roleArn: ROLE,
      sessionName: 'gha-1',
      token: 'h.p.s',
      durationSeconds: 900,
      policy: '{"Version":"2012-10-17"}',
      policyArns: ['arn:aws:iam::aws:policy/A', 'arn:aws:iam::aws:policy/B'],
    });
    expect(req.url).toBe('https://sts.eu-west-1.amazonaws.com/');
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    expect(Object.values(req.headers).join(' ')).not.toContain('h.p.s');
    expect([...new URLSearchParams(req.body)]).toEqual([
      ['Action', 'AssumeRoleWithWebIdentity'],
      ['Version', '2011-06-15'],
      ['RoleArn', ROLE],
      ['RoleSessionName', 'gha-1'],
      ['DurationSeconds', '900'],
      ['Policy', '{"Version":"2012-10-17"}'],
      ['PolicyArns.member.1.arn', 'arn:aws:iam::aws:policy/A'],
      ['PolicyArns.member.2.arn', 'arn:aws:iam::aws:policy/B'],
      ['WebIdentityToken', 'h.p.s'],
    ]);
  });

  it('leaves out optional parameters that were not given', () => {
    const req = assumeRoleWithWebIdentityRequest(new URL('http://127.0.0.1:9/'), {
      roleArn: ROLE,
      sessionName: 'ab',
      token: 't',
    });
    expect(req.body).toBe(
      'Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci&RoleSessionName=ab&WebIdentityToken=t',
    );
  });

  it('builds AssumeRole with external id, tags and transitive keys', () => {
    const req = assumeRoleRequest('https://sts.us-east-1.amazonaws.com/', {
      roleArn: ROLE,
      sessionName: 's1',
      externalId: 'x-1',
      tags: [
        { key: 'team', value: 'platform' },
        { key: 'env', value: '' },
      ],
      transitiveTagKeys: ['team'],
    });
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: ROLE,
      RoleSessionName: 's1',
      ExternalId: 'x-1',
      'Tags.member.1.Key': 'team',
      'Tags.member.1.Value': 'platform',
      'Tags.member.2.Key': 'env',
      'Tags.member.2.Value': '',
      'TransitiveTagKeys.member.1': 'team',
    });
  });

  it('builds GetCallerIdentity', () => {
    expect(getCallerIdentityRequest('https://sts.amazonaws.com').body).toBe(
      'Action=GetCallerIdentity&Version=2011-06-15',
    );
  });

  it.each([
    ['github', '1658821493', 1, 'federate-github-1658821493'],
    ['gitlab', 'a b/c:d', 1, 'federate-gitlab-a-b-c-d'],
    ['unknown', undefined, 1700000000000, 'federate-unknown-1700000000000'],
    ['circleci', 'x'.repeat(100), 1, `federate-circleci-${'x'.repeat(46)}`],
  ])('derives a session name for %s run %s', (platform, runId, now, want) => {
    const name = sessionNameFor(platform, runId, now);
    expect(name).toBe(want);
    expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});
