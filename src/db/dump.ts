/**
 * dumpFile: every record of one database file as text lines, as LevelDB's `leveldbutil dump` prints
 * them: a log's batches (offset, sequence, each put and delete), a table's entries (user key, sequence,
 * type, value) or a MANIFEST's version edits. Keys and values are escaped (printable ASCII as is, the
 * rest as \xNN) or, with `hex`, in hex. Damage is reported as the error it is, after the lines before it.
 */
import { basename } from 'node:path';
import type { FileSystem } from '../env/file-system.js';
import { NodeFileSystem } from '../env/node-fs.js';
import {
  InternalKeyComparator,
  TYPE_VALUE_POINTER,
  sequenceOf,
  typeOf,
  userKeyOf,
  ValueType,
} from '../memtable/internal-key.js';
import { decodePointer } from '../vlog/value-pointer.js';
import { scanSegment } from '../vlog/segment-scanner.js';
import { Table } from '../sstable/table.js';
import { readLogRecords } from '../wal/recovery-mode.js';
import { VersionEdit } from '../version/version-edit.js';
import { parseFileName } from '../version/file-names.js';
import { bytewiseComparator, type Comparator } from '../util/comparator.js';
import { escapeBytes, toHex } from '../util/bytes.js';
import { InvalidArgumentError } from '../util/errors.js';
import { batchSequence, iterateBatch } from './write-batch.js';

/** DumpOptions: how to print, which keys, which file system and comparator. */
export interface DumpOptions {
  /** hex: print keys and values in hex (default: escaped text). */
  readonly hex?: boolean;
  /** gte, lt: print only keys in [gte, lt) (tables and logs). */
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  readonly fs?: FileSystem;
  readonly comparator?: Comparator;
  /** onProgress(done, total): bytes of the file read so far (about, for tables), of its size. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** dumpFile calls `out` with each line describing the file at `path`. */
export function dumpFile(path: string, out: (line: string) => void, options: DumpOptions = {}): void {
  const fs = options.fs ?? new NodeFileSystem();
  const ucmp = options.comparator ?? bytewiseComparator;
  const show = (b: Uint8Array): string => (options.hex === true ? toHex(b) : `'${escapeBytes(b)}'`);
  const inRange = (k: Uint8Array): boolean =>
    (options.gte === undefined || ucmp.compare(k, options.gte) >= 0) &&
    (options.lt === undefined || ucmp.compare(k, options.lt) < 0);
  const type = parseFileName(basename(path))?.type;
  const file = fs.openRandomAccess(path);
  try {
    if (type === 'log' || type === 'manifest') {
      const r = readLogRecords(
        file,
        { mode: 'absoluteConsistency', isNewest: true, fileName: path },
        (rec, offset) => {
          options.onProgress?.(offset, file.size);
          if (type === 'manifest') {
            out(`--- offset ${offset}`);
            for (const line of describeEdit(VersionEdit.decode(rec, path), show)) out(`  ${line}`);
            return;
          }
          let seq = batchSequence(rec);
          out(`--- offset ${offset}; sequence ${seq}`);
          iterateBatch(
            rec,
            {
              put: (k, v) => {
                if (inRange(k)) out(`  put ${show(k)} ${show(v)} @ ${seq}`);
                seq++;
              },
              delete: (k) => {
                if (inRange(k)) out(`  del ${show(k)} @ ${seq}`);
                seq++;
              },
              pointer: (k, p) => {
                if (inRange(k)) {
                  const ptr = decodePointer(p, path);
                  out(
                    `  put ${show(k)} ptr => segment #${ptr.segment} offset ${ptr.offset} length ${ptr.length} @ ${seq}`,
                  );
                }
                seq++;
              },
            },
            undefined,
            path,
          );
        },
      );
      options.onProgress?.(file.size, file.size);
      out(`(${r.records} records)`);
    } else if (type === 'table') {
      const table = Table.open(file, file.size, {
        comparator: new InternalKeyComparator(ucmp),
        filterPolicy: null,
        fileName: path,
        verifyChecksums: true,
        paranoidChecks: true,
      });
      const it = table.iterator({ verifyChecksums: true, fillCache: false });
      let n = 0;
      let seen = 0;
      try {
        for (it.seekToFirst(); it.valid(); it.next()) {
          const ik = it.key();
          if ((++seen & 1023) === 0) options.onProgress?.(table.approximateOffsetOf(ik), file.size);
          const uk = userKeyOf(ik);
          if (!inRange(uk)) continue;
          const t = typeOf(ik);
          const what =
            t === ValueType.VALUE
              ? `val => ${show(it.value())}`
              : t === TYPE_VALUE_POINTER
                ? `ptr => ${describePointer(it.value())}`
                : 'del';
          out(`${show(uk)} @ ${sequenceOf(ik)} : ${what}`);
          n++;
        }
      } finally {
        it.close();
        table.close();
      }
      options.onProgress?.(file.size, file.size);
      out(`(${n} entries)`);
    } else if (type === 'segment') {
      let n = 0;
      const sum = scanSegment(fs, path, (r) => {
        if (!inRange(r.key)) return;
        out(
          `offset ${r.offset}: ${show(r.key)} => ${r.value.length} bytes at ${r.valueOffset}: ${show(r.value.subarray(0, 64))}${r.value.length > 64 ? '...' : ''}`,
        );
        n++;
      });
      out(`(${n} records shown of ${sum.records}; ${sum.valueBytes} value bytes; ${sum.size} bytes)`);
    } else {
      throw new InvalidArgumentError(
        `${path}: not a log, table, MANIFEST or value-log segment (by its name)`,
      );
    }
  } finally {
    file.close();
  }
}

function describeEdit(e: VersionEdit, show: (b: Uint8Array) => string): string[] {
  const lines: string[] = [];
  if (e.comparator !== undefined) lines.push(`comparator: ${e.comparator}`);
  if (e.logNumber !== undefined) lines.push(`log number: ${e.logNumber}`);
  if (e.prevLogNumber !== undefined) lines.push(`previous log number: ${e.prevLogNumber}`);
  if (e.nextFileNumber !== undefined) lines.push(`next file number: ${e.nextFileNumber}`);
  if (e.lastSequence !== undefined) lines.push(`last sequence: ${e.lastSequence}`);
  for (const [level, key] of e.compactPointers) lines.push(`compact pointer: level ${level} ${show(key)}`);
  for (const d of e.deletedFiles) {
    const [level, number] = d.split(':');
    lines.push(`delete file: level ${level} #${number}`);
  }
  for (const [level, f] of e.newFiles)
    lines.push(
      `add file: level ${level} #${f.number} ${f.fileSize} bytes [${showKey(f.smallest, show)} .. ${showKey(f.largest, show)}]`,
    );
  for (const n of e.deletedSegments) lines.push(`delete value-log segment: #${n}`);
  for (const sg of e.newSegments)
    lines.push(
      `add value-log segment: #${sg.number} ${sg.size} bytes, ${sg.records} values, ${sg.valueBytes} value bytes`,
    );
  return lines;
}

/** describePointer prints a value-log pointer. */
function describePointer(p: Uint8Array): string {
  try {
    const v = decodePointer(p);
    return `segment #${v.segment} offset ${v.offset} length ${v.length}`;
  } catch {
    return `malformed pointer ${toHex(p)}`;
  }
}

/** showKey prints an internal key as its user key and sequence number. */
function showKey(ikey: Uint8Array, show: (b: Uint8Array) => string): string {
  return `${show(userKeyOf(ikey))} @ ${sequenceOf(ikey)}`;
}
