/**
 * formatMetrics renders db.metrics() as the short table `shale stats` prints: one line per part,
 * counts first, then latency percentiles (microseconds, or milliseconds for slow work).
 */
import type { LatencyMetrics, Metrics } from '../db/metrics.js';

/** formatMetrics returns a multi-line, human-readable summary of `m` (newline-terminated). */
export function formatMetrics(m: Metrics): string {
  const lines: string[] = [];
  const row = (name: string, text: string): void => void lines.push(`  ${name.padEnd(12)} ${text}`);
  const micros = (l: LatencyMetrics): string =>
    l.count === 0
      ? 'not timed yet'
      : `p50 ${fmt(l.p50Micros)} p99 ${fmt(l.p99Micros)} p999 ${fmt(l.p999Micros)} max ${fmt(l.maxMicros)} µs`;
  const millis = (l: LatencyMetrics): string =>
    l.count === 0
      ? 'none'
      : `p50 ${fmt(l.p50Micros / 1000)} p99 ${fmt(l.p99Micros / 1000)} max ${fmt(l.maxMicros / 1000)} ms`;
  const rate = (hits: number, misses: number): string =>
    hits + misses === 0 ? '' : ` (${((100 * hits) / (hits + misses)).toFixed(1)}% hits)`;

  lines.push(`metrics (this process, since the open ${fmt(m.uptimeSeconds)} s ago):`);
  row('get', `${m.get.calls} calls, ${m.get.found} found; ${micros(m.get.latency)}`);
  row('write', `${m.write.calls} calls, ${m.write.asyncCalls} async; ${micros(m.write.latency)}`);
  row(
    'iterator',
    `${m.iterator.created} created, ${m.iterator.seeks} seeks, ${m.iterator.nexts} next, ${m.iterator.prevs} prev; seek ${micros(m.iterator.seekLatency)}`,
  );
  row(
    'wal',
    `${m.wal.appends} appends, ${m.wal.bytes} bytes, ${m.wal.syncs} syncs; sync ${millis(m.wal.syncLatency)}`,
  );
  row('flush', `${m.flush.count}, ${m.flush.bytesWritten} bytes written; ${millis(m.flush.duration)}`);
  row(
    'compaction',
    `${m.compaction.count} (+${m.compaction.trivialMoves} moves), ${m.compaction.bytesRead} bytes read, ${m.compaction.bytesWritten} written; ${millis(m.compaction.duration)}`,
  );
  row('write stall', `${m.stall.count}, ${fmt(m.stall.micros / 1000)} ms in all`);
  row(
    'block cache',
    `${m.blockCache.hits} hits, ${m.blockCache.misses} misses${rate(m.blockCache.hits, m.blockCache.misses)}; ${m.blockCache.usageBytes} of ${m.blockCache.capacityBytes} bytes`,
  );
  const cc = m.compressedBlockCache;
  row(
    'compressed cache',
    `${cc.hits} hits, ${cc.misses} file reads${rate(cc.hits, cc.misses)}; ${cc.usageBytes} of ${cc.capacityBytes} bytes`,
  );
  row(
    'table cache',
    `${m.tableCache.hits} hits, ${m.tableCache.misses} misses${rate(m.tableCache.hits, m.tableCache.misses)}; ${m.tableCache.open} open`,
  );
  row('bloom', `${m.bloom.useful} lookups ruled out, ${m.bloom.mayMatch} let through`);
  row('bytes', `${m.bytes.read} read, ${m.bytes.written} written`);
  return lines.join('\n') + '\n';
}

/** fmt prints a number with up to 3 significant decimals (integers as they are). */
function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3);
}
