/**
 * SqlEngine is one SQL database on one shale database: the catalog, sequences and system relations shared by
 * its sessions. Open it with SqlEngine.open(db); each client gets a Session.
 */
import type { DB } from '../db/db.js';
import { Catalog } from './catalog/catalog.js';
import { Sequences } from './catalog/sequences.js';
import { loadParser } from './parse/parse.js';
import { Session } from './session.js';
import type { SessionInfo } from './runtime.js';
import { rowPrefix } from './storage/keyspace.js';
import { prefixEnd } from './storage/key-codec.js';
import { decodeTableRow, tableTypes } from './plan/table-scan.js';
import { CatalogRelations } from './catalog/system-tables.js';
import type { SystemRelations } from './plan/system-relations.js';

/** DEFAULT_MAX_TRANSACTION_BYTES: SqlEngine.maxTransactionBytes unless the server is told otherwise. */
export const DEFAULT_MAX_TRANSACTION_BYTES = 1 << 30;

/** SHALE_VERSION: the version reported in server_version and version(). */
export const SHALE_VERSION = '0.1.0';

export class SqlEngine {
  readonly serverVersion = `15.0 (shale ${SHALE_VERSION})`;
  readonly system: SystemRelations = new CatalogRelations();
  /**
   * maxTransactionBytes: the most one transaction's writes may take (they are held in memory until it
   * commits): 1 GiB by default, room for `pgbench -i -s 100`'s one COPY of 10 million rows.
   */
  maxTransactionBytes = DEFAULT_MAX_TRANSACTION_BYTES;

  private constructor(
    readonly db: DB,
    readonly catalog: Catalog,
    readonly sequences: Sequences,
  ) {}

  static async open(db: DB): Promise<SqlEngine> {
    await loadParser();
    const catalog = Catalog.load(db);
    const sequences = new Sequences(db);
    const engine = new SqlEngine(db, catalog, sequences);
    engine.resumeSequences();
    return engine;
  }

  /**
   * resumeSequences makes sure sequences continue above the values tables already hold (a belt to the
   * high-water mark's braces: a hidden row id handed out twice would overwrite a row).
   */
  private resumeSequences(): void {
    for (const t of this.catalog.all()) {
      const serialPk = t.primaryKey.length === 1 ? t.columns[t.primaryKey[0]!] : undefined;
      if (t.rowIdSequence === undefined && serialPk?.sequence === undefined) continue;
      const prefix = rowPrefix(t.id);
      const it = this.db.iterator({ gte: prefix, lt: prefixEnd(prefix)!, reverse: true, limit: 1 });
      try {
        for (const [k, v] of it) {
          if (t.rowIdSequence !== undefined) {
            const id =
              new DataView(k.buffer, k.byteOffset + prefix.length + 1, 8).getBigUint64(0) ^ (1n << 63n);
            this.sequences.atLeast(t.rowIdSequence, BigInt.asIntN(64, id));
          } else {
            const row = decodeTableRow(tableTypes(t), v);
            const max = row[t.primaryKey[0]!];
            if (max !== null && max !== undefined)
              this.sequences.atLeast(serialPk!.sequence!, BigInt(max as number | bigint));
          }
        }
      } finally {
        it.close();
      }
    }
  }

  /** session starts a client session. */
  session(info: SessionInfo): Session {
    return new Session(this, info);
  }
}
