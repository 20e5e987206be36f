/**
 * WorkerJobRunner: while its flush worker boots, a flush runs on the calling thread (answered before
 * flush() returns); once the worker is up, flushes go to it and are answered later. Either way the
 * table is whole on disk when the answer comes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { WorkerJobRunner, type FlushJobResult, type FlushJobSpec } from '../../src/compaction/job-runner.js';
import { NodeFileSystem } from '../../src/env/node-fs.js';
import { MemTable } from '../../src/memtable/memtable.js';
import { InternalKeyComparator, ValueType } from '../../src/memtable/internal-key.js';
import { CompressionType } from '../../src/sstable/compression.js';
import { bytewiseComparator } from '../../src/util/comparator.js';
import { utf8 } from '../../src/util/bytes.js';
import { tableFileName } from '../../src/version/file-names.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

const icmp = new InternalKeyComparator(bytewiseComparator);

function flushSpec(dir: string, number: number): FlushJobSpec {
  const mem = new MemTable(icmp);
  for (let i = 0; i < 200; i++)
    mem.add(i + 1, ValueType.VALUE, utf8(`key${String(i).padStart(6, '0')}`), utf8(`v${i}`));
  return {
    dir,
    number,
    memtable: mem.share(),
    table: {
      blockSize: 4096,
      blockRestartInterval: 16,
      compression: CompressionType.SNAPPY,
      bloomBitsPerKey: 10,
    },
    vlog: null,
  };
}

function assertWritten(dir: string, number: number, r: FlushJobResult | undefined): void {
  assert.equal(r?.file?.number, number);
  assert.equal(statSync(tableFileName(dir, number)).size, r.file.fileSize);
}

test('a flush runs on the calling thread while the flush worker boots, then on the worker', async () => {
  const dir = makeTmpDir();
  const runner = new WorkerJobRunner(new NodeFileSystem(), icmp, new BigInt64Array(new SharedArrayBuffer(8)));
  try {
    let first: FlushJobResult | undefined;
    runner.flush(flushSpec(dir, 1), (err, r) => {
      assert.equal(err, null);
      first = r;
    });
    assert.equal(runner.busy('flush'), false);
    assertWritten(dir, 1, first);

    // The first flush started the worker: keep flushing until one is answered after flush() returned.
    let number = 2;
    for (const deadline = Date.now() + 30_000; ; number++) {
      assert.ok(Date.now() < deadline, 'the flush worker never took a job');
      let returned = false;
      let answeredBeforeReturn = false;
      const answer = new Promise<FlushJobResult | undefined>((resolve, reject) =>
        runner.flush(flushSpec(dir, number), (err, r) => {
          answeredBeforeReturn = !returned;
          if (err !== null) reject(err);
          else resolve(r);
        }),
      );
      returned = true;
      const r = await answer;
      assertWritten(dir, number, r);
      if (!answeredBeforeReturn) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(number > 1);
  } finally {
    await runner.close();
    removeTmpDir(dir);
  }
});
