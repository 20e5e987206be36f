// Worker for memtable.test.ts: opens a memtable shared from the main thread, without copying it, and
// answers with a checksum of a full forward scan, a backward count and the results of some gets.
import { parentPort } from 'node:worker_threads';
import { MemTable } from '../../src/memtable/memtable.js';
import type { SharedMemTable } from '../../src/memtable/memtable.js';
import { InternalKeyComparator } from '../../src/memtable/internal-key.js';
import { bytewiseComparator } from '../../src/util/comparator.js';
import { scanChecksum } from './memtable-checksum.js';

interface Request {
  shared: SharedMemTable;
  gets: { key: Uint8Array; seq: number }[];
}

parentPort!.once('message', (req: Request) => {
  try {
    const mem = MemTable.fromShared(req.shared, new InternalKeyComparator(bytewiseComparator));
    const forward = scanChecksum(mem);
    let backward = 0;
    const it = mem.iterator();
    for (it.seekToLast(); it.valid(); it.prev()) backward++;
    const gets = req.gets.map(({ key, seq }) => {
      const v = mem.get(key, seq);
      return v === undefined || v === null ? v : v.slice();
    });
    let addError = '';
    try {
      mem.add(1, 1, new Uint8Array(1), new Uint8Array(1));
    } catch (e) {
      addError = (e as { code?: string }).code ?? String(e);
    }
    parentPort!.postMessage({ ...forward, backward, gets, addError, usage: mem.approximateMemoryUsage() });
  } catch (e) {
    parentPort!.postMessage({ error: String((e as Error).stack ?? e) });
  }
});
