/**
 * prometheusText renders a Metrics snapshot (metrics.ts) in the Prometheus text exposition format
 * (version 0.0.4: `# HELP`, `# TYPE`, then `name{labels} value` lines). Any front end serves it as is:
 * the SQL server's /metrics, or an application's own HTTP handler, with the content type
 * PROMETHEUS_CONTENT_TYPE.
 *
 * Names follow Prometheus' conventions: a `shale_` prefix, base units (seconds, bytes), `_total` on
 * counters. Latencies are summaries (quantiles 0.5, 0.99, 0.999 over the timed calls since open, with
 * `_sum` and `_count` of the timed calls only: fast calls are sampled, so the `_total` counters hold the
 * call counts) plus a `_max` gauge. The format is small and fixed, and the values are already counted by
 * the engine, so it is written here rather than through a metrics library (docs/operations.md).
 */
import type { LatencyMetrics, Metrics } from './metrics.js';

/** PROMETHEUS_CONTENT_TYPE is the Content-Type of prometheusText's output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** PrometheusTextOptions tune prometheusText. */
export interface PrometheusTextOptions {
  /** labels are added to every sample (e.g. `{ db: 'orders' }` when one process serves several). */
  readonly labels?: Readonly<Record<string, string>>;
}

type Labels = Readonly<Record<string, string>>;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** prometheusText renders `m` as Prometheus exposition text (one family per metric, newline-ended). */
export function prometheusText(m: Metrics, options: PrometheusTextOptions = {}): string {
  const base = options.labels ?? {};
  for (const name of Object.keys(base)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new TypeError(`bad label name ${name}`);
  }
  const out: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge' | 'summary', help: string): void => {
    out.push(`# HELP shale_${name} ${help}`, `# TYPE shale_${name} ${type}`);
  };
  const sample = (name: string, value: number, labels: Labels = {}): void => {
    out.push(`shale_${name}${labelText({ ...base, ...labels })} ${num(value)}`);
  };
  const counter = (name: string, help: string, value: number): void => {
    family(name, 'counter', help);
    sample(name, value);
  };
  const gauge = (name: string, help: string, value: number): void => {
    family(name, 'gauge', help);
    sample(name, value);
  };
  const summary = (name: string, help: string, l: LatencyMetrics): void => {
    family(name, 'summary', `${help} (timed calls since open)`);
    sample(name, l.p50Micros / 1e6, { quantile: '0.5' });
    sample(name, l.p99Micros / 1e6, { quantile: '0.99' });
    sample(name, l.p999Micros / 1e6, { quantile: '0.999' });
    sample(`${name}_sum`, l.sumMicros / 1e6);
    sample(`${name}_count`, l.count);
    gauge(`${name}_max`, `Largest ${help[0]!.toLowerCase()}${help.slice(1)}`, l.maxMicros / 1e6);
  };
  /** perLevel: one family with a sample per level, labelled `label`. */
  const perLevel = (
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    label: string,
    values: readonly number[],
  ): void => {
    family(name, type, help);
    values.forEach((v, level) => sample(name, v, { [label]: String(level) }));
  };

  gauge('uptime_seconds', 'Seconds since the database was opened', m.uptimeSeconds);

  counter('get_total', 'get() calls', m.get.calls);
  counter('get_found_total', 'get() calls that found the key', m.get.found);
  summary('get_seconds', 'Latency of get() in seconds', m.get.latency);

  counter('write_total', 'put(), delete() and write() calls', m.write.calls);
  counter('write_async_total', 'writeAsync(), putAsync() and deleteAsync() calls', m.write.asyncCalls);
  summary('write_seconds', 'Latency of put(), delete() and write() in seconds', m.write.latency);

  counter('iterator_created_total', 'Iterators created', m.iterator.created);
  counter('iterator_seek_total', 'Iterator seeks of every kind', m.iterator.seeks);
  counter('iterator_next_total', 'Iterator next() steps', m.iterator.nexts);
  counter('iterator_prev_total', 'Iterator prev() steps', m.iterator.prevs);
  summary('iterator_seek_seconds', 'Latency of iterator seeks in seconds', m.iterator.seekLatency);
  summary(
    'iterator_step_seconds',
    'Latency of iterator next() and prev() in seconds',
    m.iterator.stepLatency,
  );

  counter('wal_append_total', 'WAL records appended', m.wal.appends);
  counter('wal_written_bytes_total', 'Bytes appended to the WAL', m.wal.bytes);
  counter('wal_sync_total', 'WAL fsyncs', m.wal.syncs);
  summary('wal_append_seconds', 'Latency of a WAL append in seconds', m.wal.appendLatency);
  summary('wal_sync_seconds', 'Latency of a WAL fsync in seconds', m.wal.syncLatency);

  counter('flush_total', 'Memtable flushes', m.flush.count);
  counter('flush_written_bytes_total', 'Table bytes written by flushes', m.flush.bytesWritten);
  summary('flush_seconds', 'Duration of a flush in seconds', m.flush.duration);

  counter(
    'compaction_trivial_move_total',
    'Compactions that only moved a table down a level',
    m.compaction.trivialMoves,
  );
  summary('compaction_seconds', 'Duration of a compaction in seconds', m.compaction.duration);
  const levels = m.compaction.levels;
  const outputLevel = 'output_level';
  perLevel(
    'compaction_total',
    'counter',
    'Compactions by output level',
    outputLevel,
    levels.map((l) => l.count),
  );
  perLevel(
    'compaction_read_bytes_total',
    'counter',
    'Table bytes read by compactions, by output level',
    outputLevel,
    levels.map((l) => l.bytesRead),
  );
  perLevel(
    'compaction_written_bytes_total',
    'counter',
    'Table bytes written by compactions, by output level',
    outputLevel,
    levels.map((l) => l.bytesWritten),
  );
  perLevel(
    'compaction_duration_seconds_total',
    'counter',
    'Seconds spent in compactions, by output level',
    outputLevel,
    levels.map((l) => l.micros / 1e6),
  );

  counter('write_stall_total', 'Writes delayed or made to wait for a flush or compaction', m.stall.count);
  counter('write_stall_seconds_total', 'Seconds writes spent stalled', m.stall.micros / 1e6);
  summary('write_stall_duration_seconds', 'Duration of a write stall in seconds', m.stall.duration);

  counter('block_cache_hit_total', 'Data block lookups found in the block cache', m.blockCache.hits);
  counter('block_cache_miss_total', 'Data block lookups read from a file', m.blockCache.misses);
  gauge('block_cache_usage_bytes', 'Bytes charged to the block cache', m.blockCache.usageBytes);
  gauge('block_cache_capacity_bytes', 'Capacity of the block cache in bytes', m.blockCache.capacityBytes);
  const cc = m.compressedBlockCache;
  counter(
    'compressed_block_cache_hit_total',
    'Block cache misses served from verified file bytes in memory',
    cc.hits,
  );
  counter('compressed_block_cache_miss_total', 'Data blocks read from a file', cc.misses);
  gauge('compressed_block_cache_usage_bytes', 'Bytes held by the compressed block cache', cc.usageBytes);
  gauge(
    'compressed_block_cache_capacity_bytes',
    'Capacity of the compressed block cache in bytes',
    cc.capacityBytes,
  );
  counter('table_cache_hit_total', 'Table lookups that found the table open', m.tableCache.hits);
  counter('table_cache_miss_total', 'Table lookups that opened the table file', m.tableCache.misses);
  gauge('table_cache_open_tables', 'Tables open in the table cache', m.tableCache.open);
  counter('bloom_filter_useful_total', 'Point lookups a bloom filter ruled out', m.bloom.useful);
  counter('bloom_filter_may_match_total', 'Point lookups a bloom filter let through', m.bloom.mayMatch);

  counter('read_bytes_total', 'Table bytes read (lookups, iterators, compactions)', m.bytes.read);
  counter('written_bytes_total', 'Bytes written (WAL, flushes, compactions)', m.bytes.written);

  perLevel(
    'level_files',
    'gauge',
    'Live tables per level',
    'level',
    m.levels.map((l) => l.files),
  );
  perLevel(
    'level_bytes',
    'gauge',
    'Bytes of live tables per level',
    'level',
    m.levels.map((l) => l.bytes),
  );

  return out.join('\n') + '\n';
}

/** labelText renders `{a="x",b="y"}` (empty string for no labels), escaping values as the format asks. */
function labelText(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  return `{${names.map((n) => `${n}="${escapeLabel(labels[n]!)}"`).join(',')}}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** num renders a sample value: integers plainly, others in JavaScript's shortest round-trip form. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
