import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Forms, SecretRegistry } from './redact.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('SecretRegistry', () => {
  it('redacts the raw value', () => {
    const r = new SecretRegistry();
    r.add(SECRET);
    expect(r.redact(`key=${SECRET};`)).toBe('key=***;');
  });

  it('redacts every line of a multi-line secret on its own', () => {
    const r = new SecretRegistry();
    r.add('-----BEGIN KEY-----\nMIIBVgIBADANBgkq\nhkiG9w0BAQEFAASC\n-----END KEY-----');
    expect(r.redact('line: hkiG9w0BAQEFAASC')).toBe('line: ***');
  });

  it('redacts URL-encoded, form-encoded and JSON-escaped forms', () => {
    const r = new SecretRegistry();
    const s = 'p@ss w/"quote"&more';
    r.add(s);
    expect(r.redact(`u=${encodeURIComponent(s)}`)).toBe('u=***');
    expect(r.redact(`u=${encodeURIComponent(s).replace(/%20/g, '+')}`)).toBe('u=***');
    expect(r.redact(JSON.stringify({ s }))).toBe('{"s":"***"}');
  });

  it('redacts the secret inside a larger base64 blob at every alignment', () => {
    const r = new SecretRegistry();
    r.add(SECRET);
    for (const prefix of ['', 'a', 'ab', 'abc', 'user:']) {
      const blob = Buffer.from(`${prefix}${SECRET}tail`).toString('base64');
      expect(r.contains(blob), `prefix ${JSON.stringify(prefix)}`).toBe(true);
    }
  });

  it('tells listeners about every form, replaying earlier ones', () => {
    const r = new SecretRegistry();
    r.add(SECRET);
    const seen: string[] = [];
    r.onSecret((v) => seen.push(v));
    expect(seen).toContain(SECRET);
    r.add('another-secret-value');
    expect(seen).toContain('another-secret-value');
  });

  it('does not mask values too short to mask safely, and counts them', () => {
    const r = new SecretRegistry();
    r.add('ab');
    expect(r.redact('ab cd')).toBe('ab cd');
    expect(r.tooShort).toBe(1);
  });

  it('base64Forms includes the plain encoding', () => {
    expect(base64Forms('hello world')).toContain(Buffer.from('hello world').toString('base64'));
  });

  it('property: a registered secret never survives redaction in any surrounding text', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 60 }).filter((s) => s.trim().length >= 4),
        fc.string(),
        fc.string(),
        (secret, before, after) => {
          const r = new SecretRegistry();
          r.add(secret);
          const out = r.redact(`${before}${secret}${after}`);
          expect(out.includes(secret)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: base64 embedding is always caught', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8, maxLength: 40 }).filter((s) => s.trim().length >= 8),
        fc.string({ maxLength: 5 }),
        (secret, prefix) => {
          const r = new SecretRegistry();
          r.add(secret);
          expect(r.contains(Buffer.from(prefix + secret + 'zz').toString('base64'))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SecretRegistry on short and long texts', () => {
  it('redacts the same whether a text is searched form by form first (short) or not (long)', () => {
    const r = new SecretRegistry();
    r.add('s3cr3t-value-for-the-test');
    r.add('other-secret/with+base64=chars');
    for (const filler of [10, 4_000, 4_096, 5_000, 70_000]) {
      const pad = 'p'.repeat(filler);
      const text = `${pad} a=s3cr3t-value-for-the-test b=${encodeURIComponent('other-secret/with+base64=chars')}`;
      expect(r.redact(text), `filler ${filler}`).toBe(`${pad} a=*** b=***`);
      expect(r.redact(pad), `filler ${filler}`).toBe(pad);
    }
  });
});

describe('SecretRegistry with very large secrets', () => {
  it('redacts a 64 KiB secret and many others without a regex overflow', () => {
    const r = new SecretRegistry();
    const big = 'k'.repeat(65_536 - 3) + 'end';
    r.add(big);
    for (let i = 0; i < 2000; i++) r.add(`secret-value-number-${i}-${'x'.repeat(40)}`);
    expect(r.redact(`a ${big} b secret-value-number-1999-${'x'.repeat(40)} c`)).toBe('a *** b *** c');
  });
});

describe('SecretRegistry plain listeners', () => {
  it('tell a self-encoding masker only raw values and their lines', () => {
    const r = new SecretRegistry();
    r.add('line-one-secret\nline-two-secret');
    const plain: string[] = [];
    r.onSecret((v) => plain.push(v), { plainOnly: true });
    r.add('another-secret');
    expect(plain).toEqual([
      'line-one-secret\nline-two-secret',
      'line-one-secret',
      'line-two-secret',
      'another-secret',
    ]);
  });

  it('base64 matches Buffer for every length', () => {
    for (let n = 0; n < 40; n++) {
      const v = 'x'.repeat(n) + 'é€';
      expect(base64Forms(v)).toContain(Buffer.from(v).toString('base64'));
    }
  });
});
