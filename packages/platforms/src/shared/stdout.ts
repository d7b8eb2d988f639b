/**
 * stdout.ts: standard output and error, written with writeSync on fd 1 and 2. The runner reads a
 * step's stdout for workflow commands (`::add-mask::` first of all), so each line is on the pipe before
 * the next statement runs. It also leaves process.stdout and process.stderr alone, whose first use
 * builds a stream over the pipe (~4 ms of a cold start, bench/).
 */
import { writeSync } from 'node:fs';

/** FdWriter is fs.writeSync's shape (injected in tests). */
export type FdWriter = (fd: number, buffer: Uint8Array, offset: number) => number;

/**
 * writeAll writes all of `text` to `fd`: short writes are continued, and EAGAIN (a parent left the
 * pipe non-blocking and the reader is behind) is waited out, 1 ms at a time.
 */
export function writeAll(fd: number, text: string, write: FdWriter = writeSync): void {
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  while (written < bytes.length) {
    try {
      written += write(fd, bytes, written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** writeStdout writes `text` to standard output, synchronously. */
export function writeStdout(text: string): void {
  writeAll(1, text);
}

/** writeStderr writes `text` to standard error, synchronously. */
export function writeStderr(text: string): void {
  writeAll(2, text);
}
