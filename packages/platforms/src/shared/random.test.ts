import { describe, expect, it } from 'vitest';
import { newHeredocDelimiter } from './escape.js';
import { randomHex } from './random.js';

describe('randomHex', () => {
  it('returns the asked number of bytes as lowercase hex', () => {
    for (const n of [1, 8, 16, 64]) expect(randomHex(n)).toMatch(new RegExp(`^[0-9a-f]{${n * 2}}$`));
  });

  it('does not repeat itself (1000 draws of 8 bytes are all distinct, and every hex digit occurs)', () => {
    const draws = Array.from({ length: 1000 }, () => randomHex(8));
    expect(new Set(draws).size).toBe(1000);
    expect(new Set(draws.join('')).size).toBe(16);
  });

  it('gives heredoc delimiters 128 random bits, different every time', () => {
    const a = newHeredocDelimiter();
    expect(a).toMatch(/^ghadelimiter_[0-9a-f]{32}$/);
    expect(newHeredocDelimiter()).not.toBe(a);
  });
});
