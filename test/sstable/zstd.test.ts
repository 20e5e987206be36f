/** zstd (compression type 2): block round trips, damaged frames, and databases written with it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureZstd, zstdCompress, zstdUncompress } from '../../src/sstable/zstd.js';
import { CompressionType, compressBlock, uncompressBlock } from '../../src/sstable/compression.js';
import { DB, MemFileSystem, ErrorCode } from '../../src/index.js';
import { Random } from '../../src/util/random.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { tmpDirFor } from '../support/tmp-dir.js';

test('zstd blocks round-trip, compress half-compressible data, and reject damage', async () => {
  await ensureZstd();
  const rnd = new Random(3);
  for (const size of [0, 1, 100, 4096, 70_000, 1 << 20]) {
    const raw = new Uint8Array(size);
    for (let i = 0; i < size; i++) raw[i] = i % 100 < 50 ? rnd.uniform(256) : 7;
    const c = compressBlock(CompressionType.ZSTD, raw);
    assert.deepEqual(uncompressBlock(CompressionType.ZSTD, c), raw);
    if (size >= 4096) assert.ok(c.length < size * 0.7, `ratio ${c.length / size}`);
  }
  const good = zstdCompress(new Uint8Array(5000).fill(1));
  const bad = good.slice();
  bad[bad.length - 3] ^= 0xff;
  assert.throws(() => zstdUncompress(bad, 'f.ldb', 10), { code: ErrorCode.CORRUPTION });
  assert.throws(() => zstdUncompress(new Uint8Array([1, 2, 3, 4, 5, 6, 7]), 'f.ldb', 10), {
    code: ErrorCode.CORRUPTION,
  });
});

for (const where of ['memory', 'disk'] as const) {
  test(`a database with compression 'zstd' writes, compacts and reads back (${where})`, async (t) => {
    const fs = where === 'memory' ? new MemFileSystem() : undefined;
    const dir = where === 'memory' ? '/db' : tmpDirFor(t);
    const options = { fs, compression: 'zstd' as const, writeBufferSize: 16 * 1024, maxFileSize: 16 * 1024 };
    const db = await DB.open(dir, options);
    for (let i = 0; i < 3000; i++) db.put(`key${String(i).padStart(5, '0')}`, `value ${i} `.repeat(8));
    await db.compactRange();
    await db.close();
    const again = await DB.open(dir, { fs });
    assert.equal([...again.iterator()].length, 3000);
    assert.equal(fromUtf8(again.get('key01234')!), `value 1234 `.repeat(8));
    await again.close();
  });
}
