/**
 * Runtime is what running SQL needs besides its transaction: who the session is, sequences, and the
 * catalog as the session's transaction sees it.
 */
import type { CatalogView } from './catalog/catalog.js';

export interface SessionInfo {
  readonly user: string;
  readonly database: string;
  readonly pid: number;
}

export interface Runtime {
  readonly session: SessionInfo;
  readonly versionString: string;
  readonly catalog: CatalogView;
  /** nextval, currval: serial sequences by name ("t_id_seq"). */
  nextval(name: string): bigint;
  currval(name: string): bigint;
  /** nextSequenceValue: by sequence id (serial defaults and hidden row ids). */
  nextSequenceValue(id: number): bigint;
  /** dropSequence: forget a sequence (its table was dropped or truncated with RESTART IDENTITY). */
  dropSequence(id: number): void;
  /** approximateBytes: about how many bytes of the database's tables hold keys with this prefix. */
  approximateBytes(prefix: Uint8Array): number;
  /** notice sends a NoticeResponse to the client (WARNING, NOTICE) after the statement. */
  notice(severity: 'WARNING' | 'NOTICE', code: string, message: string): void;
}
