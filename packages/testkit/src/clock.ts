/** Clock is the time source emulators and the verifier read; milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

/** FakeClock is a Clock that only moves when a test advances it. */
export interface FakeClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

/** systemClock reads the real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * skewedClock is the wall clock shifted by `seconds` (positive = ahead), so a server can be made to
 * disagree with its clients about the time without touching the process clock.
 */
export function skewedClock(seconds: number, base: Clock = systemClock): Clock {
  return { now: () => base.now() + seconds * 1000 };
}

/** fakeClock starts at `startMs` and moves only through `advance` or `set`. */
export function fakeClock(startMs: number = Date.now()): FakeClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
    },
    set(ms: number) {
      current = ms;
    },
  };
}

/** nowSeconds is the clock's time in whole seconds, the unit JWT NumericDate claims use. */
export function nowSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
