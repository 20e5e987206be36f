/**
 * db.metrics() and its Prometheus text: counters move by exactly what a known workload does, timed
 * samples follow the documented sampling, and the exposition text parses, with names and types as the
 * format asks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, MemFileSystem, WriteBatch, prometheusText, type Metrics } from '../../src/index.js';

const key = (i: number): string => `k${String(i).padStart(5, '0')}`;

test('counters move by the exact amounts of a known workload', async () => {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', { fs, backgroundJobs: 'inline', l0CompactionTrigger: 50 });
  const m0 = db.metrics();
  assert.equal(m0.get.calls, 0);
  assert.equal(m0.write.calls, 0);
  assert.equal(m0.wal.appends, 0);

  for (let i = 0; i < 100; i++) db.put(key(i), `value${i}`);
  for (let i = 0; i < 10; i++) db.delete(key(i));
  db.write(new WriteBatch().put('a', '1').put('b', '2').delete('c'));
  db.write(new WriteBatch()); // empty: nothing written, not counted
  db.put('synced', 'yes', { sync: true });
  await db.putAsync('async', 'yes');
  let m = db.metrics();
  assert.equal(m.write.calls, 112);
  assert.equal(m.write.asyncCalls, 1);
  assert.equal(m.wal.appends, 113);
  assert.equal(m.wal.syncs, 1);
  assert.equal(m.wal.syncLatency.count, 1);
  const logs = fs.list('/db').filter((n) => n.endsWith('.log'));
  assert.equal(logs.length, 1);
  // The log is zero-filled ahead (walPreallocateSize): WAL bytes are its records, not its length.
  const log = fs.readFile(`/db/${logs[0]}`);
  assert.equal(log.length, 1 << 20, 'the log is preallocated');
  assert.ok(
    log[m.wal.bytes - 1] !== 0 && log.subarray(m.wal.bytes).every((b) => b === 0),
    'WAL bytes are logical',
  );
  assert.equal(m.write.latency.count, Math.floor(112 / m.sampling.every), 'one write in `every` is timed');
  assert.equal(m.wal.appendLatency.count, Math.floor(113 / m.sampling.every));

  for (let i = 0; i < 64; i++) db.get(key(i)); // 10 deleted, 54 found
  for (let i = 0; i < 16; i++) db.has(`missing${i}`);
  m = db.metrics();
  assert.equal(m.get.calls, 80);
  assert.equal(m.get.found, 54);
  assert.equal(m.get.latency.count, 5);
  assert.ok(m.get.latency.p50Micros > 0 && m.get.latency.p50Micros <= m.get.latency.maxMicros);

  const it = db.iterator();
  it.seek(key(20));
  for (let i = 0; i < 10; i++) it.next();
  for (let i = 0; i < 3; i++) it.prev();
  it.seekToFirst();
  it.seekToLast();
  it.seekForPrev(key(50));
  it.close();
  for (const _ of db.iterator({ gte: key(90) })) void _;
  m = db.metrics();
  assert.equal(m.iterator.created, 2);
  assert.equal(m.iterator.seeks, 5, 'seek, seekToFirst, seekToLast, seekForPrev, and the for-of start');
  assert.equal(m.iterator.nexts, 10 + 11, '10 steps, then one past each of k00090..k00099 and synced');
  assert.equal(m.iterator.prevs, 3);

  // A flush: one table; reads from it go through the table cache, the bloom filter, the block cache.
  await db.flush();
  m = db.metrics();
  assert.equal(m.flush.count, 1);
  assert.equal(m.flush.duration.count, 1);
  const tables = fs.list('/db').filter((n) => n.endsWith('.ldb'));
  assert.equal(tables.length, 1);
  const tableSize = fs.fileSize(`/db/${tables[0]}`);
  assert.equal(m.flush.bytesWritten, tableSize);
  assert.deepEqual(
    m.levels.filter((l) => l.files > 0),
    [{ level: m.levels.find((l) => l.files > 0)!.level, files: 1, bytes: tableSize }],
  );
  const before = m;
  db.get(key(50)); // in the table: one table lookup, the filter lets it through, one block read
  db.get(key(50)); // again: the table is cached (the block enters the block cache on a second miss)
  for (let i = 0; i < 200; i++) db.get(`k${String(i).padStart(5, '0')}x`); // absent, inside the table's range
  m = db.metrics();
  const lookups = 202;
  assert.equal(
    m.tableCache.hits + m.tableCache.misses - before.tableCache.hits - before.tableCache.misses,
    lookups,
  );
  assert.equal(m.bloom.useful + m.bloom.mayMatch - before.bloom.useful - before.bloom.mayMatch, lookups);
  assert.ok(m.bloom.useful - before.bloom.useful >= 190, 'the filter rules out most absent keys');
  const blockLookups = m.bloom.mayMatch - before.bloom.mayMatch;
  // The second get of k00050 may reuse the block of the first without a cache lookup.
  const blockDelta =
    m.blockCache.hits + m.blockCache.misses - before.blockCache.hits - before.blockCache.misses;
  assert.ok(
    blockDelta === blockLookups || blockDelta === blockLookups - 1,
    `${blockDelta} vs ${blockLookups}`,
  );
  assert.ok(m.blockCache.misses - before.blockCache.misses >= 1);
  assert.ok(m.bytes.read - before.bytes.read > 0);
  // A scan caches the blocks it reads.
  for (const _ of db.iterator()) void _;
  m = db.metrics();
  assert.ok(m.blockCache.usageBytes > 0 && m.blockCache.capacityBytes >= m.blockCache.usageBytes);

  // A compaction of everything: bytes read are the table's, written the output's.
  for (let i = 0; i < 50; i++) db.put(key(i), `again${i}`);
  await db.compactRange();
  m = db.metrics();
  assert.ok(m.compaction.count >= 1);
  const perLevel = m.compaction.levels.reduce(
    (a, l) => ({
      count: a.count + l.count,
      bytesRead: a.bytesRead + l.bytesRead,
      bytesWritten: a.bytesWritten + l.bytesWritten,
    }),
    { count: 0, bytesRead: 0, bytesWritten: 0 },
  );
  assert.deepEqual(perLevel, {
    count: m.compaction.count,
    bytesRead: m.compaction.bytesRead,
    bytesWritten: m.compaction.bytesWritten,
  });
  const live = fs
    .list('/db')
    .filter((n) => n.endsWith('.ldb'))
    .reduce((a, n) => a + fs.fileSize(`/db/${n}`), 0);
  assert.equal(
    m.levels.reduce((a, l) => a + l.bytes, 0),
    live,
  );
  assert.equal(m.bytes.written, m.wal.bytes + m.flush.bytesWritten + m.compaction.bytesWritten);
  await db.close();
  assert.throws(() => db.metrics(), { code: 'SHALE_CLOSED' });
});

test('write stalls are counted and timed', async () => {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', {
    fs,
    writeBufferSize: 1024,
    l0CompactionTrigger: 50,
    l0SlowdownWritesTrigger: 2,
    l0StopWritesTrigger: 60,
  });
  let i = 0;
  while (db.metrics().levels[0]!.files < 2) db.put(key(i++ % 50), 'v'.repeat(100));
  const before = db.metrics().stall;
  for (let j = 0; j < 5; j++) db.put(key(i++), 'v');
  const after = db.metrics().stall;
  assert.equal(after.count - before.count, 5);
  assert.ok(after.micros - before.micros >= 4000, 'about 1 ms each');
  assert.equal(after.duration.count - before.duration.count, 5);
  await db.close();
});

/** Sample: one parsed exposition line. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/**
 * parseExposition is a strict parser of the text format's subset we emit: HELP and TYPE lines before
 * each family's samples, sample names that belong to the family (a summary's `_sum` and `_count`),
 * well-formed labels and float values. Throws on anything else.
 */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  let family: string | null = null;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [name] = line.slice(7).split(' ', 1);
      assert.match(name!, NAME);
      assert.ok(!helps.has(name!), `one HELP for ${name}`);
      helps.add(name!);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type, ...rest] = line.slice(7).split(' ');
      assert.equal(rest.length, 0);
      assert.match(name!, NAME);
      assert.ok(['counter', 'gauge', 'summary', 'histogram', 'untyped'].includes(type!), `type ${type}`);
      assert.ok(!types.has(name!), `one TYPE for ${name}`);
      assert.ok(helps.has(name!), `HELP before TYPE for ${name}`);
      types.set(name!, type!);
      family = name!;
      continue;
    }
    assert.ok(!line.startsWith('#') && line.trim() !== '', `unexpected line ${JSON.stringify(line)}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m !== null, `bad sample line ${JSON.stringify(line)}`);
    const name = m[1]!;
    const labels: Record<string, string> = {};
    if (m[3] !== undefined && m[3] !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/gy;
      let pos = 0;
      for (let lm = re.exec(m[3]); lm !== null; lm = re.exec(m[3])) {
        labels[lm[1]!] = lm[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        pos = re.lastIndex;
      }
      assert.equal(pos, m[3].length, `labels ${m[3]}`);
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    assert.ok(m[4] === 'NaN' || !Number.isNaN(value), `value ${m[4]}`);
    assert.ok(family !== null, 'a sample after a TYPE line');
    const type = types.get(family)!;
    const ok =
      name === family || (type === 'summary' && (name === `${family}_sum` || name === `${family}_count`));
    assert.ok(ok, `sample ${name} inside family ${family} (${type})`);
    if (type === 'summary' && name === family) assert.ok('quantile' in labels, `${name} has a quantile`);
    if (type === 'counter') assert.ok(name.endsWith('_total'), `counter ${name} ends in _total`);
    samples.push({ name, labels, value });
  }
  return { types, samples };
}

test('the Prometheus text parses, every family typed once, counters _total, values as in metrics()', async () => {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', { fs, backgroundJobs: 'inline' });
  for (let i = 0; i < 100; i++) db.put(key(i), 'v');
  for (let i = 0; i < 40; i++) db.get(key(i));
  await db.flush();
  const m: Metrics = db.metrics();
  const { types, samples } = parseExposition(prometheusText(m));
  const one = (name: string, labels: Record<string, string> = {}): number => {
    const found = samples.filter(
      (s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels),
    );
    assert.equal(found.length, 1, `one sample ${name} ${JSON.stringify(labels)}`);
    return found[0]!.value;
  };
  assert.equal(types.get('shale_get_total'), 'counter');
  assert.equal(types.get('shale_get_seconds'), 'summary');
  assert.equal(types.get('shale_level_files'), 'gauge');
  assert.equal(one('shale_get_total'), 40);
  assert.equal(one('shale_write_total'), 100);
  assert.equal(one('shale_get_seconds_count'), m.get.latency.count);
  assert.equal(one('shale_get_seconds', { quantile: '0.99' }), m.get.latency.p99Micros / 1e6);
  assert.equal(one('shale_flush_total'), 1);
  assert.equal(one('shale_wal_written_bytes_total'), m.wal.bytes);
  const l0 = m.levels.findIndex((l) => l.files > 0);
  assert.equal(one('shale_level_files', { level: String(l0) }), 1);
  assert.equal(one('shale_compaction_total', { output_level: '1' }), m.compaction.levels[1]!.count);
  for (const name of [
    'shale_iterator_seek_seconds',
    'shale_iterator_step_seconds',
    'shale_wal_append_seconds',
    'shale_wal_sync_seconds',
    'shale_flush_seconds',
    'shale_compaction_seconds',
    'shale_write_stall_duration_seconds',
  ])
    assert.equal(types.get(name), 'summary', name);
  for (const name of [
    'shale_block_cache_hit_total',
    'shale_block_cache_miss_total',
    'shale_table_cache_hit_total',
    'shale_table_cache_miss_total',
    'shale_bloom_filter_useful_total',
    'shale_bloom_filter_may_match_total',
    'shale_read_bytes_total',
    'shale_written_bytes_total',
    'shale_write_stall_total',
  ])
    assert.equal(types.get(name), 'counter', name);

  // Labels for every sample, escaped; bad label names refused. db.metricsText() is the same text.
  const labelled = parseExposition(db.metricsText({ labels: { db: 'a "b"\\\nc' } }));
  assert.ok(labelled.samples.every((s) => s.labels.db === 'a "b"\\\nc'));
  assert.throws(() => prometheusText(m, { labels: { 'bad-name': 'x' } }), TypeError);
  await db.close();
});
