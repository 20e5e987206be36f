// Shared by memtable.test.ts and its worker: a checksum of a memtable's full forward scan.
import type { MemTable } from '../../src/memtable/memtable.js';
import { crc32cExtend } from '../../src/util/crc32c.js';

/** scanChecksum returns the entry count and a crc32c over (key length, key, value length, value)*. */
export function scanChecksum(mem: MemTable): { count: number; crc: number } {
  let crc = 0;
  let count = 0;
  const len = new Uint8Array(4);
  const dv = new DataView(len.buffer);
  const it = mem.iterator();
  for (it.seekToFirst(); it.valid(); it.next()) {
    const k = it.key();
    const v = it.value();
    dv.setUint32(0, k.length, true);
    crc = crc32cExtend(crc, len);
    crc = crc32cExtend(crc, k);
    dv.setUint32(0, v.length, true);
    crc = crc32cExtend(crc, len);
    crc = crc32cExtend(crc, v);
    count++;
  }
  return { count, crc };
}
