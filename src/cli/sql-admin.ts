/**
 * sqlAdmin runs `COMPACT` or `VACUUM` on named tables of the SQL database a shale database holds (what
 * `shale compact <dir> <table>...` and `shale vacuum <dir> <table>...` do), through a SQL session, so the
 * names are read as SQL reads them: unquoted folded to lower case, "quoted" kept as written.
 */
import type { DB } from '../db/db.js';
import { SqlEngine } from '../sql/engine.js';
import { CATALOG_TABLE_PREFIX } from '../sql/storage/keyspace.js';
import { prefixEnd } from '../sql/storage/key-codec.js';

/** NotSqlError: the database holds no SQL catalog, or the names are not a list of table names. */
export class NotSqlError extends Error {}

/** holdsSqlCatalog returns true iff the database has at least one SQL catalog entry. */
export function holdsSqlCatalog(db: DB): boolean {
  const it = db.iterator({ gte: CATALOG_TABLE_PREFIX, lt: prefixEnd(CATALOG_TABLE_PREFIX)!, limit: 1 });
  try {
    for (const _ of it) return true;
    return false;
  } finally {
    it.close();
  }
}

/**
 * sqlAdmin runs `<command> <tables>` and returns its command tag. Requires: tables is not empty. An
 * unknown table rejects with the SQL error (42P01).
 */
export async function sqlAdmin(
  db: DB,
  command: 'COMPACT' | 'VACUUM',
  tables: readonly string[],
): Promise<string> {
  if (!holdsSqlCatalog(db)) throw new NotSqlError('the database holds no SQL tables');
  const engine = await SqlEngine.open(db);
  const session = engine.session({ user: 'shale', database: 'shale', pid: process.pid });
  try {
    const statements = session.parseSimple(`${command} ${tables.join(', ')}`);
    // One statement naming only tables: a name holding `;` or more SQL is refused, not run.
    const s = statements[0]?.statement;
    if (statements.length !== 1 || s?.kind !== 'admin' || s.tables.length !== tables.length)
      throw new NotSqlError(`not a list of table names: ${tables.join(' ')}`);
    const cursor = await session.execute(session.fromParsed(statements[0]!), []);
    await session.finishImplicit();
    return cursor.tag();
  } finally {
    session.close();
  }
}
