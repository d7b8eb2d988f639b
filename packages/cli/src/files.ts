/**
 * files.ts: secret files the CLI writes itself (token files, caches): 0600 from the first byte,
 * written to a fresh temporary name and renamed into place, never through a symlink.
 */
import { lstatSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FederateError } from '@federate/core';

/** writePrivateFile atomically replaces `path` with `content`, mode 0600. */
export function writePrivateFile(path: string, content: string): void {
  try {
    if (lstatSync(path).isSymbolicLink())
      throw new FederateError('ERR_PLATFORM_EXPORT', `refusing to write through the symbolic link ${path}`, {
        hint: 'remove the link or choose another path',
      });
  } catch (error) {
    if (error instanceof FederateError) throw error;
  }
  const temp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}`,
  );
  try {
    writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {}
    throw new FederateError('ERR_PLATFORM_EXPORT', `could not write ${path}`, { cause: error });
  }
}
