/**
 * A bank for transaction tests: accounts with balances, transfers as transactions that read two
 * balances, pause (an await), and write both plus a record of the transfer. Verifying a database
 * reconstructs every balance from the initial balances and the transfer records found: a lost, torn or
 * duplicated transfer, or one applied without its record, makes the reconstruction disagree.
 */
import type { DB, Transaction } from '../../src/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { Random } from '../../src/util/random.js';

export const INITIAL_BALANCE = 1000;
const acct = (i: number): string => `acct:${String(i).padStart(5, '0')}`;

/** openAccounts creates `n` accounts at INITIAL_BALANCE in one synced batch (once per database). */
export async function openAccounts(db: DB, n: number): Promise<void> {
  if (db.get('bank:accounts') !== undefined) return;
  await db.transact(
    (tx) => {
      for (let i = 0; i < n; i++) tx.put(acct(i), String(INITIAL_BALANCE));
      tx.put('bank:accounts', String(n));
    },
    { sync: true },
  );
}

/** transfer moves a random amount between two random accounts in `tx`, recording it under `id`. */
export async function transfer(
  tx: Transaction,
  n: number,
  rnd: Random,
  id: string,
  pause: () => Promise<void>,
): Promise<void> {
  const from = rnd.uniform(n);
  let to = rnd.uniform(n - 1);
  if (to >= from) to++;
  const amount = 1 + rnd.uniform(50);
  const a = Number(fromUtf8(tx.get(acct(from))!));
  await pause();
  const b = Number(fromUtf8(tx.get(acct(to))!));
  tx.put(acct(from), String(a - amount));
  tx.put(acct(to), String(b + amount));
  tx.put(`xfer:${id}`, `${from} ${to} ${amount}`);
}

/** sumInside sums every balance inside a transaction (a consistent snapshot). */
export function sumInside(tx: Transaction): number {
  let sum = 0;
  for (const [, v] of tx.iterator({ gte: 'acct:', lt: 'acct;' })) sum += Number(fromUtf8(v));
  return sum;
}

/**
 * verifyBank returns null when the balances equal the initial ones plus the transfers recorded, and
 * every id in `mustHave` is recorded; otherwise a description of what is wrong.
 */
export function verifyBank(db: DB, mustHave: Iterable<string> = []): string | null {
  const nText = db.get('bank:accounts');
  if (nText === undefined) return 'no accounts';
  const n = Number(fromUtf8(nText));
  const expect = new Array<number>(n).fill(INITIAL_BALANCE);
  const recorded = new Set<string>();
  for (const [k, v] of db.iterator({ gte: 'xfer:', lt: 'xfer;' })) {
    const [from, to, amount] = fromUtf8(v).split(' ').map(Number) as [number, number, number];
    expect[from]! -= amount;
    expect[to]! += amount;
    recorded.add(fromUtf8(k).slice(5));
  }
  for (const id of mustHave) if (!recorded.has(id)) return `acknowledged transfer ${id} is missing`;
  for (let i = 0; i < n; i++) {
    const got = Number(fromUtf8(db.get(acct(i)) ?? new Uint8Array()));
    if (got !== expect[i]) return `${acct(i)} is ${got}, the transfers recorded make it ${expect[i]}`;
  }
  return null;
}
