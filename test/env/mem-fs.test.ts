import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemFileSystem } from '../../src/env/mem-fs.js';
import { ErrorCode } from '../../src/util/errors.js';
import { assertErrno, fileSystemConformance } from './file-system-conformance.js';

fileSystemConformance('MemFileSystem', () => {
  const fs = new MemFileSystem();
  fs.mkdir('/tmp/root');
  return { fs, root: '/tmp/root', cleanup: () => {} };
});

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('MemFileSystem specifics', () => {
  test('paths are normalized', () => {
    const fs = new MemFileSystem();
    fs.mkdir('/a/b/');
    const f = fs.createWritable('/a/./b/../b//f');
    f.append(enc.encode('x'));
    f.close();
    assert.equal(dec.decode(fs.readFile('/a/b/f')), 'x');
    assert.equal(fs.exists('a/b/f'), true, 'relative paths hang off the root');
    assert.deepEqual(fs.list('/a/b/'), ['f']);
  });

  test('errors mirror POSIX for files used as directories and the reverse', () => {
    const fs = new MemFileSystem();
    fs.mkdir('/d');
    const f = fs.createWritable('/d/f');
    f.close();
    assertErrno(() => fs.createWritable('/d/f/g'), 'ENOTDIR');
    assertErrno(() => fs.mkdir('/d/f/g'), 'ENOTDIR');
    assertErrno(() => fs.createWritable('/d'), 'EISDIR');
    assertErrno(() => fs.readFile('/d'), 'EISDIR');
    assertErrno(() => fs.remove('/d'), 'EISDIR');
    assertErrno(() => fs.removeDir('/d/f'), 'ENOTDIR');
    assertErrno(() => fs.rename('/d/f', '/d'), 'EISDIR');
    assertErrno(() => fs.rename('/d', '/d/inner'), 'EINVAL');
    assertErrno(() => fs.syncDir('/missing'), 'ENOENT');
  });

  test('a random-access file sees the bytes as of each read; its size is fixed at open', () => {
    const fs = new MemFileSystem();
    const w = fs.createWritable('/f');
    w.append(enc.encode('abc'));
    const r = fs.openRandomAccess('/f');
    assert.equal(r.size, 3);
    w.append(enc.encode('def'));
    assert.equal(dec.decode(r.read(0, 6)), 'abcdef');
    assert.equal(r.size, 3);
    w.close();
    r.close();
  });

  test('a writable outlives the removal of its name, like an unlinked inode', () => {
    const fs = new MemFileSystem();
    const w = fs.createWritable('/f');
    fs.remove('/f');
    w.append(enc.encode('lost'));
    w.close();
    assert.equal(fs.exists('/f'), false);
  });

  test('lock is exclusive per path; other paths and other instances are independent', async () => {
    const fs = new MemFileSystem();
    fs.mkdir('/db1');
    fs.mkdir('/db2');
    const l1 = await fs.lock('/db1/LOCK');
    await assert.rejects(fs.lock('/db1/../db1/LOCK'), { code: ErrorCode.LOCKED });
    const l2 = await fs.lock('/db2/LOCK');
    const other = new MemFileSystem();
    other.mkdir('/db1');
    (await other.lock('/db1/LOCK')).release();
    l1.release();
    (await fs.lock('/db1/LOCK')).release();
    l2.release();
    await assert.rejects(fs.lock('/missing/LOCK'), (err: unknown) => {
      assert.equal((err as { errno?: string }).errno, 'ENOENT');
      return true;
    });
  });

  test('clone is a deep, independent copy without locks', async () => {
    const fs = new MemFileSystem();
    fs.mkdir('/db');
    const w = fs.createWritable('/db/000001.log');
    w.append(enc.encode('before'));
    const lock = await fs.lock('/db/LOCK');
    const copy = fs.clone();
    w.append(enc.encode('-after'));
    fs.mkdir('/db/new');
    assert.equal(dec.decode(copy.readFile('/db/000001.log')), 'before');
    assert.equal(copy.exists('/db/new'), false);
    assert.deepEqual(copy.list('/db').sort(), ['000001.log', 'LOCK']);
    const w2 = copy.openAppendable('/db/000001.log');
    w2.append(enc.encode('+copy'));
    w2.close();
    assert.equal(dec.decode(fs.readFile('/db/000001.log')), 'before-after');
    assert.equal(dec.decode(copy.readFile('/db/000001.log')), 'before+copy');
    (await copy.lock('/db/LOCK')).release();
    w.close();
    lock.release();
  });
});
