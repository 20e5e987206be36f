/**
 * One adapter per engine, each used the way its documentation recommends: shale's synchronous API,
 * ShaleLevel and the abstract-level peers through await (getSync where offered, nextv for scans),
 * lmdb's synchronous reads and awaited puts, better-sqlite3's prepared statements in WAL mode.
 * Every adapter: open(dir), put(k, v), putSync(k, v) (fsynced), putConcurrent(k, v, sync) (a
 * promise: for many writers in flight), batch(pairs), get(k), del(k), scan(reverse, fn),
 * seek(k, n), close(). Methods may return promises; the driver awaits them.
 */
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);

export async function openEngine(name, dir) {
  switch (name) {
    case 'shale':
    case 'shale-vlog':
    case 'shale-vlog-flush':
    case 'shale-vlog-raw': {
      const { DB, WriteBatch } = await import('../dist/index.js');
      // shale-vlog: values of 1 KiB and more live in the value log (docs/vlog.md), separated at write
      // time and Snappy-compressed; -flush separates them at flush instead, -raw stores them uncompressed.
      const valueLog = {
        shale: undefined,
        'shale-vlog': { minValueSize: 1024 },
        'shale-vlog-flush': { minValueSize: 1024, separateAt: 'flush' },
        'shale-vlog-raw': { minValueSize: 1024, compression: 'none' },
      }[name];
      // SHALE_BENCH_OPTIONS: JSON of more DB options, to measure a setting (e.g. a cache size) in the same runs.
      const more = JSON.parse(process.env.SHALE_BENCH_OPTIONS ?? '{}');
      const db = await DB.open(dir, valueLog === undefined ? more : { valueLog, ...more });
      return {
        put: (k, v) => db.put(k, v),
        putSync: (k, v) => db.put(k, v, { sync: true }),
        putConcurrent: (k, v, sync) => db.putAsync(k, v, { sync }),
        batch: (pairs) => {
          const b = new WriteBatch();
          for (const [k, v] of pairs) b.put(k, v);
          db.write(b);
        },
        get: (k) => db.get(k),
        del: (k) => db.delete(k),
        scan: (reverse, fn) => {
          for (const [k, v] of db.iterator({ reverse })) fn(k, v);
        },
        seek: (k, n) => {
          const it = db.iterator();
          it.seek(k);
          for (let i = 0; i < n && it.valid(); i++) {
            it.key();
            it.value();
            it.next();
          }
          it.close();
        },
        property: (p) => db.getProperty(p),
        close: () => db.close(),
      };
    }
    case 'shale-level':
    case 'classic-level':
    case 'rocksdb': {
      let db;
      if (name === 'shale-level') db = new (await import('../dist/level/index.js')).ShaleLevel(dir);
      else if (name === 'classic-level') db = new (require('classic-level').ClassicLevel)(dir);
      else db = new (require('@nxtedition/rocksdb').RocksLevel)(dir);
      const enc = { keyEncoding: 'buffer', valueEncoding: 'buffer' };
      await db.open();
      const hasGetSync = typeof db.getSync === 'function' && db.supports.getSync;
      return {
        put: (k, v) => db.put(k, v, enc),
        // @nxtedition/rocksdb's put() drops the sync option (it writes a one-entry batch without
        // passing options on); its batch() honours it, so fsynced writes go through batch().
        putSync: (k, v) =>
          name === 'rocksdb'
            ? db.batch([{ type: 'put', key: k, value: v }], { ...enc, sync: true })
            : db.put(k, v, { ...enc, sync: true }),
        putConcurrent: (k, v, sync) =>
          name === 'rocksdb'
            ? db.batch([{ type: 'put', key: k, value: v }], { ...enc, sync })
            : db.put(k, v, { ...enc, sync }),
        batch: (pairs) =>
          db.batch(
            pairs.map(([k, v]) => ({ type: 'put', key: k, value: v })),
            enc,
          ),
        get: hasGetSync
          ? (k) => db.getSync(k, enc)
          : (k) =>
              db.get(k, enc).catch((err) => {
                // Older abstract-level releases (rocksdb's) reject a missing key instead of yielding undefined.
                if (err.code === 'LEVEL_NOT_FOUND') return undefined;
                throw err;
              }),
        del: (k) => db.del(k, enc),
        scan: async (reverse, fn) => {
          const it = db.iterator({ ...enc, reverse });
          for (;;) {
            const entries = await it.nextv(1000);
            if (entries.length === 0) break;
            for (const [k, v] of entries) fn(k, v);
          }
          await it.close();
        },
        seek: async (k, n) => {
          const it = db.iterator(enc);
          it.seek(k);
          await it.nextv(n);
          await it.close();
        },
        property: (p) => (name === 'shale-level' ? db.getProperty(p) : undefined),
        close: () => db.close(),
      };
    }
    case 'lmdb': {
      const { open } = require('lmdb');
      // Unsynced writes, as the other engines' defaults: commits reach the OS (the map) without an
      // fsync each; fillsync reopens with synced commits.
      const openDb = (sync) => open({ path: dir, keyEncoding: 'binary', encoding: 'binary', noSync: !sync });
      let db = openDb(false);
      return {
        // One put per op is awaited, as with every engine: the next op starts once this write is
        // acknowledged (committed). Puts issued together without awaiting share one transaction in
        // lmdb-js, which is what the 100-writers workloads measure.
        put: (k, v) => db.put(k, v),
        putSync: (k, v) => db.put(k, v),
        setSync: async (on) => {
          await db.close();
          db = openDb(on);
        },
        putConcurrent: (k, v) => db.put(k, v),
        settle: () => db.committed,
        batch: (pairs) =>
          db.transaction(() => {
            for (const [k, v] of pairs) db.put(k, v);
          }),
        get: (k) => db.get(k),
        del: (k) => db.remove(k),
        scan: (reverse, fn) => {
          for (const { key, value } of db.getRange({ reverse })) fn(key, value);
        },
        seek: (k, n) => {
          for (const e of db.getRange({ start: k, limit: n })) void e;
        },
        property: () => undefined,
        close: () => db.close(),
      };
    }
    case 'better-sqlite3': {
      const Database = require('better-sqlite3');
      const db = new Database(`${dir}/db.sqlite`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec('CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID');
      const ins = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)');
      const sel = db.prepare('SELECT v FROM kv WHERE k = ?').pluck();
      const del = db.prepare('DELETE FROM kv WHERE k = ?');
      const fwd = db.prepare('SELECT k, v FROM kv ORDER BY k').raw();
      const rev = db.prepare('SELECT k, v FROM kv ORDER BY k DESC').raw();
      const seek = db.prepare('SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?').raw();
      const many = db.transaction((pairs) => {
        for (const [k, v] of pairs) ins.run(k, v);
      });
      return {
        put: (k, v) => ins.run(k, v),
        putSync: (k, v) => ins.run(k, v),
        setSync: (on) => db.pragma(`synchronous = ${on ? 'FULL' : 'NORMAL'}`),
        putConcurrent: (k, v) => ins.run(k, v),
        batch: (pairs) => many(pairs),
        get: (k) => sel.get(k),
        del: (k) => del.run(k),
        scan: (reverse, fn) => {
          for (const [k, v] of (reverse ? rev : fwd).iterate()) fn(k, v);
        },
        seek: (k, n) => seek.all(k, n),
        property: () => undefined,
        close: () => db.close(),
      };
    }
    default:
      throw new Error(`unknown engine ${name}`);
  }
}
