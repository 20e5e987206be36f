// Property test: a MemTable (with and without its key filter) against a sorted array model. Adds with increasing sequences over a small key
// alphabet (prefixes, empty keys, 0x00/0xff bytes), then gets at random sequences and iterator walks
// (seek/next/prev) compared step by step. fast-check prints the seed and path of a failure; rerun one
// with SEED=<seed>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemTable } from '../../src/memtable/memtable.js';
import {
  InternalKeyComparator,
  MAX_SEQUENCE,
  ValueType,
  makeInternalKey,
} from '../../src/memtable/internal-key.js';
import { bytewiseComparator } from '../../src/util/comparator.js';
import { bytesEqual, compareBytes, toHex } from '../../src/util/bytes.js';

const icmp = new InternalKeyComparator(bytewiseComparator);
const seed = process.env.SEED === undefined ? undefined : Number(process.env.SEED);

interface ModelEntry {
  key: Uint8Array;
  seq: number;
  type: number;
  value: Uint8Array;
  ikey: Uint8Array;
}

// Short keys over a small alphabet collide, nest as prefixes and differ in whole words and in tails; an
// optional 7-byte common prefix makes comparisons run past the first word.
const keyArb = fc
  .tuple(
    fc.constantFrom('', 'prefix/'),
    fc.array(fc.constantFrom(0x00, 0x01, 0x61, 0x62, 0x80, 0xff), { maxLength: 6 }),
  )
  .map(([p, a]) => new Uint8Array([...new TextEncoder().encode(p), ...a]));

const addArb = fc.record({
  key: keyArb,
  type: fc.constantFrom(ValueType.VALUE, ValueType.VALUE, ValueType.DELETION),
  value: fc.uint8Array({ maxLength: 24 }),
  seqGap: fc.integer({ min: 1, max: 3 }),
});

// A walk: seek to (key, seq) then a series of moves.
const walkArb = fc.record({
  key: keyArb,
  seq: fc.integer({ min: 0, max: 700 }),
  type: fc.constantFrom(ValueType.VALUE, ValueType.DELETION),
  start: fc.constantFrom('seek', 'first', 'last'),
  moves: fc.array(fc.boolean(), { maxLength: 12 }),
});

function modelGet(model: ModelEntry[], key: Uint8Array, seq: number): Uint8Array | null | undefined {
  let best: ModelEntry | undefined;
  for (const e of model) {
    if (e.seq <= seq && bytesEqual(e.key, key) && (best === undefined || e.seq > best.seq)) best = e;
  }
  if (best === undefined) return undefined;
  return best.type === ValueType.VALUE ? best.value : null;
}

function show(v: Uint8Array | null | undefined): string {
  return v === null ? 'null' : v === undefined ? 'undefined' : toHex(v);
}

test('MemTable behaves like a sorted array of internal keys', () => {
  fc.assert(
    fc.property(
      fc.array(addArb, { minLength: 0, maxLength: 300 }),
      fc.array(fc.record({ key: keyArb, seq: fc.integer({ min: 0, max: 1000 }) }), { maxLength: 60 }),
      fc.array(walkArb, { maxLength: 12 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.constantFrom(0, 64, 4096), // no key filter, a saturated one, a sparse one
      (adds, gets, walks, heightSeed, filterBytes) => {
        const mem = new MemTable(icmp, { seed: heightSeed, initialBytes: 64, filterBytes });
        const model: ModelEntry[] = [];
        let seq = 0;
        for (const a of adds) {
          seq += a.seqGap;
          const value = a.type === ValueType.VALUE ? a.value : new Uint8Array(0);
          mem.add(seq, a.type, a.key, value);
          model.push({ key: a.key, seq, type: a.type, value, ikey: makeInternalKey(a.key, seq, a.type) });
        }
        assert.equal(mem.count, model.length);
        model.sort((x, y) => icmp.compare(x.ikey, y.ikey));

        for (const g of [
          ...gets,
          ...model.map((e) => ({ key: e.key, seq: e.seq })),
          { key: new Uint8Array(0), seq: MAX_SEQUENCE },
        ]) {
          const got = mem.get(g.key, g.seq);
          const want = modelGet(model, g.key, g.seq);
          assert.equal(show(got), show(want), `get ${toHex(g.key)} @${g.seq}`);
        }

        const it = mem.iterator();
        // Full scans both ways.
        let i = 0;
        for (it.seekToFirst(); it.valid(); it.next(), i++) {
          assert.ok(bytesEqual(it.key(), model[i]!.ikey), `forward ${i}`);
          assert.ok(bytesEqual(it.value(), model[i]!.value));
        }
        assert.equal(i, model.length);
        i = model.length - 1;
        for (it.seekToLast(); it.valid(); it.prev(), i--)
          assert.ok(bytesEqual(it.key(), model[i]!.ikey), `back ${i}`);
        assert.equal(i, -1);

        for (const w of walks) {
          let pos: number;
          if (w.start === 'first') {
            it.seekToFirst();
            pos = 0;
          } else if (w.start === 'last') {
            it.seekToLast();
            pos = model.length - 1;
          } else {
            const target = makeInternalKey(w.key, w.seq, w.type);
            it.seek(target);
            pos = model.findIndex((e) => icmp.compare(e.ikey, target) >= 0);
            if (pos < 0) pos = model.length;
          }
          for (const forward of [...w.moves, true]) {
            const inRange = pos >= 0 && pos < model.length;
            assert.equal(it.valid(), inRange, `valid at ${pos}`);
            if (!inRange) break;
            assert.ok(bytesEqual(it.key(), model[pos]!.ikey), `walk at ${pos}`);
            if (forward) {
              it.next();
              pos++;
            } else {
              it.prev();
              pos--;
            }
          }
        }
        // Entries sort by user key, then newest first.
        for (let j = 1; j < model.length; j++) {
          const c = compareBytes(model[j - 1]!.key, model[j]!.key);
          assert.ok(c < 0 || (c === 0 && model[j - 1]!.seq >= model[j]!.seq));
        }
      },
    ),
    { numRuns: 150, seed },
  );
});
