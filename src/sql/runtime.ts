/**
 * Runtime is what running SQL needs besides its transaction: who the session is, sequences, and the
 * catalog as the session's transaction sees it.
 */
import type { CatalogView } from './catalog/catalog.js';
import type { CursorOptions } from './cursors.js';
import type { Cursor } from './exec/executable.js';
import type { ColumnInfo } from './plan/scope.js';
import type { IoSettings } from './types/io-settings.js';

export interface SessionInfo {
  readonly user: string;
  readonly database: string;
  readonly pid: number;
}

export interface Runtime {
  readonly session: SessionInfo;
  readonly versionString: string;
  readonly catalog: CatalogView;
  /** io: the session's TimeZone and IntervalStyle, as values read and print by them now. */
  readonly io: IoSettings;
  /** nextval, currval: serial sequences by name ("t_id_seq"). */
  nextval(name: string): bigint;
  currval(name: string): bigint;
  setval(name: string, value: bigint, called: boolean): bigint;
  lastval(): bigint;
  /** serialSequence: the sequence name of a serial column (pg_get_serial_sequence), or null. */
  serialSequence(table: string, column: string): string | null;
  /** setting: current_setting(). */
  setting(name: string): string;
  /** setSetting: set_config(name, value, is_local); returns the new value. */
  setSetting(name: string, value: string, local: boolean): string;
  /** nextSequenceValue: by sequence id (serial defaults and hidden row ids). */
  nextSequenceValue(id: number): bigint;
  /** nextSerialValue: the next value of a serial column's sequence (sets currval and lastval). */
  nextSerialValue(table: string, column: string, id: number): bigint;
  /** dropSequence: forget a sequence (its table was dropped or truncated with RESTART IDENTITY). */
  dropSequence(id: number): void;
  /** approximateBytes: about how many bytes of the database's tables hold keys with this prefix. */
  approximateBytes(prefix: Uint8Array): number;
  /** restartSequence: make `next` a sequence's next value (ALTER SEQUENCE ... RESTART). */
  restartSequence(id: number, next: bigint, increment: bigint): void;
  /** notice sends a NoticeResponse to the client (WARNING, NOTICE) after the statement. */
  notice(severity: 'WARNING' | 'NOTICE', code: string, message: string): void;
  /**
   * tick is called once per row read by the plan's row loops; now and then it checks whether the statement
   * was cancelled or ran past its deadline, and throws 57014 when so.
   */
  tick(): void;
  /** declareCursor keeps a started query as the session's cursor `name` (DECLARE ... CURSOR). */
  declareCursor(name: string, columns: readonly ColumnInfo[], source: Cursor, options: CursorOptions): void;
}
