import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { InputReader, parseArn, throwIfIssues } from './options.js';

describe('InputReader', () => {
  it('reads strict booleans', () => {
    const r = new InputReader({ a: 'true', b: 'FALSE', c: 'yes', d: '' });
    expect(r.boolean('a', false)).toBe(true);
    expect(r.boolean('b', true)).toBe(false);
    expect(r.boolean('c', false)).toBe(false);
    expect(r.boolean('d', true)).toBe(true);
    expect(r.issues.map((i) => [i.input, i.code])).toEqual([['c', 'ERR_CONFIG_BOOLEAN']]);
  });

  it.each([
    ['https://vault.example.com', undefined],
    ['http://127.0.0.1:8200', undefined],
    ['http://localhost:8200', undefined],
    ['http://[::1]:8200', undefined],
    ['http://vault.example.com', 'ERR_CONFIG_INSECURE_URL'],
    ['ftp://x', 'ERR_CONFIG_INSECURE_URL'],
    ['not a url', 'ERR_CONFIG_URL'],
    ['https://user:pw@host', 'ERR_CONFIG_URL'],
  ])('url %s → %s', (value, code) => {
    const r = new InputReader({ url: value });
    r.url('url');
    expect(r.issues[0]?.code).toBe(code);
  });

  it('reports every problem at once, each naming its input', () => {
    const r = new InputReader(
      { duration: 'forever', 'dry-run': 'maybe', region: '' },
      { prefix: 'exchanges[1].' },
    );
    r.duration('duration');
    r.boolean('dry-run', false);
    r.string('role-arn', { required: true });
    expect(r.issues.map((i) => i.input)).toEqual([
      'exchanges[1].duration',
      'exchanges[1].dry-run',
      'exchanges[1].role-arn',
    ]);
    expect(() => throwIfIssues(r.issues)).toThrow(ConfigError);
    try {
      throwIfIssues(r.issues);
    } catch (e) {
      expect((e as ConfigError).code).toBe('ERR_CONFIG_INVALID');
      expect((e as ConfigError).issues).toHaveLength(3);
    }
  });

  it('enforces duration bounds', () => {
    const r = new InputReader({ a: '10m', b: '14m' });
    expect(r.duration('a', { min: 900_000 })).toBeUndefined();
    expect(r.duration('b', { min: 60_000, max: 3_600_000 })).toBe(840_000);
    expect(r.issues.map((i) => i.code)).toEqual(['ERR_CONFIG_DURATION']);
  });

  it('flags mutually exclusive inputs', () => {
    const r = new InputReader({ 'client-id': 'x', 'client-id-file': 'y' });
    r.exclusive(['client-id', 'client-id-file']);
    expect(r.issues.map((i) => [i.input, i.code])).toEqual([['client-id-file', 'ERR_CONFIG_EXCLUSIVE']]);
  });

  it('lists unread inputs', () => {
    const r = new InputReader({ a: '1', typo: '2', empty: '' });
    r.string('a');
    expect(r.unread()).toEqual(['typo']);
  });

  it('reads lists, enums and integers', () => {
    const r = new InputReader({ l: 'a, b\nc,,', e: 'json', n: '12', bad: '1.5' });
    expect(r.list('l')).toEqual(['a', 'b', 'c']);
    expect(r.oneOf('e', ['json', 'shell'] as const)).toBe('json');
    expect(r.integer('n', { min: 1 })).toBe(12);
    expect(r.integer('bad')).toBeUndefined();
    expect(r.issues.map((i) => i.code)).toEqual(['ERR_CONFIG_NUMBER']);
  });
});

describe('parseArn', () => {
  it('splits role ARNs in every partition', () => {
    expect(parseArn('arn:aws:iam::123456789012:role/deploy')).toEqual({
      partition: 'aws',
      service: 'iam',
      region: '',
      account: '123456789012',
      resource: 'role/deploy',
    });
    expect(parseArn('arn:aws-us-gov:iam::123456789012:role/x')?.partition).toBe('aws-us-gov');
    expect(parseArn('arn:aws-cn:iam::123456789012:role/x')?.partition).toBe('aws-cn');
  });
  it.each(['arn:aws:iam::12345:role/x', 'role/x', 'arn:azure:iam::123456789012:role/x'])('rejects %s', (t) =>
    expect(parseArn(t)).toBeUndefined(),
  );
});
