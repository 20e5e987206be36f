/**
 * The FileSystem conformance suite, written once and run against every implementation (node-fs.test.ts,
 * mem-fs.test.ts, later fault-fs): the behaviour the engine may rely on, with POSIX errnos.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { FileSystem } from '../../src/env/file-system.js';
import { ErrorCode, IOError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';

/** FsFixture is one fresh file system and a root directory in it; cleanup() removes what the test made. */
export interface FsFixture {
  readonly fs: FileSystem;
  readonly root: string;
  cleanup(): void;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const text = (s: string): Uint8Array => enc.encode(s);
const str = (b: Uint8Array): string => dec.decode(b);

/** assertErrno asserts that `fn` throws an IOError carrying `errno`. */
export function assertErrno(fn: () => unknown, errno: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof IOError, `expected IOError, got ${String(err)}`);
    assert.equal(err.code, ErrorCode.IO);
    assert.equal(err.errno, errno);
    return true;
  });
}

function writeFile(fs: FileSystem, path: string, data: string | Uint8Array): void {
  const f = fs.createWritable(path);
  f.append(typeof data === 'string' ? text(data) : data);
  f.close();
}

/** fileSystemConformance registers the suite for the implementation `makeFixture` creates. */
export function fileSystemConformance(name: string, makeFixture: () => FsFixture): void {
  const it = (title: string, fn: (fs: FileSystem, root: string) => void | Promise<void>): void => {
    test(title, async () => {
      const fx = makeFixture();
      try {
        await fn(fx.fs, fx.root);
      } finally {
        fx.cleanup();
      }
    });
  };

  describe(`FileSystem conformance: ${name}`, () => {
    it('createWritable appends, tracks size, and reads back', (fs, root) => {
      const p = join(root, 'a.log');
      const f = fs.createWritable(p);
      assert.equal(f.path, p);
      assert.equal(f.size, 0);
      f.append(text('hello'));
      assert.equal(f.size, 5);
      f.append(new Uint8Array(0));
      f.append(text(' world'));
      assert.equal(f.size, 11);
      f.close();
      assert.equal(str(fs.readFile(p)), 'hello world');
      assert.equal(fs.fileSize(p), 11);
    });

    it('appended bytes are readable before sync or close', (fs, root) => {
      const p = join(root, 'open.log');
      const f = fs.createWritable(p);
      f.append(text('visible'));
      assert.equal(str(fs.readFile(p)), 'visible');
      assert.equal(fs.fileSize(p), 7);
      f.close();
    });

    it('append writes only the bytes of a subarray view', (fs, root) => {
      const p = join(root, 'view');
      const backing = text('0123456789');
      writeFile(fs, p, backing.subarray(3, 7));
      assert.equal(str(fs.readFile(p)), '3456');
    });

    it('append does not keep the array: the caller may reuse it at once', (fs, root) => {
      const p = join(root, 'reuse');
      const f = fs.createWritable(p);
      const buf = text('first');
      f.append(buf);
      buf.set(text('SECON'));
      f.append(buf);
      buf.fill(0);
      f.close();
      assert.equal(str(fs.readFile(p)), 'firstSECON');
    });

    it('large appends read back byte for byte', (fs, root) => {
      const rnd = new Random(301);
      const data = new Uint8Array(1 << 20);
      for (let i = 0; i < data.length; i++) data[i] = rnd.uniform(256);
      const p = join(root, 'big');
      const f = fs.createWritable(p);
      for (let off = 0; off < data.length; off += 100_003) f.append(data.subarray(off, off + 100_003));
      assert.equal(f.size, data.length);
      f.close();
      assert.deepEqual(fs.readFile(p), data);
      const ra = fs.openRandomAccess(p);
      assert.deepEqual(ra.read(12345, 70000), data.subarray(12345, 12345 + 70000));
      ra.close();
    });

    it('createWritable truncates an existing file', (fs, root) => {
      const p = join(root, 't');
      writeFile(fs, p, 'long old contents');
      const f = fs.createWritable(p);
      assert.equal(f.size, 0);
      f.append(text('new'));
      f.close();
      assert.equal(str(fs.readFile(p)), 'new');
    });

    it('openAppendable keeps the contents and appends after them', (fs, root) => {
      const p = join(root, 'MANIFEST-000001');
      writeFile(fs, p, 'abc');
      const f = fs.openAppendable(p);
      assert.equal(f.size, 3);
      f.append(text('def'));
      assert.equal(f.size, 6);
      f.close();
      assert.equal(str(fs.readFile(p)), 'abcdef');
    });

    it('writeAt overwrites in place and past the end; append goes on at the end', (fs, root) => {
      for (const open of ['create', 'append'] as const) {
        const p = join(root, `pos-${open}`);
        writeFile(fs, p, 'abcdef');
        const f = open === 'create' ? fs.createWritable(p) : fs.openAppendable(p);
        if (open === 'create') f.append(text('abcdef'));
        assert.ok(f.writeAt !== undefined && f.truncate !== undefined, 'positional writes are offered');
        f.writeAt(text('XY'), 2);
        assert.equal(f.size, 6);
        f.writeAt(text('Z'), 8); // past the end: a hole of zeros
        assert.equal(f.size, 9);
        f.append(text('!'));
        assert.equal(f.size, 10);
        f.sync();
        f.close();
        assert.deepEqual(fs.readFile(p), new Uint8Array([...text('abXYef'), 0, 0, ...text('Z!')]));
      }
    });

    it('truncate shortens a file; appends continue at the new end', (fs, root) => {
      const p = join(root, 'trunc');
      const f = fs.createWritable(p);
      f.append(new Uint8Array(5000).fill(7));
      f.truncate!(10);
      assert.equal(f.size, 10);
      f.append(text('end'));
      f.close();
      assert.equal(fs.fileSize(p), 13);
      assert.deepEqual(fs.readFile(p).subarray(10), text('end'));
    });

    it('openAppendable creates a missing file', (fs, root) => {
      const p = join(root, 'fresh');
      const f = fs.openAppendable(p);
      assert.equal(f.size, 0);
      f.append(text('x'));
      f.close();
      assert.equal(str(fs.readFile(p)), 'x');
    });

    it('random-access reads: exact, short at EOF, empty past EOF', (fs, root) => {
      const p = join(root, 'r');
      const data = new Uint8Array(100).map((_, i) => i);
      writeFile(fs, p, data);
      const ra = fs.openRandomAccess(p);
      assert.equal(ra.path, p);
      assert.equal(ra.size, 100);
      assert.deepEqual(ra.read(10, 20), data.subarray(10, 30));
      assert.deepEqual(ra.read(0, 100), data);
      const tail = ra.read(90, 20);
      assert.equal(tail.length, 10);
      assert.deepEqual(tail, data.subarray(90));
      assert.equal(ra.read(100, 5).length, 0);
      assert.equal(ra.read(1000, 5).length, 0);
      assert.equal(ra.read(5, 0).length, 0);
      ra.close();
    });

    it('read returns a plain Uint8Array the caller owns', (fs, root) => {
      const p = join(root, 'own');
      writeFile(fs, p, 'abcdef');
      const ra = fs.openRandomAccess(p);
      const a = ra.read(0, 6);
      assert.equal(Object.getPrototypeOf(a), Uint8Array.prototype);
      a.fill(0);
      assert.equal(str(ra.read(0, 6)), 'abcdef');
      ra.close();
      const whole = fs.readFile(p);
      assert.equal(Object.getPrototypeOf(whole), Uint8Array.prototype);
      whole.fill(0);
      assert.equal(str(fs.readFile(p)), 'abcdef');
    });

    it('read rejects negative or fractional ranges', (fs, root) => {
      const p = join(root, 'bad');
      writeFile(fs, p, 'abc');
      const ra = fs.openRandomAccess(p);
      assert.throws(() => ra.read(-1, 1), { code: ErrorCode.INVALID_ARGUMENT });
      assert.throws(() => ra.read(0, -1), { code: ErrorCode.INVALID_ARGUMENT });
      assert.throws(() => ra.read(0.5, 1), { code: ErrorCode.INVALID_ARGUMENT });
      ra.close();
    });

    it('a corrupt huge length does not allocate past the end of the file', (fs, root) => {
      const p = join(root, 'small');
      writeFile(fs, p, 'abc');
      const ra = fs.openRandomAccess(p);
      assert.equal(str(ra.read(1, 2 ** 50)), 'bc');
      ra.close();
    });

    it('missing files fail with ENOENT', (fs, root) => {
      const p = join(root, 'nope');
      assertErrno(() => fs.openRandomAccess(p), 'ENOENT');
      assertErrno(() => fs.readFile(p), 'ENOENT');
      assertErrno(() => fs.fileSize(p), 'ENOENT');
      assertErrno(() => fs.remove(p), 'ENOENT');
      assertErrno(() => fs.rename(p, join(root, 'other')), 'ENOENT');
      assertErrno(() => fs.list(join(root, 'nodir')), 'ENOENT');
      assertErrno(() => fs.removeDir(join(root, 'nodir')), 'ENOENT');
      assertErrno(() => fs.createWritable(join(root, 'nodir', 'f')), 'ENOENT');
      assertErrno(() => fs.openAppendable(join(root, 'nodir', 'f')), 'ENOENT');
    });

    it('the IOError names the path', (fs, root) => {
      const p = join(root, 'named');
      assert.throws(
        () => fs.readFile(p),
        (err: unknown) => err instanceof IOError && err.path === p && err.message.includes('named'),
      );
    });

    it('exists sees files and directories, not missing paths', (fs, root) => {
      const d = join(root, 'd');
      fs.mkdir(d);
      writeFile(fs, join(d, 'f'), 'x');
      assert.equal(fs.exists(root), true);
      assert.equal(fs.exists(d), true);
      assert.equal(fs.exists(join(d, 'f')), true);
      assert.equal(fs.exists(join(d, 'g')), false);
      assert.equal(fs.exists(join(d, 'f', 'under-a-file')), false);
    });

    it('mkdir creates parents and tolerates an existing directory', (fs, root) => {
      const d = join(root, 'a', 'b', 'c');
      fs.mkdir(d);
      fs.mkdir(d);
      assert.equal(fs.exists(d), true);
      assert.deepEqual(fs.list(join(root, 'a')), ['b']);
      writeFile(fs, join(root, 'file'), 'x');
      assertErrno(() => fs.mkdir(join(root, 'file')), 'EEXIST');
    });

    it('list returns the entry names', (fs, root) => {
      const d = join(root, 'db');
      fs.mkdir(d);
      assert.deepEqual(fs.list(d), []);
      writeFile(fs, join(d, '000005.ldb'), 'x');
      writeFile(fs, join(d, 'CURRENT'), 'y');
      fs.mkdir(join(d, 'sub'));
      writeFile(fs, join(d, 'sub', 'hidden'), 'z');
      assert.deepEqual(fs.list(d).sort(), ['000005.ldb', 'CURRENT', 'sub']);
      assertErrno(() => fs.list(join(d, 'CURRENT')), 'ENOTDIR');
    });

    it('rename moves a file and replaces an existing target', (fs, root) => {
      const a = join(root, 'CURRENT.tmp');
      const b = join(root, 'CURRENT');
      writeFile(fs, b, 'MANIFEST-000001\n');
      writeFile(fs, a, 'MANIFEST-000007\n');
      fs.rename(a, b);
      assert.equal(fs.exists(a), false);
      assert.equal(str(fs.readFile(b)), 'MANIFEST-000007\n');
      assert.deepEqual(fs.list(root).sort(), ['CURRENT']);
      fs.rename(b, b);
      assert.equal(str(fs.readFile(b)), 'MANIFEST-000007\n');
    });

    it('rename moves a directory with its contents', (fs, root) => {
      fs.mkdir(join(root, 'x', 'y'));
      writeFile(fs, join(root, 'x', 'y', 'f'), 'data');
      fs.rename(join(root, 'x'), join(root, 'z'));
      assert.equal(fs.exists(join(root, 'x')), false);
      assert.equal(str(fs.readFile(join(root, 'z', 'y', 'f'))), 'data');
    });

    it('an open writable follows its file through a rename', (fs, root) => {
      const a = join(root, 'a');
      const f = fs.createWritable(a);
      f.append(text('one'));
      fs.rename(a, join(root, 'b'));
      f.append(text('two'));
      f.close();
      assert.equal(str(fs.readFile(join(root, 'b'))), 'onetwo');
    });

    it('remove unlinks a file', (fs, root) => {
      const p = join(root, '000003.log');
      writeFile(fs, p, 'x');
      fs.remove(p);
      assert.equal(fs.exists(p), false);
      assert.deepEqual(fs.list(root), []);
      assertErrno(() => fs.remove(p), 'ENOENT');
    });

    it('removeDir removes only an empty directory', (fs, root) => {
      const d = join(root, 'd');
      fs.mkdir(d);
      writeFile(fs, join(d, 'f'), 'x');
      assertErrno(() => fs.removeDir(d), 'ENOTEMPTY');
      assert.equal(fs.exists(join(d, 'f')), true);
      fs.remove(join(d, 'f'));
      fs.removeDir(d);
      assert.equal(fs.exists(d), false);
      assertErrno(() => fs.removeDir(d), 'ENOENT');
    });

    it('sync, syncAsync and syncDir succeed on healthy files', async (fs, root) => {
      const p = join(root, 'synced');
      const f = fs.createWritable(p);
      f.append(text('durable'));
      f.sync();
      f.append(text('!'));
      await f.syncAsync();
      await Promise.all([f.syncAsync(), f.syncAsync()]);
      f.close();
      fs.syncDir(root);
      assert.equal(str(fs.readFile(p)), 'durable!');
    });

    it('a closed file refuses use; closing twice is harmless', async (fs, root) => {
      const p = join(root, 'closed');
      const f = fs.createWritable(p);
      f.append(text('x'));
      f.close();
      f.close();
      assert.throws(() => f.append(text('y')), { code: ErrorCode.CLOSED });
      assert.throws(() => f.sync(), { code: ErrorCode.CLOSED });
      await assert.rejects(f.syncAsync(), { code: ErrorCode.CLOSED });
      assert.equal(str(fs.readFile(p)), 'x');
      const ra = fs.openRandomAccess(p);
      ra.close();
      ra.close();
      assert.throws(() => ra.read(0, 1), { code: ErrorCode.CLOSED });
    });

    it('lock is exclusive until released', async (fs, root) => {
      const p = join(root, 'LOCK');
      const l = await fs.lock(p);
      assert.equal(l.path, p);
      assert.equal(fs.exists(p), true, 'lock creates the LOCK file');
      await assert.rejects(fs.lock(p), { code: ErrorCode.LOCKED });
      l.release();
      l.release();
      const again = await fs.lock(p);
      again.release();
      assert.equal(fs.exists(p), true, 'release leaves the LOCK file');
    });
  });
}
