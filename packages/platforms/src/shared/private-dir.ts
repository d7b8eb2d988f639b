/**
 * private-dir.ts: the job-private directory every platform writes credential files into. The
 * directory is 0700 and ours; files are 0600, written to an unpredictable temporary name with
 * O_CREAT|O_EXCL|O_NOFOLLOW and renamed into place, so a reader sees the whole file or none, and a
 * symlink planted at the destination (or as the directory) is refused, never followed.
 */
// Synchronous fs calls behind async signatures: these are a handful of tiny local operations, and
// node:fs/promises (with the readline and watcher modules it loads) costs ~2 ms of every cold start.
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PlatformError } from '@federate/core';
import { randomHex } from './random.js';

/** PRIVATE_DIR_MODE and PRIVATE_FILE_MODE are the modes we create with. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
const APPEND_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | (constants.O_NOFOLLOW ?? 0);

function exportError(platform: string, message: string, cause?: unknown, hint?: string): PlatformError {
  return new PlatformError('ERR_PLATFORM_EXPORT', platform, message, {
    ...(cause === undefined ? {} : { cause }),
    ...(hint === undefined ? {} : { hint }),
  });
}

function ignoreError(f: () => void): void {
  try {
    f();
  } catch {
    // best effort: the original error is the one worth reporting
  }
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** isInside tells whether `path` is strictly inside `dir` (after resolving `..`, not symlinks). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * ensurePrivateDir creates `path` with mode 0700, or accepts an existing one only when it is a real
 * directory (not a symlink) owned by us; its mode is then tightened to 0700.
 */
export async function ensurePrivateDir(platform: string, path: string, exclusive: boolean): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  try {
    mkdirSync(path, { mode: PRIVATE_DIR_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || exclusive)
      throw exportError(platform, `could not create the private directory ${path}`, error);
  }
  const st = lstatSync(path);
  if (st.isSymbolicLink() || !st.isDirectory())
    throw exportError(
      platform,
      `refusing to use ${path}: it is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`,
      undefined,
      'remove it, or point the private directory elsewhere',
    );
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid)
    throw exportError(platform, `refusing to use ${path}: it belongs to another user`);
  if ((st.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(path, PRIVATE_DIR_MODE);
}

/**
 * writeFileAtomic writes `content` to `path` (mode 0600 unless given): a fresh temporary file in the
 * same directory, then rename. A symlink or non-file at `path` is refused.
 */
export async function writeFileAtomic(
  platform: string,
  path: string,
  content: string,
  mode: number = PRIVATE_FILE_MODE,
): Promise<void> {
  const existing = await lstatOrUndefined(path);
  if (existing && (existing.isSymbolicLink() || !existing.isFile()))
    throw exportError(
      platform,
      `refusing to write ${path}: it is ${existing.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}`,
      undefined,
      'remove it; Federate never follows links when writing credentials',
    );
  const tmp = join(dirname(path), `.${basename(path)}.${randomHex(8)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, CREATE_FLAGS, PRIVATE_FILE_MODE);
    writeFileSync(fd, content, 'utf8');
    // The umask may have narrowed the mode; a file asked to be 0600 must be exactly that.
    fchmodSync(fd, mode & 0o777);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (error) {
    if (fd !== undefined) ignoreError(() => closeSync(fd as number));
    ignoreError(() => unlinkSync(tmp));
    if (error instanceof PlatformError) throw error;
    throw exportError(platform, `could not write ${path}`, error);
  }
}

/**
 * appendPrivateFile appends to a file someone else owns the name of (CircleCI's $BASH_ENV): created
 * 0600 when missing, never through a symlink.
 */
export async function appendPrivateFile(platform: string, path: string, text: string): Promise<void> {
  const existing = await lstatOrUndefined(path);
  if (existing && (existing.isSymbolicLink() || !existing.isFile()))
    throw exportError(
      platform,
      `refusing to append to ${path}: it is ${existing.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}`,
    );
  let fd: number | undefined;
  try {
    fd = openSync(path, APPEND_FLAGS, PRIVATE_FILE_MODE);
    writeFileSync(fd, text, 'utf8');
  } catch (error) {
    throw exportError(platform, `could not append to ${path}`, error);
  } finally {
    if (fd !== undefined) ignoreError(() => closeSync(fd as number));
  }
}

/** PrivateDir is one platform's job-private directory; it records every file and directory it creates. */
export class PrivateDir {
  readonly path: string;
  readonly #platform: string;
  readonly #exclusive: boolean;
  readonly #files = new Set<string>();
  readonly #dirs = new Set<string>();
  #ready: Promise<void> | undefined;

  /**
   * exclusive: the directory must not exist yet (a random name); otherwise an existing directory of
   * ours is reused (a fixed, job-scoped name another Federate process of the same job may share).
   */
  constructor(platform: string, path: string, opts: { exclusive: boolean }) {
    this.#platform = platform;
    this.path = resolve(path);
    this.#exclusive = opts.exclusive;
  }

  /** random returns a PrivateDir at `<parent>/<prefix><random>` that is created exclusively on first use. */
  static random(platform: string, parent: string, prefix: string): PrivateDir {
    return new PrivateDir(platform, join(parent, `${prefix}${randomHex(8)}`), {
      exclusive: true,
    });
  }

  /** ensure creates the directory (once). */
  ensure(): Promise<void> {
    this.#ready ??= ensurePrivateDir(this.#platform, this.path, this.#exclusive);
    return this.#ready;
  }

  /** resolve maps a relative file name to its absolute path, refusing names that leave the directory. */
  resolve(name: string): string {
    const parts = name.split(/[\\/]/);
    if (
      name === '' ||
      isAbsolute(name) ||
      name.includes('\0') ||
      parts.some((p) => p === '' || p === '.' || p === '..')
    ) {
      throw exportError(
        this.#platform,
        `refusing to write ${JSON.stringify(name.slice(0, 100))}: file names must be relative paths inside the private directory`,
      );
    }
    return join(this.path, ...parts);
  }

  async #ensureParents(target: string): Promise<void> {
    const rel = relative(this.path, dirname(target));
    if (rel === '') return;
    let current = this.path;
    for (const part of rel.split(sep)) {
      current = join(current, part);
      const st = await lstatOrUndefined(current);
      if (!st) {
        mkdirSync(current, { mode: PRIVATE_DIR_MODE });
        this.#dirs.add(current);
      } else if (st.isSymbolicLink() || !st.isDirectory()) {
        throw exportError(this.#platform, `refusing to write under ${current}: it is not a plain directory`);
      }
    }
  }

  /** write writes `name` atomically (0600 unless `mode`), records it, and returns its absolute path. */
  async write(name: string, content: string, mode: number = PRIVATE_FILE_MODE): Promise<string> {
    const target = this.resolve(name);
    await this.ensure();
    await this.#ensureParents(target);
    await writeFileAtomic(this.#platform, target, content, mode);
    this.#files.add(target);
    return target;
  }

  /** read returns a file's content, or undefined when it does not exist; a symlink is refused. */
  async read(name: string): Promise<string | undefined> {
    const target = this.resolve(name);
    // A directory that does not exist yet holds nothing; one that does must pass the same checks as for writing.
    if (!(await lstatOrUndefined(this.path))) return undefined;
    await this.ensure();
    const st = await lstatOrUndefined(target);
    if (!st) return undefined;
    if (!st.isFile()) throw exportError(this.#platform, `refusing to read ${target}: not a regular file`);
    return readFileSync(target, 'utf8');
  }

  /** append adds text to a file of ours, rewriting it atomically. */
  async append(name: string, text: string): Promise<string> {
    const before = (await this.read(name)) ?? '';
    return this.write(name, before + text);
  }

  /** files lists every file written through this object. */
  files(): string[] {
    return [...this.#files];
  }

  /** dirs lists the subdirectories this object created. */
  dirs(): string[] {
    return [...this.#dirs];
  }
}
