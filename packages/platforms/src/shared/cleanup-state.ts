/**
 * cleanup-state.ts: what a later cleanup (the Action's post step, GitLab's after_script, the CLI's
 * `cleanup`) must undo, and how it is undone. The state may come from a file or a variable an
 * attacker could touch, so it is validated and only paths inside its own directory are removed.
 */
import { lstatSync, rmdirSync, type Stats, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger, RevokeRecord } from '@federate/core';
import { isInside } from './private-dir.js';

/** CleanupState is the persisted record: the private directory, what was written in it, what to revoke. */
export interface CleanupState {
  readonly version: 1;
  readonly dir: string;
  readonly files: readonly string[];
  readonly dirs: readonly string[];
  readonly revoke: readonly RevokeRecord[];
}

/** StateStore persists a platform's CleanupState between main and cleanup. */
export interface StateStore {
  load(): Promise<CleanupState | undefined>;
  save(state: CleanupState): Promise<void>;
  /** clear forgets the state once cleanup has run. */
  clear(): Promise<void>;
}

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

function isRevokeRecord(v: unknown): v is RevokeRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r['target'] === 'string' &&
    typeof r['data'] === 'object' &&
    r['data'] !== null &&
    Object.values(r['data'] as object).every((x) => typeof x === 'string') &&
    isStringArray(r['secretKeys'])
  );
}

/** parseCleanupState reads a serialized state, or undefined when it is missing or not ours. */
export function parseCleanupState(text: string | undefined): CleanupState | undefined {
  if (!text) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Record<string, unknown>;
  if (
    s['version'] !== 1 ||
    typeof s['dir'] !== 'string' ||
    !isStringArray(s['files']) ||
    !isStringArray(s['dirs']) ||
    !Array.isArray(s['revoke']) ||
    !s['revoke'].every(isRevokeRecord)
  )
    return undefined;
  return { version: 1, dir: s['dir'], files: s['files'], dirs: s['dirs'], revoke: s['revoke'] };
}

/** mergeCleanupStates unions states of the same directory (a later process adds to an earlier one). */
export function mergeCleanupStates(dir: string, ...states: Array<CleanupState | undefined>): CleanupState {
  const files = new Set<string>();
  const dirs = new Set<string>();
  const revoke: RevokeRecord[] = [];
  const seen = new Set<string>();
  for (const s of states) {
    if (!s || resolve(s.dir) !== resolve(dir)) continue;
    for (const f of s.files) files.add(f);
    for (const d of s.dirs) dirs.add(d);
    for (const r of s.revoke) {
      const key = JSON.stringify(r);
      if (!seen.has(key)) {
        seen.add(key);
        revoke.push(r);
      }
    }
  }
  return { version: 1, dir, files: [...files], dirs: [...dirs], revoke };
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * removeRecorded deletes the recorded files (a symlink is unlinked, never followed), then the
 * recorded subdirectories deepest first; paths outside `state.dir` are ignored. Returns what it removed.
 */
export async function removeRecorded(state: CleanupState, log: Logger): Promise<string[]> {
  const removed: string[] = [];
  for (const file of state.files) {
    if (!isInside(state.dir, file)) {
      log.warn(`cleanup: ignoring ${file}, which is outside ${state.dir}`);
      continue;
    }
    const st = await lstatOrUndefined(file);
    if (!st || st.isDirectory()) continue;
    unlinkSync(file);
    removed.push(file);
  }
  const dirs = state.dirs.filter((d) => isInside(state.dir, d)).sort((a, b) => b.length - a.length);
  for (const dir of dirs) if (await removeEmptyDir(dir, log)) removed.push(dir);
  return removed;
}

/** removeEmptyDir removes a directory that is empty (and not a symlink); it never removes contents it did not record. */
export async function removeEmptyDir(dir: string, log: Logger): Promise<boolean> {
  const st = await lstatOrUndefined(dir);
  if (!st?.isDirectory()) return false;
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    log.warn(`cleanup: left ${dir} in place (${code ?? 'error'}): it holds files Federate did not write`);
    return false;
  }
}
