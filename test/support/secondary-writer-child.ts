/**
 * Child process for the secondary-instance test: a primary writing batches as fast as it can, with
 * small memtables and tables so it flushes, compacts and deletes tables all the time. Batch i sets
 * `n` to i and writes `k<i>` = i, plus a pair `a`/`b` that must always be equal. Every 50 batches it
 * appends `A <i>` (batch i acknowledged: write() returned) to the acknowledgement file.
 * Usage: node secondary-writer-child.js <dir> <ack-file> <batches>
 */
import { openSync, writeSync } from 'node:fs';
import { DB, WriteBatch } from '../../src/index.js';

const [dir, ackFile, batchesText] = process.argv.slice(2) as [string, string, string];
const db = await DB.open(dir, {
  writeBufferSize: 32 * 1024,
  maxFileSize: 32 * 1024,
  level1MaxBytes: 128 * 1024,
});
const ack = openSync(ackFile, 'a');
const pad = 'x'.repeat(200);
const batches = Number(batchesText);
for (let i = 1; i <= batches; i++) {
  const b = new WriteBatch()
    .put('n', String(i))
    .put(`k${String(i).padStart(8, '0')}`, `${i}${pad}`)
    .put('a', String(i))
    .put('b', String(i));
  db.write(b);
  if (i % 50 === 0) {
    writeSync(ack, `A ${i}\n`);
    // Let finished background work be applied (a tight synchronous loop would only poll for it).
    await new Promise((r) => setImmediate(r));
  }
}
await db.close();
writeSync(ack, 'done\n');
