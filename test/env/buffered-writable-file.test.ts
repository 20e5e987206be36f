/** BufferedWritableFile: whatever mix of appends, the file ends up holding exactly their concatenation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemFileSystem } from '../../src/env/mem-fs.js';
import { BufferedWritableFile } from '../../src/env/buffered-writable-file.js';

const read = (fs: MemFileSystem, path: string): Uint8Array => {
  const f = fs.openRandomAccess(path);
  try {
    return f.read(0, f.size);
  } finally {
    f.close();
  }
};

test('appends of any sizes, with syncs between, leave the file holding their concatenation', () => {
  const op = fc.oneof(
    fc.record({ append: fc.integer({ min: 0, max: 300_000 }) }),
    fc.record({ sync: fc.constant(true) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 12 }), fc.integer({ min: 0, max: 255 }), (ops, seed) => {
      const fs = new MemFileSystem();
      const file = new BufferedWritableFile(fs.createWritable('/t'));
      const expected: number[] = [];
      let b = seed;
      for (const o of ops) {
        if ('append' in o) {
          const data = new Uint8Array(o.append);
          for (let i = 0; i < data.length; i++) data[i] = b++ & 0xff;
          file.append(data);
          // The caller may reuse its array at once: the file must not keep it.
          data.fill(0);
          for (let i = 0; i < o.append; i++) expected.push((b - o.append + i) & 0xff);
        } else {
          file.sync();
          assert.deepEqual(read(fs, '/t'), Uint8Array.from(expected));
        }
        assert.equal(file.size, expected.length);
      }
      file.close();
      assert.deepEqual(read(fs, '/t'), Uint8Array.from(expected));
    }),
    { numRuns: 60 },
  );
});
