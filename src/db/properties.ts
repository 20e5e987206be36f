/**
 * getProperty: LevelDB's named statistics (`leveldb.*`) and shale's own (`shale.*`).
 * See docs/properties.md for the list.
 */
import type { DB } from './db.js';
import { NUM_LEVELS } from '../version/version-edit.js';
import { escapeBytes } from '../util/bytes.js';
import { sequenceOf, typeOf, userKeyOf } from '../memtable/internal-key.js';
import { liveRatio } from './value-log-gc.js';

const MB = 1048576;

/** getProperty returns the value of property `name` for `db`, or undefined if it is unknown. */
export function getProperty(db: DB, name: string): string | undefined {
  const version = db.versions.current;
  const m = /^leveldb\.num-files-at-level(\d+)$/.exec(name);
  if (m) {
    const level = Number(m[1]);
    return level < NUM_LEVELS ? String(version.numFiles(level)) : undefined;
  }
  const b = /^shale\.bytes-at-level(\d+)$/.exec(name);
  if (b) {
    const level = Number(b[1]);
    return level < NUM_LEVELS ? String(version.levelBytes(level)) : undefined;
  }
  switch (name) {
    case 'leveldb.stats': {
      const lines = [
        '                               Compactions',
        'Level  Files Size(MB) Time(sec) Read(MB) Write(MB)',
        '--------------------------------------------------',
      ];
      for (let level = 0; level < NUM_LEVELS; level++) {
        const files = version.numFiles(level);
        const s = db.stats.levels[level]!;
        if (files === 0 && s.micros === 0 && s.count === 0) continue;
        lines.push(
          `${String(level).padStart(3)} ${String(files).padStart(8)} ${fixed(version.levelBytes(level) / MB, 8)} ` +
            `${fixed(s.micros / 1e6, 9)} ${fixed(s.bytesRead / MB, 8)} ${fixed(s.bytesWritten / MB, 9)}`,
        );
      }
      return lines.join('\n') + '\n';
    }
    case 'leveldb.sstables': {
      let out = '';
      for (let level = 0; level < NUM_LEVELS; level++) {
        out += `--- level ${level} ---\n`;
        for (const f of version.files[level]!) {
          out += ` ${f.number}:${f.fileSize}[${describeKey(f.smallest)} .. ${describeKey(f.largest)}]\n`;
        }
      }
      return out;
    }
    case 'leveldb.approximate-memory-usage': {
      let total = db.mem.approximateMemoryUsage();
      for (const m of db.imms) total += m.approximateMemoryUsage();
      if (db.blockCache !== null) total += db.blockCache.usage;
      return String(total);
    }
    case 'shale.write-amplification': {
      const user = db.stats.userBytesWritten;
      return user === 0 ? '0' : (db.stats.totalBytesWritten() / user).toFixed(3);
    }
    case 'shale.total-write-amplification': {
      // Every byte written for the user's bytes: WAL, segments written by writes, flushes, compactions.
      const user = db.stats.userBytesWritten;
      const all = db.meter.walBytes + db.stats.writeTimeSegmentBytes + db.stats.totalBytesWritten();
      return user === 0 ? '0' : (all / user).toFixed(3);
    }
    case 'shale.last-sequence':
      return String(db.versions.lastSequence);
    case 'shale.value-log': {
      // JSON: the value log's segments with their live ratios, and the last garbage collections.
      let totalBytes = 0;
      let valueBytes = 0;
      let garbageBytes = 0;
      const segments = [...version.segments.values()]
        .sort((a, b) => a.number - b.number)
        .map((s) => {
          totalBytes += s.size;
          valueBytes += s.valueBytes;
          garbageBytes += s.garbageBytes;
          return { ...s, liveRatio: Number(liveRatio(s).toFixed(4)) };
        });
      return JSON.stringify({
        enabled: db.opts.valueLog !== null,
        segmentCount: segments.length,
        totalBytes,
        valueBytes,
        garbageBytes,
        segments,
        gcHistory: db.versions.gcHistory.map((r) => ({ ...r, time: new Date(r.time).toISOString() })),
      });
    }
    default:
      return undefined;
  }
}

function fixed(n: number, width: number): string {
  return n.toFixed(0).padStart(width);
}

function describeKey(ikey: Uint8Array): string {
  return `'${escapeBytes(userKeyOf(ikey))}' @ ${sequenceOf(ikey)} : ${typeOf(ikey)}`;
}
