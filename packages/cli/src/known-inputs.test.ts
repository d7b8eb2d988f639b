import { COMMON_INPUTS, InputReader } from '@federate/core';
import { TARGETS } from '@federate/targets';
import { describe, expect, it } from 'vitest';
import { exchangeInputs, TARGET_INPUTS } from './known-inputs.js';

describe('known inputs', () => {
  it('TARGET_INPUTS is exactly what the targets read besides the common inputs', () => {
    const read = new Set<string>();
    for (const target of Object.values(TARGETS)) {
      const reader = new InputReader({});
      target.parse(reader, {});
      for (const n of reader.inputsRead()) read.add(n);
    }
    const common = new Set<string>(COMMON_INPUTS);
    expect([...TARGET_INPUTS].sort()).toEqual([...read].filter((n) => !common.has(n)).sort());
  });

  it('exchange accepts every target input, the common ones and the CLI’s own', () => {
    const known = exchangeInputs();
    for (const n of [...TARGET_INPUTS, ...COMMON_INPUTS, 'platform', 'output-file', 'help'])
      expect(known).toContain(n);
    expect(known.has('role-arnn')).toBe(false);
  });
});
