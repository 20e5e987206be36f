/**
 * Temporary directories for tests: created under os.tmpdir() and removed afterwards, also when the test
 * fails.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** makeTmpDir creates a fresh empty directory under os.tmpdir() and returns its path. */
export function makeTmpDir(prefix = 'shale-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** removeTmpDir deletes `dir` and everything under it; a missing directory is not an error. */
export function removeTmpDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** withTmpDir runs `fn` with a fresh directory and removes the directory when `fn` settles. */
export async function withTmpDir<T>(fn: (dir: string) => T | Promise<T>, prefix?: string): Promise<T> {
  const dir = makeTmpDir(prefix);
  try {
    return await fn(dir);
  } finally {
    removeTmpDir(dir);
  }
}

/** tmpDirFor creates a directory that is removed when the test `t` (a node:test context) ends. */
export function tmpDirFor(t: { after(fn: () => void): void }, prefix?: string): string {
  const dir = makeTmpDir(prefix);
  t.after(() => removeTmpDir(dir));
  return dir;
}
