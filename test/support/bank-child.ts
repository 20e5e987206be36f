/**
 * Child process for the transaction kill test: runs concurrent synced bank transfers on a real
 * directory until killed, appending `A <id>` to the acknowledgement file (with writeSync, which a
 * SIGKILL cannot lose) once each commit has resolved.
 * Usage: node bank-child.js <dir> <ack-file> <seed>
 */
import { openSync, writeSync } from 'node:fs';
import { DB } from '../../src/index.js';
import { Random } from '../../src/util/random.js';
import { openAccounts, transfer } from './bank.js';

const [dir, ackFile, seedText] = process.argv.slice(2) as [string, string, string];
const ACCOUNTS = 50;
const WORKERS = 16;
const db = await DB.open(dir, {
  writeBufferSize: 64 * 1024,
  maxFileSize: 64 * 1024,
  level1MaxBytes: 256 * 1024,
});
await openAccounts(db, ACCOUNTS);
const ack = openSync(ackFile, 'a');
writeSync(ack, 'ready\n');
const run = Number(seedText);
await Promise.all(
  Array.from({ length: WORKERS }, async (_, w) => {
    const rnd = new Random(run * 100 + w);
    for (let i = 0; ; i++) {
      const id = `${run}-${w}-${i}`;
      await db.transact((tx) => transfer(tx, ACCOUNTS, rnd, id, () => new Promise((r) => setImmediate(r))), {
        sync: true,
        retries: 1000,
      });
      writeSync(ack, `A ${id}\n`);
    }
  }),
);
