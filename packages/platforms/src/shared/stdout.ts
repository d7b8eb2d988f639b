/**
 * stdout.ts: the action's standard output, written with writeSync on fd 1. The runner reads a step's
 * stdout for workflow commands (`::add-mask::` first of all), so each line is on the pipe before the
 * next statement runs. It also leaves process.stdout alone, whose first use builds a stream over the
 * pipe (~4 ms of a cold start, bench/).
 */
import { writeSync } from 'node:fs';

/** writeStdout writes all of `text` to fd 1, waiting out EAGAIN when a parent left the pipe non-blocking. */
export function writeStdout(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); // the reader is behind: 1 ms
    }
  }
}
