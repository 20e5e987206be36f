// Regenerates the expected results of the SQL test corpus from a real PostgreSQL 15 (the oracle):
// every test/sql/slt/*.slt is run in completion mode (simple protocol) in a fresh database and rewritten,
// then checked again through the extended protocol (a file must not depend on the protocol); every
// test/sql/psql/*.sql is run by psql and its output written to the matching .expected file.
// Usage: npm run slt:generate [-- name-filter ...]   (needs `npm run build:test` output in build/)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const slt = await import('../build/test/support/slt.js');
const postgres = await import('../build/test/support/postgres.js');
const psql = await import('../build/test/support/psql.js');

const SLT_DIR = 'test/sql/slt';
const PSQL_DIR = 'test/sql/psql';
const filters = process.argv.slice(2);
const wanted = (name) => filters.length === 0 || filters.some((f) => name.includes(f));

if (!postgres.postgresAvailable()) {
  console.error(postgres.POSTGRES_MISSING);
  process.exit(1);
}
const server = await postgres.startPostgres();
console.log(`PostgreSQL ${server.version} on ${server.host}:${server.port}`);
let problems = 0;
try {
  for (const name of readdirSync(SLT_DIR)
    .filter((n) => n.endsWith('.slt'))
    .sort()) {
    if (!wanted(name)) continue;
    const path = join(SLT_DIR, name);
    const file = slt.parseSlt(name, readFileSync(path, 'utf8'));
    const done = await postgres.withFreshDatabase(server, (params) =>
      slt.runSlt(file, params, { mode: 'simple', complete: true }),
    );
    const text = slt.formatSlt(done.file);
    const changed = text !== readFileSync(path, 'utf8');
    if (changed) writeFileSync(path, text);
    const ext = await postgres.withFreshDatabase(server, (params) =>
      slt.runSlt(slt.parseSlt(name, text), params, { mode: 'extended' }),
    );
    console.log(`${name}: ${done.records} records${changed ? ', rewritten' : ''}`);
    for (const s of done.surprises) console.log(`  note ${s}`);
    for (const f of ext.failures) {
      problems++;
      console.log(`  EXTENDED PROTOCOL DIFFERS ${name}:${f.line}: ${f.message}`);
    }
  }
  const target = (database) => ({ host: server.host, port: server.port, user: 'postgres', database });
  if (psql.psqlPath() === undefined) console.log(`skipping psql scripts: ${psql.PSQL_MISSING}`);
  else
    for (const name of readdirSync(PSQL_DIR)
      .filter((n) => n.endsWith('.sql'))
      .sort()) {
      if (!wanted(name)) continue;
      const out = await postgres.withFreshDatabase(server, async (params) =>
        psql.runPsql(join(PSQL_DIR, name), target(params.database)),
      );
      const expectedPath = join(PSQL_DIR, name.replace(/\.sql$/, '.expected'));
      let old = '';
      try {
        old = readFileSync(expectedPath, 'utf8');
      } catch {
        // new script
      }
      if (out !== old) writeFileSync(expectedPath, out);
      console.log(`${name}: ${out.split('\n').length - 1} lines${out !== old ? ', rewritten' : ''}`);
    }
} finally {
  await server.stop();
}
if (problems > 0) {
  console.error(`${problems} problem(s): see above`);
  process.exit(1);
}
