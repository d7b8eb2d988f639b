/**
 * inputs.ts: the Action's edge. Inputs and post-step state arrive as environment variables; these
 * read them exactly as @actions/core does, without pulling its HTTP client into the bundle.
 */
import type { Env, RawInputs } from '@federate/core';
import { type CleanupState, parseCleanupState } from '../shared/cleanup-state.js';

/** GITHUB_STATE_KEY is the GITHUB_STATE name main saves its cleanup record under (post reads STATE_<key>). */
export const GITHUB_STATE_KEY = 'FEDERATE_CLEANUP';

/** inputVariable is the variable the runner sets for an input: `INPUT_` + upper case, spaces as `_` (hyphens kept). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** readGitHubInputs reads each named input like @actions/core getInput: trimmed; empty counts as absent. */
export function readGitHubInputs(env: Env, names: readonly string[]): RawInputs {
  const out: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = env[inputVariable(name)]?.trim();
    out[name] = value === '' ? undefined : value;
  }
  return out;
}

/** loadState reads the cleanup record main saved, as the post step sees it (`STATE_FEDERATE_CLEANUP`). */
export function loadState(env: Env): CleanupState | undefined {
  return parseCleanupState(env[`STATE_${GITHUB_STATE_KEY}`]);
}
