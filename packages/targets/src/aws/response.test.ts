import type { HttpResponse } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { configFileContent, credentialsFileContent } from './profile.js';
import {
  decodeEntities,
  isRetryableSts,
  parseAssumeRole,
  parseCallerIdentity,
  parseStsError,
  parseXml,
  stsError,
  xmlShape,
  xmlText,
} from './response.js';

function res(
  status: number,
  text: string,
  contentType = 'text/xml',
  extra: Record<string, string> = {},
): HttpResponse {
  return { status, text, headers: new Headers({ 'content-type': contentType, ...extra }), attempts: 1 };
}

const SUCCESS = `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>repo:octo/app:ref:refs/heads/main</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/ci/gha-run-1</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:gha-run-1</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>IQo&amp;b3J&lt;pZ2&#x41;&#66;</SessionToken>
      <SecretAccessKey>wJalr/K7MDENG+bPxRfiCYEXAMPLEKEY</SecretAccessKey>
      <Expiration>2026-11-22T12:48:16Z</Expiration>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
    <Provider>token.actions.githubusercontent.com</Provider>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`;

const error = (code: string, message: string) =>
  `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`;

describe('xml', () => {
  it('reads elements, entities, CDATA and namespaces', () => {
    const doc = parseXml(
      '<?xml version="1.0"?><!-- c --><a:R xmlns:a="x"><a:B attr="1>2">x &amp; y<![CDATA[<raw>]]></a:B><C/></a:R>',
    );
    expect(doc?.name).toBe('R');
    expect(xmlText(doc, 'B')).toBe('x & y<raw>');
    expect(doc && xmlShape(doc)).toBe('R(B,C)');
  });

  it.each([
    ['truncated', '<a><b>1</b>'],
    ['mismatched', '<a><b></a></b>'],
    ['doctype', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'],
    ['unknown entity', '<a>&x;</a>'],
    ['bare ampersand', '<a>a & b</a>'],
    ['two roots', '<a/><b/>'],
    ['text outside', 'hello <a/>'],
    ['empty', ''],
    ['json', '{"a":1}'],
  ])('refuses %s', (_name, text) => {
    expect(parseXml(text)).toBeUndefined();
  });

  it('decodes numeric references and refuses NUL', () => {
    expect(decodeEntities('&#65;&#x42;&quot;&apos;&gt;')).toBe('AB"\'>');
    expect(decodeEntities('&#0;')).toBeUndefined();
  });
});

describe('parseAssumeRole', () => {
  it('reads every field of the documented answer', () => {
    const r = parseAssumeRole(res(200, SUCCESS), 'STS', 'AssumeRoleWithWebIdentity');
    expect(r).toEqual({
      credentials: {
        accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalr/K7MDENG+bPxRfiCYEXAMPLEKEY',
        sessionToken: 'IQo&b3J<pZ2AB',
        expiration: new Date('2026-11-22T12:48:16Z'),
      },
      assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/ci/gha-run-1',
      assumedRoleId: 'AROACLKWSDQRAOEXAMPLE:gha-run-1',
      account: '123456789012',
      subject: 'repo:octo/app:ref:refs/heads/main',
      audience: 'sts.amazonaws.com',
      provider: 'token.actions.githubusercontent.com',
      packedPolicySize: 6,
      sourceIdentity: undefined,
      requestId: 'ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE',
    });
  });

  it("reads moto's variant (microseconds, no subject/audience/provider)", () => {
    const moto = SUCCESS.replace('2026-11-22T12:48:16Z', '2026-11-23T08:38:54.510499Z')
      .replace(/<SubjectFromWebIdentityToken>.*<\/SubjectFromWebIdentityToken>/, '')
      .replace(/<Audience>.*<\/Audience>/, '')
      .replace(/<Provider>.*<\/Provider>/, '');
    const r = parseAssumeRole(res(200, moto), 'STS', 'AssumeRoleWithWebIdentity');
    expect(r.credentials.expiration.toISOString()).toBe('2026-11-23T08:38:54.510Z');
    expect(r.subject).toBeUndefined();
  });

  it.each([
    ['no credentials', SUCCESS.replace(/<Credentials>[\s\S]*<\/Credentials>/, '')],
    ['no access key', SUCCESS.replace(/<AccessKeyId>.*<\/AccessKeyId>/, '')],
    ['bad expiration', SUCCESS.replace('2026-11-22T12:48:16Z', 'soon')],
    ['no role user', SUCCESS.replace(/<AssumedRoleUser>[\s\S]*<\/AssumedRoleUser>/, '')],
    ['wrong action', SUCCESS.replaceAll('AssumeRoleWithWebIdentity', 'AssumeRole')],
    ['truncated', SUCCESS.slice(0, 300)],
    ['JSON', '{"Credentials":{}}'],
  ])('refuses %s with ERR_EXCHANGE_BAD_RESPONSE', (_name, body) => {
    expect(() => parseAssumeRole(res(200, body), 'STS', 'AssumeRoleWithWebIdentity')).toThrow(
      expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }),
    );
  });

  it('refuses an HTML page', () => {
    expect(() =>
      parseAssumeRole(res(200, '<html><body>login</body></html>', 'text/html'), 'STS', 'AssumeRole'),
    ).toThrow(expect.objectContaining({ code: 'ERR_EXCHANGE_BAD_RESPONSE' }));
  });
});

describe('parseCallerIdentity', () => {
  it('reads account, ARN and user id', () => {
    const body = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/ci/s</Arn><UserId>AROA:s</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
    expect(parseCallerIdentity(res(200, body), 'STS')).toEqual({
      account: '123456789012',
      arn: 'arn:aws:sts::123456789012:assumed-role/ci/s',
      userId: 'AROA:s',
    });
  });
});

describe('stsError', () => {
  const ctx = {
    roleArn: 'arn:aws:iam::123456789012:role/ci',
    issuer: 'https://token.actions.githubusercontent.com',
    audience: ['sts.amazonaws.com'],
  };
  const table: Array<[string, number, string, string, string, RegExp]> = [
    [
      'InvalidIdentityToken',
      400,
      'No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com',
      'ERR_EXCHANGE_REJECTED',
      'InvalidIdentityToken',
      /OIDC identity provider with URL https:\/\/token\.actions\.githubusercontent\.com and audience sts\.amazonaws\.com/,
    ],
    [
      'InvalidIdentityToken',
      400,
      'Incorrect token audience',
      'ERR_EXCHANGE_REJECTED',
      'InvalidIdentityToken',
      /client IDs/,
    ],
    [
      'InvalidIdentityToken',
      400,
      "Couldn't retrieve verification key from your identity provider",
      'ERR_EXCHANGE_REJECTED',
      'InvalidIdentityToken',
      /signing keys/,
    ],
    [
      'AccessDenied',
      403,
      'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      'ERR_EXCHANGE_REJECTED',
      'AccessDenied',
      /federate doctor --trust-policy/,
    ],
    [
      'ExpiredTokenException',
      400,
      'Token expired: current date/time 2 must be before the expiration date/time 1',
      'ERR_EXCHANGE_REJECTED',
      'ExpiredTokenException',
      /clock/,
    ],
    [
      'IDPCommunicationError',
      400,
      'unreachable',
      'ERR_EXCHANGE_SERVER',
      'IDPCommunicationError',
      /transient/,
    ],
    ['IDPRejectedClaim', 403, 'rejected', 'ERR_EXCHANGE_REJECTED', 'IDPRejectedClaim', /claims/],
    [
      'RegionDisabledException',
      403,
      'not activated',
      'ERR_EXCHANGE_REJECTED',
      'RegionDisabledException',
      /activate STS/,
    ],
    [
      'ValidationError',
      400,
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      'ERR_EXCHANGE_REJECTED',
      'ValidationError',
      /MaxSessionDuration/,
    ],
    [
      'MalformedPolicyDocument',
      400,
      'bad',
      'ERR_EXCHANGE_REJECTED',
      'MalformedPolicyDocument',
      /session-policy/,
    ],
    ['PackedPolicyTooLarge', 400, 'big', 'ERR_EXCHANGE_REJECTED', 'PackedPolicyTooLarge', /shrink/],
    ['Throttling', 400, 'Rate exceeded', 'ERR_EXCHANGE_THROTTLED', 'Throttling', /throttling/],
    ['InternalFailure', 500, 'oops', 'ERR_EXCHANGE_SERVER', 'InternalFailure', /.*/],
  ];
  it.each(table)('maps %s (%i, %s)', (code, status, message, want, serverCode, hint) => {
    const e = stsError(res(status, error(code, message)), 'AWS STS', 'AssumeRoleWithWebIdentity', ctx);
    expect(e).toMatchObject({ code: want, serverCode, status, requestId: 'req-1', target: 'aws' });
    if (e.hint !== undefined || code !== 'InternalFailure') expect(e.hint).toMatch(hint);
  });

  it('reads the Response/Errors/Error variant', () => {
    expect(
      parseStsError(
        '<Response><Errors><Error><Code>X</Code><Message>m</Message></Error></Errors><RequestID>r</RequestID></Response>',
      )?.code,
    ).toBe('X');
  });

  it.each([
    [500, 'injected 500', 'text/plain', 'ERR_EXCHANGE_SERVER'],
    [429, '', 'text/plain', 'ERR_EXCHANGE_THROTTLED'],
    [403, 'Forbidden', 'text/plain', 'ERR_EXCHANGE_REJECTED'],
    [400, '<html><body>bad</body></html>', 'text/html', 'ERR_EXCHANGE_BAD_RESPONSE'],
    [502, '<!DOCTYPE html><html></html>', 'text/html', 'ERR_EXCHANGE_SERVER'],
  ])('maps a non-STS %i body', (status, body, type, want) => {
    const e = stsError(
      res(status, body, type, { 'x-amzn-requestid': 'hdr-1' }),
      'AWS STS',
      'AssumeRoleWithWebIdentity',
      ctx,
    );
    expect(e.code).toBe(want);
    expect(e.serverCode).toBeUndefined();
    expect(e.requestId).toBe('hdr-1');
  });

  it('marks only throttling and IdP communication answers retryable', () => {
    expect(isRetryableSts(res(400, error('Throttling', 'Rate exceeded')))).toBe(true);
    expect(isRetryableSts(res(400, error('IDPCommunicationError', 'x')))).toBe(true);
    expect(isRetryableSts(res(400, error('InvalidIdentityToken', 'x')))).toBe(false);
    expect(isRetryableSts(res(400, 'not xml'))).toBe(false);
    expect(isRetryableSts(res(200, error('Throttling', 'x')))).toBe(false);
  });
});

describe('profile files', () => {
  const creds = { accessKeyId: 'ASIA1', secretAccessKey: 's', sessionToken: 't', expiration: new Date(0) };
  it('renders the credentials file with the bare profile name', () => {
    expect(credentialsFileContent('ci', creds)).toBe(
      '[ci]\naws_access_key_id = ASIA1\naws_secret_access_key = s\naws_session_token = t\n',
    );
  });
  it('renders the config file with the profile prefix except for default', () => {
    expect(configFileContent('ci', 'eu-west-1')).toBe('[profile ci]\nregion = eu-west-1\noutput = json\n');
    expect(configFileContent('default', 'eu-west-1')).toBe('[default]\nregion = eu-west-1\noutput = json\n');
  });
});
