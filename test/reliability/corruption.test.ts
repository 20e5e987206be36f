/**
 * R5/R6 corruption matrix: truncation, bit flips and zero fills in every kind of file (WAL, tables,
 * MANIFEST, CURRENT; value-log segments in a second run), opened under every WAL recovery mode. Each outcome is either a typed ShaleError
 * (a CorruptionError names the file) or a database whose every answer is a value really written for
 * that key: never wrong data, never an untyped crash. SHALE_SEED / CORRUPTION_CASES widen the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, MemFileSystem, ShaleError, ErrorCode } from '../../src/index.js';
import type { WalRecoveryMode } from '../../src/index.js';
import { Random } from '../../src/util/random.js';
import { fromUtf8 } from '../../src/util/bytes.js';

const SEED = Number(process.env.SHALE_SEED ?? 99);
const CASES = Number(process.env.CORRUPTION_CASES ?? 160);
const MODES: WalRecoveryMode[] = [
  'tolerateCorruptedTailRecords',
  'absoluteConsistency',
  'pointInTime',
  'skipAnyCorruptedRecords',
];

/** VLOG: the same matrix over a database whose longer values live in value-log segments. */
const VLOG = { valueLog: { minValueSize: 20, segmentSize: 2048, backgroundGc: false } };

for (const [label, extra] of [
  ['', {}],
  [' (value log: segments too)', VLOG],
] as const) {
  test(
    `damaged files give a typed error or correct data, never wrong data${label}`,
    { timeout: 600_000 },
    async (t) => {
      const written = new Map<string, Set<string>>();
      const fs0 = new MemFileSystem();
      const opts = {
        writeBufferSize: 2048,
        maxFileSize: 4096,
        blockSize: 256,
        paranoidChecks: true,
        ...extra,
      };
      const db = await DB.open('/db', { fs: fs0, ...opts });
      const rnd = new Random(SEED);
      for (let i = 0; i < 1500; i++) {
        const k = `k${String(rnd.uniform(300)).padStart(4, '0')}`;
        const v = `${k}#${i}#${'v'.repeat(rnd.uniform(40))}`;
        db.put(k, v);
        if (!written.has(k)) written.set(k, new Set());
        written.get(k)!.add(v);
        if (i === 1000) await db.compactRange();
      }
      await db.close();
      const files = fs0.list('/db').filter((n) => /(\.log|\.ldb|\.vlog|MANIFEST-\d+|CURRENT)$/.test(n));
      if (extra === VLOG)
        assert.ok(files.filter((n) => n.endsWith('.vlog')).length >= 2, 'segments to damage');
      const figures = { cases: 0, segmentCases: 0, opened: 0, typedErrors: 0, wrongReads: 0, untyped: 0 };
      const rerun = `rerun: SHALE_SEED=${SEED} CORRUPTION_CASES=${CASES} node --test build/test/reliability/corruption.test.js`;
      let firstWrong = '';
      // A CorruptionError names a file: the damaged one, or the one the damage made unreachable.
      const namesAFile = (e: ShaleError): boolean =>
        e.code !== ErrorCode.CORRUPTION ||
        /\/db\/|MANIFEST|CURRENT|\.ldb|\.log|\.vlog/.test(
          `${(e as { file?: string }).file ?? ''} ${e.message}`,
        );
      for (let c = 0; c < CASES; c++) {
        const name = files[rnd.uniform(files.length)]!;
        const fs = fs0.clone();
        const path = `/db/${name}`;
        const bytes = fs.readFile(path).slice();
        if (bytes.length === 0) continue;
        const kind = rnd.uniform(3);
        let damaged: Uint8Array;
        if (kind === 0) damaged = bytes.slice(0, rnd.uniform(bytes.length));
        else if (kind === 1) {
          damaged = bytes;
          for (let j = 0, n = 1 + rnd.uniform(3); j < n; j++)
            damaged[rnd.uniform(bytes.length)] ^= 1 << rnd.uniform(8);
        } else {
          damaged = bytes;
          const at = rnd.uniform(bytes.length);
          damaged.fill(0, at, Math.min(bytes.length, at + 1 + rnd.uniform(64)));
        }
        const f = fs.createWritable(path);
        f.append(damaged);
        f.close();
        const mode = MODES[rnd.uniform(MODES.length)]!;
        figures.cases++;
        if (name.endsWith('.vlog')) figures.segmentCases++;
        const what = `seed ${SEED} case ${c} (${name}, ${['truncated', 'bit flips', 'zero fill'][kind]}, ${mode})`;
        const wrong = (key: string, v: Uint8Array, how: string): void => {
          figures.wrongReads++;
          firstWrong ||= `${what}: ${how} ${key} returned ${JSON.stringify(fromUtf8(v).slice(0, 40))}, never written`;
        };
        let d: DB | null = null;
        try {
          d = await DB.open('/db', { fs, ...opts, walRecoveryMode: mode });
          figures.opened++;
          for (const [k, v] of d.iterator()) {
            const key = fromUtf8(k);
            if (!written.get(key)?.has(fromUtf8(v))) wrong(key, v, 'scan');
          }
          for (const key of written.keys()) {
            const v = d.get(key);
            if (v !== undefined && !written.get(key)!.has(fromUtf8(v))) wrong(key, v, 'get');
          }
        } catch (err) {
          if (err instanceof ShaleError) {
            figures.typedErrors++;
            assert.ok(namesAFile(err), `${what}: the error names no file: ${err.message}\n${rerun}`);
          } else {
            figures.untyped++;
            assert.fail(`${what}: untyped error ${String(err)}\n${rerun}`);
          }
        } finally {
          await d?.close().catch(() => undefined);
        }
      }
      t.diagnostic(`figures ${JSON.stringify(figures)}`);
      assert.equal(figures.wrongReads, 0, `silent wrong reads, first: ${firstWrong}\n${rerun}`);
      assert.equal(figures.untyped, 0);
    },
  );
}
