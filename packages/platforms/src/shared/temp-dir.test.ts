import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { tempDirFrom } from './temp-dir.js';

describe('tempDirFrom', () => {
  it("is the job's own temporary directory when the variable names one", () => {
    expect(tempDirFrom({ RUNNER_TEMP: '/home/runner/work/_temp' }, 'RUNNER_TEMP')).toBe(
      '/home/runner/work/_temp',
    );
  });

  it('falls back to the system temporary directory when the variable is unset or empty', () => {
    expect(tempDirFrom({}, 'RUNNER_TEMP')).toBe(tmpdir());
    expect(tempDirFrom({ TMPDIR: '' }, 'TMPDIR')).toBe(tmpdir());
  });
});
