/**
 * random.ts: unpredictable names (private directories, temporary files, heredoc delimiters) without
 * node:crypto. Loading node:crypto costs 6-9 ms of every cold start here (it builds the whole crypto
 * stack), more than the rest of a GitHub step's own work; the OS's CSPRNG is one read away.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** randomHex returns `bytes` bytes from the OS's CSPRNG as hex (/dev/urandom; node:crypto where there is none, as on Windows). */
export function randomHex(bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
  } catch {
    const crypto = process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
    return crypto.randomBytes(bytes).toString('hex');
  }
  try {
    let filled = 0;
    while (filled < bytes) {
      const n = readSync(fd, buffer, filled, bytes - filled, null);
      if (n <= 0) throw new Error('/dev/urandom returned no bytes');
      filled += n;
    }
  } finally {
    closeSync(fd);
  }
  return buffer.toString('hex');
}
