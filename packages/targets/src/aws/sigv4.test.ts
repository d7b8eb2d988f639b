import { describe, expect, it } from 'vitest';
import { amzDate, sha256Hex, signingKey, signV4, uriEncode } from './sigv4.js';

// AWS Signature Version 4 test suite (aws-sig-v4-test-suite) and the IAM signing guide's example.
const SUITE = {
  keys: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  now: new Date('2015-08-30T12:36:00Z'),
};

function hex(buf: ArrayBuffer): string {
  return Buffer.from(buf).toString('hex');
}

describe('signV4', () => {
  const vectors: Array<{
    name: string;
    method: string;
    url: string;
    headers: Record<string, string>;
    body: string;
    service: string;
    signedHeaders: string;
    signature: string;
  }> = [
    {
      name: 'get-vanilla',
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      headers: {},
      body: '',
      service: 'service',
      signedHeaders: 'host;x-amz-date',
      signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    },
    {
      name: 'get-vanilla-query-order-key-case',
      method: 'GET',
      url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
      headers: {},
      body: '',
      service: 'service',
      signedHeaders: 'host;x-amz-date',
      signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    },
    {
      name: 'post-x-www-form-urlencoded',
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'Param1=value1',
      service: 'service',
      signedHeaders: 'content-type;host;x-amz-date',
      signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
    },
    {
      name: 'IAM ListUsers (signing guide)',
      method: 'GET',
      url: 'https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: '',
      service: 'iam',
      signedHeaders: 'content-type;host;x-amz-date',
      signature: '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    },
  ];

  it.each(vectors)('reproduces $name', async (v) => {
    const s = await signV4(
      {
        method: v.method,
        url: v.url,
        headers: v.headers,
        body: v.body,
        region: 'us-east-1',
        service: v.service,
        now: SUITE.now,
      },
      SUITE.keys,
    );
    expect(s.signature).toBe(v.signature);
    expect(s.headers['authorization']).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/${v.service}/aws4_request, SignedHeaders=${v.signedHeaders}, Signature=${v.signature}`,
    );
    expect(s.headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('derives the signing guide key', async () => {
    expect(hex(await signingKey(SUITE.keys.secretAccessKey, '20150830', 'us-east-1', 'iam'))).toBe(
      'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9',
    );
  });

  it('signs and sends the session token', async () => {
    const base = {
      method: 'POST',
      url: 'https://sts.eu-west-1.amazonaws.com/',
      headers: {},
      body: 'a=1',
      region: 'eu-west-1',
      service: 'sts',
      now: SUITE.now,
    };
    const withToken = await signV4(base, { ...SUITE.keys, sessionToken: 'TOKEN' });
    const without = await signV4(base, SUITE.keys);
    expect(withToken.headers['x-amz-security-token']).toBe('TOKEN');
    expect(withToken.headers['authorization']).toContain(
      'SignedHeaders=host;x-amz-date;x-amz-security-token,',
    );
    expect(withToken.signature).not.toBe(without.signature);
    const otherBody = await signV4({ ...base, body: 'a=2' }, SUITE.keys);
    expect(otherBody.signature).not.toBe(without.signature);
  });

  it('has the helpers the suite relies on', async () => {
    expect(await sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(uriEncode('a b/~*')).toBe('a%20b%2F~%2A');
    expect(amzDate(new Date('2026-01-02T03:04:05.678Z'))).toBe('20260102T030405Z');
  });
});
