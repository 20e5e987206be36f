/**
 * The value-log part of `shale stats`: the shale.value-log property (segments, live ratios, GC history)
 * printed as a table (docs/vlog.md).
 */

/** ValueLogStats is the shape of the shale.value-log property. */
export interface ValueLogStats {
  segmentCount: number;
  totalBytes: number;
  valueBytes: number;
  garbageBytes: number;
  segments: {
    number: number;
    size: number;
    records: number;
    valueBytes: number;
    garbageRecords: number;
    garbageBytes: number;
    liveRatio: number;
  }[];
  gcHistory: {
    time: string;
    segmentsRewritten: number;
    valuesRelocated: number;
    bytesRelocated: number;
    segmentsDropped: number;
  }[];
}

/** printValueLog prints the value log's size, each segment's live ratio and the GC history. */
export function printValueLog(s: ValueLogStats): void {
  if (s.segmentCount === 0 && s.gcHistory.length === 0) {
    console.log('value log: none');
    return;
  }
  const live = s.valueBytes === 0 ? 0 : 1 - s.garbageBytes / s.valueBytes;
  console.log(
    `value log: ${s.segmentCount} segment(s), ${s.totalBytes} bytes, ${s.valueBytes} value bytes, ` +
      `live ratio ${live.toFixed(3)}`,
  );
  console.log('  segment       bytes   values  garbage  live ratio');
  for (const g of s.segments) {
    console.log(
      `  ${String(g.number).padStart(7)} ${String(g.size).padStart(11)} ${String(g.records).padStart(8)} ` +
        `${String(g.garbageRecords).padStart(8)}  ${g.liveRatio.toFixed(3)}`,
    );
  }
  if (s.gcHistory.length === 0) console.log('garbage collection: never run');
  else {
    console.log('garbage collection (last runs):');
    for (const r of s.gcHistory) {
      console.log(
        `  ${r.time}: ${r.segmentsRewritten} segment(s) rewritten, ${r.valuesRelocated} values ` +
          `(${r.bytesRelocated} bytes) relocated, ${r.segmentsDropped} segment(s) dropped`,
      );
    }
  }
}
