import { describe, expect, it } from 'vitest';
import { TARGETS } from './index.js';
import { loadRevokingTargets, loadTargets, TARGET_LOADERS, targetNamesIn } from './lazy.js';

describe('lazy targets', () => {
  it('lists exactly the targets index.ts lists, and loads the same objects', async () => {
    expect(Object.keys(TARGET_LOADERS).sort()).toEqual(Object.keys(TARGETS).sort());
    const all = await loadTargets(Object.keys(TARGETS));
    for (const [name, target] of Object.entries(all)) expect(target).toBe(TARGETS[name]);
  });

  it('loads only what a run names, or everything when a name is unknown', async () => {
    expect(Object.keys(await loadTargets(['aws']))).toEqual(['aws']);
    expect(Object.keys(await loadTargets(['aws', 'nope'])).sort()).toEqual(Object.keys(TARGETS).sort());
  });

  it('loads the targets recorded revocations name, and none when nothing was recorded', async () => {
    expect(await loadRevokingTargets([])).toEqual({});
    const vault = await loadRevokingTargets([{ target: 'vault' }, { target: 'vault' }]);
    expect(Object.keys(vault)).toEqual(['vault']);
    expect(vault['vault']).toBe(TARGETS['vault']);
  });

  it('finds target names in inputs and exchanges lists', () => {
    expect(targetNamesIn('aws', undefined)).toEqual(['aws']);
    expect(targetNamesIn(undefined, [{ target: 'vault' }, { target: ' gcp ' }, 'junk', null])).toEqual([
      'vault',
      'gcp',
    ]);
  });
});
