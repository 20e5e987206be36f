/**
 * wal-bench: throughput of LogWriter.addRecord (one write(2) per record) into a real file in os.tmpdir(),
 * and of LogReader over the same file.
 *
 *   npm run build:test && node build/bench/wal-bench.js [recordSize=100] [records=1000000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WritableFile } from '../src/env/file-system.js';
import { LogWriter } from '../src/wal/log-writer.js';
import { LogReader } from '../src/wal/log-reader.js';
import { Random } from '../src/util/random.js';
import { openNodeRandomAccess, openNodeWritable } from '../test/support/node-file.js';

const recordSize = Number(process.argv[2] ?? 100);
const count = Number(process.argv[3] ?? 1_000_000);

function nullFile(): WritableFile {
  let size = 0;
  return {
    path: '/dev/null',
    get size() {
      return size;
    },
    append(data: Uint8Array) {
      size += data.length;
    },
    sync() {},
    syncAsync: () => Promise.resolve(),
    close() {},
  };
}

function report(label: string, ns: bigint, n: number, payloadBytes: number): void {
  const s = Number(ns) / 1e9;
  console.log(
    `${label.padEnd(34)} ${(n / s / 1e3).toFixed(0).padStart(7)} K records/s ` +
      `${(payloadBytes / s / 1e6).toFixed(1).padStart(7)} MB/s payload  (${s.toFixed(2)} s)`,
  );
}

function writeRecords(file: WritableFile, records: Uint8Array[]): bigint {
  const w = new LogWriter(file);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) w.addRecord(records[i & 1023]!);
  const t = process.hrtime.bigint() - t0;
  w.close();
  return t;
}

const rnd = new Random(1);
const records = Array.from({ length: 1024 }, () => rnd.bytes(recordSize));
const dir = mkdtempSync(join(tmpdir(), 'shale-wal-bench-'));
try {
  console.log(`LogWriter.addRecord, ${count} records of ${recordSize} bytes, node ${process.version}`);
  writeRecords(nullFile(), records); // warm-up
  report('framing only (no I/O)', writeRecords(nullFile(), records), count, count * recordSize);
  const path = join(dir, '000001.log');
  report(
    'addRecord -> file (writeSync)',
    writeRecords(openNodeWritable(path), records),
    count,
    count * recordSize,
  );

  const t0 = process.hrtime.bigint();
  const ra = openNodeRandomAccess(path);
  const reader = new LogReader(ra);
  let n = 0;
  while (reader.next()) n++;
  const t = process.hrtime.bigint() - t0;
  ra.close();
  if (n !== count || reader.problems.length > 0) throw new Error(`read back ${n} records`);
  report('LogReader.next (32 KiB reads)', t, n, n * recordSize);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
