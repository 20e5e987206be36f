/**
 * LiveLog's group fsyncs: one runs at a time; commits made while it runs are covered by the next, which
 * starts as soon as the running one ends (before that one's commits are acknowledged), and no commit is
 * acknowledged before an fsync that started after its record was written has ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveLog } from '../../src/db/live-log.js';
import { MemFileSystem } from '../../src/env/mem-fs.js';
import type { WritableFile } from '../../src/env/file-system.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A log file whose background fsyncs end when the test says so; `events` records what happened when. */
function controlledLog(): {
  log: LiveLog;
  events: string[];
  endSync: () => void;
  running: () => number;
} {
  const fs = new MemFileSystem();
  fs.mkdir('/wal');
  const events: string[] = [];
  const pending: (() => void)[] = [];
  let syncs = 0;
  const inner = fs.createWritable('/wal/000001.log');
  const file: WritableFile = {
    path: inner.path,
    get size() {
      return inner.size;
    },
    append: (d) => {
      events.push(`write ${d.length}`);
      inner.append(d);
    },
    sync: () => inner.sync(),
    syncAsync: () => {
      const n = ++syncs;
      events.push(`sync${n} start`);
      return new Promise<void>((resolve) =>
        pending.push(() => {
          inner.sync();
          events.push(`sync${n} end`);
          resolve();
        }),
      );
    },
    close: () => inner.close(),
  };
  const log = new LiveLog(fs, '/wal', () => undefined, false, 0);
  log.attach(file, 1);
  return {
    log,
    events,
    endSync: () => pending.shift()!(),
    running: () => pending.length,
  };
}

test('commits made during a group fsync get the next fsync at once, before the first group is acknowledged', async () => {
  const { log, events, endSync, running } = controlledLog();
  const record = (n: number): Uint8Array => new Uint8Array(n);
  void log.buffer(record(10));
  const first = log.durable(log.appendedCount).then(() => events.push('ack first'));
  await nextTurn();
  await nextTurn();
  assert.equal(running(), 1, 'the first group fsync runs');
  // Two commits of other clients arrive while it runs.
  void log.buffer(record(20));
  const second = log.durable(log.appendedCount).then(() => events.push('ack second'));
  void log.buffer(record(30));
  const third = log.durable(log.appendedCount).then(() => events.push('ack third'));
  await nextTurn();
  assert.equal(running(), 1, 'one fsync at a time');
  endSync();
  await first;
  assert.equal(running(), 1, 'the next fsync started');
  const ackFirst = events.indexOf('ack first');
  const sync2 = events.indexOf('sync2 start');
  assert.ok(
    sync2 >= 0 && sync2 < ackFirst,
    `the next fsync starts before the first ack: ${events.join(', ')}`,
  );
  // The records it covers were written before it started; neither waiter is acknowledged before it ends.
  assert.equal(events.slice(0, sync2).filter((e) => e.startsWith('write')).length, 2, events.join(', '));
  await nextTurn();
  assert.ok(!events.includes('ack second') && !events.includes('ack third'));
  endSync();
  await Promise.all([second, third]);
  const end2 = events.indexOf('sync2 end');
  assert.ok(end2 < events.indexOf('ack second') && end2 < events.indexOf('ack third'));
  assert.equal(running(), 0, 'nothing more to sync: no third fsync');
  await log.settled();
  log.close();
});

test('without commits waiting, no fsync is chained after a group fsync', async () => {
  const { log, events, endSync, running } = controlledLog();
  void log.buffer(new Uint8Array(8));
  const p = log.durable(log.appendedCount);
  await nextTurn();
  await nextTurn();
  endSync();
  await p;
  await nextTurn();
  assert.equal(running(), 0);
  assert.deepEqual(
    events.filter((e) => e.startsWith('sync')),
    ['sync1 start', 'sync1 end'],
  );
  log.close();
});
