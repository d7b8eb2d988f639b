import { describe, expect, it } from 'vitest';
import { fakeClock, nowSeconds, skewedClock } from './clock.js';

describe('clocks', () => {
  it('fakeClock moves only when told', () => {
    const clock = fakeClock(1_000_000);
    expect(clock.now()).toBe(1_000_000);
    clock.advance(2_500);
    expect(clock.now()).toBe(1_002_500);
    expect(nowSeconds(clock)).toBe(1002);
    clock.set(5_000);
    expect(clock.now()).toBe(5_000);
  });

  it('skewedClock shifts a base clock by whole seconds', () => {
    const base = fakeClock(10_000);
    expect(skewedClock(90, base).now()).toBe(100_000);
    expect(skewedClock(-5, base).now()).toBe(5_000);
  });
});
