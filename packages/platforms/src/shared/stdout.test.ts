import { describe, expect, it } from 'vitest';
import { type FdWriter, writeAll } from './stdout.js';

/** pipe is a fake fd that takes at most `chunk` bytes a call and says EAGAIN on the calls listed. */
function pipe(chunk: number, eagainOn: number[]) {
  const received: number[] = [];
  let calls = 0;
  const write: FdWriter = (fd, buffer, offset) => {
    calls++;
    expect(fd).toBe(1);
    if (eagainOn.includes(calls)) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
    const part = buffer.subarray(offset, offset + chunk);
    received.push(...part);
    return part.length;
  };
  return { write, text: () => Buffer.from(received).toString('utf8'), calls: () => calls };
}

describe('writeAll', () => {
  it('continues short writes and waits out EAGAIN until every byte is written, in order', () => {
    const text = `::add-mask::s3cr3t\n${'é'.repeat(50)}\nlast line\n`;
    const p = pipe(7, [2, 3, 9]);
    writeAll(1, text, p.write);
    expect(p.text()).toBe(text);
    expect(p.calls()).toBeGreaterThan(Buffer.byteLength(text) / 7);
  });

  it('throws any other error (a closed pipe) instead of looping', () => {
    const write: FdWriter = () => {
      throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
    };
    expect(() => writeAll(1, 'x', write)).toThrow('EPIPE');
  });
});
