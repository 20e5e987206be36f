/**
 * The background worker's entry point: runs flush and compaction jobs posted by WorkerJobRunner on the
 * real disk and posts each result (or error) back, then bumps the shared wake-up word so a main thread
 * blocked in waitSync sees it.
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { NodeFileSystem } from '../env/node-fs.js';
import { allocateFileNumber } from '../version/version-set.js';
import { runCompactionJob } from './job.js';
import {
  runFlushJob,
  serializeError,
  type CompactionRequest,
  type FlushJobSpec,
  type WorkerReply,
} from './job-runner.js';
import { WORKER_ICMP, tableBuilderOptions } from './table-settings.js';
import { ensureZstd } from '../sstable/zstd.js';

const { port, signal, fileCounter, niceness } = workerData as {
  port: MessagePort;
  signal: Int32Array;
  fileCounter: BigInt64Array;
  niceness: number;
};
// On Linux a thread has a nice value of its own, and setpriority(0) changes only the calling thread's;
// elsewhere it would lower the whole process, so it is left alone there.
if (niceness > 0 && process.platform === 'linux')
  try {
    setPriority(0, Math.min(19, getPriority(0) + niceness));
  } catch {
    // not permitted: run at the process's priority
  }
const fs = new NodeFileSystem();
await ensureZstd();

type Job = { kind: 'flush'; spec: FlushJobSpec } | { kind: 'compaction'; req: CompactionRequest };

function run(job: Job): unknown {
  if (job.kind === 'flush') {
    const r = runFlushJob(fs, WORKER_ICMP, job.spec, () => allocateFileNumber(fileCounter));
    const f = r.file;
    return {
      micros: r.micros,
      segments: r.segments,
      file:
        f === null
          ? null
          : { number: f.number, fileSize: f.fileSize, smallest: f.smallest, largest: f.largest },
    };
  }
  return runCompactionJob(job.req.spec, {
    fs,
    icmp: WORKER_ICMP,
    table: tableBuilderOptions(job.req.table, WORKER_ICMP),
    newFileNumber: () => allocateFileNumber(fileCounter),
    filter: null,
  });
}

parentPort!.on('message', (job: Job) => {
  let reply: WorkerReply;
  try {
    reply = { result: run(job) };
  } catch (err) {
    reply = { error: serializeError(err) };
  }
  port.postMessage(reply);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
// Jobs are taken from here on (WorkerLane.ready: until then, the main thread flushes by itself).
Atomics.store(signal, 1, 1);
