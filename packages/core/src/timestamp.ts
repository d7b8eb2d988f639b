/**
 * timestamp.ts: ISO 8601 timestamps (`2026-12-04T03:19:55.000Z`) built from the UTC getters.
 *
 * Why not Date.prototype.toISOString: with Node 24 on a kernel that maps the node binary in large
 * folios, its first call faulted about 8 MiB of the binary into the process (an AWS step's peak RSS
 * went from 81 to 73 MiB without it, the bare-Node floor being 71; docs/benchmarks.md). The UTC
 * getters did not. The output is byte-for-byte toISOString's, invalid dates included (timestamp.test.ts).
 */

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** isoTimestamp is `date.toISOString()` without its memory cost; it throws the same RangeError on an invalid date. */
export function isoTimestamp(date: Date): string {
  const year = date.getUTCFullYear();
  if (Number.isNaN(year)) throw new RangeError('Invalid time value');
  // Years outside 0..9999 take the expanded form: a sign and six digits (ECMA-262 21.4.1.32).
  const y = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
  return (
    `${y}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}` +
    `.${pad(date.getUTCMilliseconds(), 3)}Z`
  );
}
