/**
 * exit-codes.ts: documented exit codes, so wrappers and users can branch on them.
 *   0 success · 1 exchange failed (the server said no, or could not be reached) · 2 usage or
 *   configuration error · 3 platform token unavailable · 4 cleanup incomplete · 5 doctor found a
 *   failing check or a deny verdict. `federate run` exits with its command's code (128+n for signal n).
 */
import { AggregateExchangeError, ConfigError, FederateError, PlatformError } from '@federate/core';
import { UsageError } from './args.js';

export const EXIT_OK = 0;
export const EXIT_EXCHANGE = 1;
export const EXIT_USAGE = 2;
export const EXIT_PLATFORM = 3;
export const EXIT_CLEANUP = 4;
export const EXIT_DOCTOR = 5;

/** exitCodeFor maps an error to the documented exit code. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError) return EXIT_USAGE;
  const inner =
    error instanceof AggregateExchangeError && error.errors.length === 1 ? error.errors[0] : error;
  if (inner instanceof ConfigError) return EXIT_USAGE;
  if (inner instanceof FederateError && inner.code.startsWith('ERR_CONFIG_')) return EXIT_USAGE;
  if (
    inner instanceof PlatformError ||
    (inner instanceof FederateError &&
      (inner.code.startsWith('ERR_PLATFORM_') || inner.code === 'ERR_TOKEN_MALFORMED'))
  )
    return EXIT_PLATFORM;
  if (inner instanceof FederateError && inner.code === 'ERR_CLEANUP_FAILED') return EXIT_CLEANUP;
  return EXIT_EXCHANGE;
}
