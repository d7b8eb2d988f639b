/**
 * action-yml.test.ts: action.yml is the Action's contract. Every input any target reads is declared
 * (kebab-case, documented), no declared input is dead, and the runtime section is what GitHub runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMON_INPUTS, InputReader } from '@federate/core';
import { TARGETS } from '@federate/targets';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '..');
const manifest = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as {
  name: string;
  description: string;
  branding: { icon: string; color: string };
  runs: { using: string; main: string; post: string; 'post-if': string };
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
};

/** inputsOf lists what a target's parser asks for. */
function inputsOf(name: string): string[] {
  const reader = new InputReader({});
  (TARGETS[name] as { parse(r: InputReader, env: object): unknown }).parse(reader, {});
  return reader.inputsRead();
}

describe('action.yml', () => {
  it('runs on node24 with a main and a post step that exist', () => {
    expect(manifest.runs.using).toBe('node24');
    expect(existsSync(join(dir, manifest.runs.main))).toBe(true);
    expect(existsSync(join(dir, manifest.runs.post))).toBe(true);
    expect(manifest.runs['post-if']).toBe('always()');
    expect(manifest.branding.icon).toBeTruthy();
  });

  it('declares, in kebab-case and with a description, every input every target reads', () => {
    const missing: string[] = [];
    for (const name of Object.keys(TARGETS)) {
      for (const input of inputsOf(name)) if (!(input in manifest.inputs)) missing.push(`${name}: ${input}`);
    }
    expect(missing).toEqual([]);
    for (const [name, spec] of Object.entries(manifest.inputs)) {
      expect(name, 'kebab-case').toMatch(/^[a-z][a-z0-9-]*$/);
      expect(spec.description, name).toBeTruthy();
      expect(spec.required ?? false, `${name} must not be required: targets decide`).toBe(false);
    }
  });

  it('declares no input that nothing reads', () => {
    const read = new Set<string>([...COMMON_INPUTS, ...Object.keys(TARGETS).flatMap(inputsOf)]);
    expect(Object.keys(manifest.inputs).filter((i) => !read.has(i))).toEqual([]);
  });

  it('documents its outputs', () => {
    for (const [name, spec] of Object.entries(manifest.outputs)) expect(spec.description, name).toBeTruthy();
  });
});
