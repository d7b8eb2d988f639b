import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTimestamp } from './timestamp.js';

// The largest time value a Date holds (ECMA-262 21.4.1.1): ±8.64e15 ms around the epoch.
const MAX_TIME = 8.64e15;

describe('isoTimestamp', () => {
  it('matches toISOString on the edges of every form', () => {
    for (const t of [
      0,
      -1,
      1,
      253402300799999,
      253402300800000,
      -62167219200000,
      -62167219200001,
      MAX_TIME,
      -MAX_TIME,
      Date.UTC(2026, 11, 4, 3, 19, 55, 7),
    ]) {
      expect(isoTimestamp(new Date(t))).toBe(new Date(t).toISOString());
    }
  });

  it('matches toISOString for every representable time', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX_TIME, max: MAX_TIME }), (t) => {
        expect(isoTimestamp(new Date(t))).toBe(new Date(t).toISOString());
      }),
      { numRuns: 5000 },
    );
  });

  it('throws the same RangeError as toISOString on an invalid date', () => {
    expect(() => new Date(Number.NaN).toISOString()).toThrow(RangeError);
    expect(() => isoTimestamp(new Date(Number.NaN))).toThrow(new RangeError('Invalid time value'));
  });
});
