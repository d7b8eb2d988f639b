/**
 * sink-base.ts: what every platform's sink does the same way: credential files into the private
 * directory, the cleanup record kept current after every write, the secret-free text summary, and
 * cleanup. Platforms add only their own mask/exportEnv/setOutputs.
 */
import { unlinkSync } from 'node:fs';
import {
  type CleanupRecord,
  type CredentialFile,
  type PlatformName,
  type RevokeRecord,
  type RunSummary,
  renderSummaryText,
} from '@federate/core';
import type { CleanupResult, PlatformContext } from '../types.js';
import {
  type CleanupState,
  mergeCleanupStates,
  parseCleanupState,
  removeEmptyDir,
  removeRecorded,
  type StateStore,
} from './cleanup-state.js';
import { isInside, PRIVATE_FILE_MODE, type PrivateDir } from './private-dir.js';

/** CLEANUP_STATE_FILE is the state file's name inside a private directory. */
export const CLEANUP_STATE_FILE = 'cleanup.json';

/** fileStateStore keeps the cleanup state in `<privateDir>/cleanup.json` (0600, like the credentials it lists). */
export function fileStateStore(dir: PrivateDir): StateStore {
  return {
    async load() {
      return parseCleanupState(await dir.read(CLEANUP_STATE_FILE));
    },
    async save(state) {
      await dir.write(CLEANUP_STATE_FILE, `${JSON.stringify(state)}\n`);
    },
    async clear() {
      try {
        unlinkSync(dir.resolve(CLEANUP_STATE_FILE));
      } catch {
        // already gone
      }
    },
  };
}

/** SinkBase implements the platform-independent half of a Sink. */
export class SinkBase {
  readonly platform: PlatformName;
  readonly dir: PrivateDir;
  readonly #ctx: PlatformContext;
  readonly #store: StateStore;
  readonly #revoke: RevokeRecord[] = [];
  readonly #extraFiles = new Set<string>();

  constructor(platform: PlatformName, ctx: PlatformContext, dir: PrivateDir, store: StateStore) {
    this.platform = platform;
    this.#ctx = ctx;
    this.dir = dir;
    this.#store = store;
  }

  /** writeFile writes a credential file (0600 for secrets whatever was asked), records it, returns its path. */
  async writeFile(file: CredentialFile): Promise<string> {
    if (file.secret) this.#ctx.secrets.add(file.content);
    const requested = file.mode ?? PRIVATE_FILE_MODE;
    const mode = file.secret ? requested & 0o700 : requested & 0o777;
    const path = await this.dir.write(file.name, file.content, mode);
    await this.persist();
    return path;
  }

  /** recordCleanup adds revoke records (and files inside the private directory) to the cleanup state. */
  async recordCleanup(record: CleanupRecord): Promise<void> {
    for (const r of record.revoke) {
      for (const k of r.secretKeys) if (r.data[k]) this.#ctx.secrets.add(r.data[k] as string);
      this.#revoke.push(r);
    }
    for (const f of record.files) {
      if (isInside(this.dir.path, f)) this.#extraFiles.add(f);
      else this.#ctx.log.warn(`not recording ${f} for cleanup: it is outside ${this.dir.path}`);
    }
    await this.persist();
  }

  /** state is this process's part of the cleanup state. */
  state(): CleanupState {
    return {
      version: 1,
      dir: this.dir.path,
      files: [...new Set([...this.dir.files(), ...this.#extraFiles])],
      dirs: this.dir.dirs(),
      revoke: [...this.#revoke],
    };
  }

  /** persist saves the state merged with what an earlier process of the same job recorded. */
  async persist(): Promise<void> {
    const earlier = await this.#store.load();
    await this.#store.save(mergeCleanupStates(this.dir.path, earlier, this.state()));
  }

  /** summaryText renders the run summary as text, passed through the secret registry once more. */
  summaryText(summary: RunSummary): string {
    return this.#ctx.secrets.redact(renderSummaryText(summary));
  }

  /** cleanup removes everything recorded (by this process or an earlier one) and returns the revoke records. */
  async cleanup(): Promise<CleanupResult> {
    const state = mergeCleanupStates(this.dir.path, await this.#store.load(), this.state());
    const removed = await removeRecorded(state, this.#ctx.log);
    await this.#store.clear();
    if (await removeEmptyDir(this.dir.path, this.#ctx.log)) removed.push(this.dir.path);
    return { removed, revoke: [...state.revoke] };
  }
}
