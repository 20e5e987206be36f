/**
 * The backend messages shale sends, written into a BackendWriter (PostgreSQL 15 protocol, message formats
 * chapter). Field values follow what PostgreSQL 15 sends.
 */
import type { ColumnInfo } from '../../sql/plan/scope.js';
import { TYPE_INFO, type Value } from '../../sql/types/sql-type.js';
import { formatBinary, formatValue } from '../../sql/types/text-io.js';
import type { BackendWriter } from './backend-writer.js';
import type { IoSettings } from '../../sql/types/io-settings.js';

export function authenticationOk(w: BackendWriter): void {
  w.begin('R').int32(0).end();
}

export function parameterStatus(w: BackendWriter, name: string, value: string): void {
  w.begin('S').cstring(name).cstring(value).end();
}

export function backendKeyData(w: BackendWriter, pid: number, secret: number): void {
  w.begin('K').int32(pid).int32(secret).end();
}

export function readyForQuery(w: BackendWriter, status: 'I' | 'T' | 'E'): void {
  w.begin('Z').int8(status.charCodeAt(0)).end();
}

/** rowDescription describes result columns; formats: one per column, or one for all, or none (text). */
export function rowDescription(
  w: BackendWriter,
  columns: readonly ColumnInfo[],
  formats: readonly number[],
): void {
  w.begin('T').int16(columns.length);
  columns.forEach((c, i) => {
    const info = TYPE_INFO[c.type.id === 'unknown' ? 'text' : c.type.id];
    w.cstring(c.name)
      .int32(c.tableOid)
      .int16(c.attnum)
      .int32(info.oid)
      .int16(info.typlen)
      .int32(c.type.typmod)
      .int16(formatOf(formats, i));
  });
  w.end();
}

export function formatOf(formats: readonly number[], i: number): number {
  return formats.length === 0 ? 0 : formats.length === 1 ? formats[0]! : (formats[i] ?? 0);
}

export function dataRow(
  w: BackendWriter,
  columns: readonly ColumnInfo[],
  row: readonly Value[],
  formats: readonly number[],
  io: IoSettings,
): void {
  w.begin('D').int16(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const v = row[i]!;
    if (v === null) {
      w.int32(-1);
      continue;
    }
    const t = columns[i]!.type;
    if (formatOf(formats, i) === 1) {
      const b = formatBinary(t.id === 'unknown' ? { id: 'text', typmod: -1 } : t, v);
      w.int32(b.length).bytes(b);
    } else if (typeof v === 'string' && t.id !== 'numeric' && t.id !== 'interval') w.lengthPrefixedString(v);
    else w.lengthPrefixedString(formatValue(t, v, io));
  }
  w.end();
}

export function commandComplete(w: BackendWriter, tag: string): void {
  w.begin('C').cstring(tag).end();
}

export function emptyQueryResponse(w: BackendWriter): void {
  w.begin('I').end();
}

export interface ErrorFields {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  readonly detail?: string | undefined;
  readonly hint?: string | undefined;
  readonly position?: number | undefined;
}

/** errorResponse ('E') or noticeResponse ('N'). */
export function errorOrNotice(w: BackendWriter, type: 'E' | 'N', f: ErrorFields): void {
  w.begin(type);
  w.int8(0x53).cstring(f.severity); // S
  w.int8(0x56).cstring(f.severity); // V
  w.int8(0x43).cstring(f.code); // C
  w.int8(0x4d).cstring(f.message); // M
  if (f.detail !== undefined) w.int8(0x44).cstring(f.detail);
  if (f.hint !== undefined) w.int8(0x48).cstring(f.hint);
  if (f.position !== undefined) w.int8(0x50).cstring(String(f.position));
  w.int8(0);
  w.end();
}

export function parseComplete(w: BackendWriter): void {
  w.begin('1').end();
}

export function bindComplete(w: BackendWriter): void {
  w.begin('2').end();
}

export function closeComplete(w: BackendWriter): void {
  w.begin('3').end();
}

export function noData(w: BackendWriter): void {
  w.begin('n').end();
}

export function portalSuspended(w: BackendWriter): void {
  w.begin('s').end();
}

export function parameterDescription(w: BackendWriter, oids: readonly number[]): void {
  w.begin('t').int16(oids.length);
  for (const o of oids) w.int32(o);
  w.end();
}

/** negotiateProtocolVersion: version is the newest supported protocol (major << 16 | minor). */
export function negotiateProtocolVersion(
  w: BackendWriter,
  version: number,
  unrecognized: readonly string[],
): void {
  w.begin('v').int32(version).int32(unrecognized.length);
  for (const u of unrecognized) w.cstring(u);
  w.end();
}

/** copyInResponse / copyOutResponse: text format, one format code per column. */
export function copyResponse(w: BackendWriter, type: 'G' | 'H', columns: number): void {
  w.begin(type).int8(0).int16(columns);
  for (let i = 0; i < columns; i++) w.int16(0);
  w.end();
}

export function copyData(w: BackendWriter, data: string): void {
  w.begin('d');
  const b = Buffer.from(data, 'utf8');
  w.bytes(b).end();
}

export function copyDone(w: BackendWriter): void {
  w.begin('c').end();
}

export function authenticationSasl(w: BackendWriter, mechanisms: readonly string[]): void {
  w.begin('R').int32(10);
  for (const m of mechanisms) w.cstring(m);
  w.int8(0).end();
}

export function authenticationSaslContinue(w: BackendWriter, code: 11 | 12, data: string): void {
  w.begin('R').int32(code).bytes(Buffer.from(data, 'utf8')).end();
}
