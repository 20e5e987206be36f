import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fsMod from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { NodeFileSystem } from '../../src/env/node-fs.js';
import { ErrorCode, IOError } from '../../src/util/errors.js';
import { fileSystemConformance } from './file-system-conformance.js';
import { makeTmpDir, removeTmpDir, tmpDirFor } from '../support/tmp-dir.js';

fileSystemConformance('NodeFileSystem', () => {
  const root = makeTmpDir('shale-nodefs-');
  return { fs: new NodeFileSystem(), root, cleanup: () => removeTmpDir(root) };
});

const enc = new TextEncoder();

/**
 * patchFs replaces a node:fs function for the duration of `fn`; syncBuiltinESMExports makes the change
 * visible through node-fs.ts's `import * as fs`.
 */
async function patchFs<K extends keyof typeof fsMod>(
  name: K,
  replacement: (typeof fsMod)[K],
  fn: () => void | Promise<void>,
): Promise<void> {
  const original = fsMod[name];
  (fsMod as Record<K, unknown>)[name] = replacement;
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    (fsMod as Record<K, unknown>)[name] = original;
    syncBuiltinESMExports();
  }
}

function eio(syscall: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`EIO: i/o error, ${syscall}`);
  e.code = 'EIO';
  e.syscall = syscall;
  return e;
}

describe('NodeFileSystem specifics', () => {
  test('append loops over partial writes', async (t) => {
    const root = tmpDirFor(t);
    const nfs = new NodeFileSystem();
    const p = join(root, 'partial');
    const original = fsMod.writeSync;
    let calls = 0;
    const threeAtATime = ((fd: number, buf: Uint8Array, off: number, len: number, pos: number | null) => {
      calls++;
      return original(fd, buf, off, Math.min(len, 3), pos);
    }) as typeof fsMod.writeSync;
    await patchFs('writeSync', threeAtATime, () => {
      const f = nfs.createWritable(p);
      f.append(enc.encode('0123456789abcdef'));
      assert.equal(f.size, 16);
      f.close();
    });
    assert.equal(calls, 6);
    assert.equal(new TextDecoder().decode(nfs.readFile(p)), '0123456789abcdef');
  });

  test('a failed sync poisons the file: later appends and syncs fail even if the disk recovers', async (t) => {
    const root = tmpDirFor(t);
    const nfs = new NodeFileSystem();
    const f = nfs.createWritable(join(root, 'wal'));
    f.append(enc.encode('record'));
    await patchFs(
      'fdatasyncSync',
      () => {
        throw eio('fdatasync');
      },
      () => {
        assert.throws(
          () => f.sync(),
          (err: unknown) => err instanceof IOError && err.errno === 'EIO' && err.code === ErrorCode.IO,
        );
      },
    );
    // fdatasyncSync works again, but the file must not be trusted.
    assert.throws(
      () => f.sync(),
      (err: unknown) => err instanceof IOError && err.errno === 'EIO',
    );
    assert.throws(
      () => f.append(enc.encode('more')),
      (err: unknown) => err instanceof IOError,
    );
    await assert.rejects(f.syncAsync(), (err: unknown) => err instanceof IOError);
    f.close();
    assert.equal(nfs.fileSize(join(root, 'wal')), 6);
  });

  test('a failed syncAsync poisons the file', async (t) => {
    const root = tmpDirFor(t);
    const nfs = new NodeFileSystem();
    const f = nfs.createWritable(join(root, 'wal'));
    f.append(enc.encode('record'));
    const failing = ((_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      setImmediate(() => cb(eio('fdatasync')));
    }) as typeof fsMod.fdatasync;
    await patchFs('fdatasync', failing, async () => {
      await assert.rejects(f.syncAsync(), (err: unknown) => err instanceof IOError && err.errno === 'EIO');
    });
    assert.throws(
      () => f.sync(),
      (err: unknown) => err instanceof IOError && err.errno === 'EIO',
    );
    assert.throws(
      () => f.append(enc.encode('x')),
      (err: unknown) => err instanceof IOError,
    );
    f.close();
  });

  test('a failed append poisons the file', async (t) => {
    const root = tmpDirFor(t);
    const nfs = new NodeFileSystem();
    const f = nfs.createWritable(join(root, 'full'));
    const enospc = (() => {
      const e: NodeJS.ErrnoException = new Error('ENOSPC: no space left on device, write');
      e.code = 'ENOSPC';
      e.syscall = 'write';
      throw e;
    }) as typeof fsMod.writeSync;
    await patchFs('writeSync', enospc, () => {
      assert.throws(
        () => f.append(enc.encode('x')),
        (err: unknown) => err instanceof IOError && err.errno === 'ENOSPC',
      );
    });
    assert.throws(
      () => f.append(enc.encode('y')),
      (err: unknown) => err instanceof IOError && err.errno === 'ENOSPC',
    );
    assert.throws(
      () => f.sync(),
      (err: unknown) => err instanceof IOError,
    );
    f.close();
    assert.equal(nfs.fileSize(join(root, 'full')), 0);
  });

  test('close during a syncAsync waits for the sync before closing the descriptor', async (t) => {
    const root = tmpDirFor(t);
    const nfs = new NodeFileSystem();
    const f = nfs.createWritable(join(root, 'x'));
    f.append(enc.encode('abc'));
    const closed: number[] = [];
    const originalClose = fsMod.closeSync;
    let syncedFd = -1;
    const originalFdatasync = fsMod.fdatasync;
    const slowSync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      syncedFd = fd;
      setTimeout(() => {
        assert.deepEqual(closed, [], 'fd closed while fdatasync was in flight');
        originalFdatasync(fd, cb);
      }, 20);
    }) as typeof fsMod.fdatasync;
    const recordingClose = ((fd: number) => {
      closed.push(fd);
      originalClose(fd);
    }) as typeof fsMod.closeSync;
    await patchFs('fdatasync', slowSync, () =>
      patchFs('closeSync', recordingClose, async () => {
        const pending = f.syncAsync();
        f.close();
        assert.throws(() => f.append(enc.encode('late')), { code: ErrorCode.CLOSED });
        await pending;
        assert.deepEqual(closed, [syncedFd]);
      }),
    );
  });

  test('openRandomAccess on a directory fails with EISDIR', (t) => {
    const root = tmpDirFor(t);
    assert.throws(
      () => new NodeFileSystem().openRandomAccess(root),
      (err: unknown) => err instanceof IOError && err.errno === 'EISDIR',
    );
  });

  test('syncDir of a missing directory fails with ENOENT', (t) => {
    const root = tmpDirFor(t);
    assert.throws(
      () => new NodeFileSystem().syncDir(join(root, 'missing')),
      (err: unknown) => err instanceof IOError && err.errno === 'ENOENT',
    );
  });
});
