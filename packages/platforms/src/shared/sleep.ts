/**
 * sleep.ts: the wait between retries that both composition roots inject into the core. A timer of
 * its own rather than node:timers/promises, which would be one more module to load at every start
 * for a wait that happens only on a retry. An abort ends the wait at once, rejecting with the
 * signal's reason, and the listener is removed either way.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
