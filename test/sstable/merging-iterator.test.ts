import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MergingIterator, newMergingIterator } from '../../src/sstable/merging-iterator.js';
import { bytewiseComparator, type Comparator } from '../../src/util/comparator.js';
import { compareBytes } from '../../src/util/bytes.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { EMPTY_ITERATOR } from '../../src/util/internal-iterator.js';
import { ArrayIterator } from '../support/array-iterator.js';

// Randomized tests: fast-check prints the seed of a failing run; SEED=<n> replays it.
const FC = process.env.SEED === undefined ? {} : { seed: Number(process.env.SEED) };

const reverseComparator: Comparator = {
  ...bytewiseComparator,
  name: 'test.Reverse',
  compare: (a, b) => compareBytes(b, a),
};

type Op =
  | { op: 'seekToFirst' }
  | { op: 'seekToLast' }
  | { op: 'seek'; target: Uint8Array }
  | { op: 'next' }
  | { op: 'prev' };

// Short keys over a tiny alphabet: many equal keys across children, many prefixes.
const keyArb = fc.uint8Array({ maxLength: 3, max: 2 });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant({ op: 'seekToFirst' } as Op), weight: 1 },
  { arbitrary: fc.constant({ op: 'seekToLast' } as Op), weight: 1 },
  { arbitrary: keyArb.map((target) => ({ op: 'seek', target }) as Op), weight: 2 },
  { arbitrary: fc.constant({ op: 'next' } as Op), weight: 5 },
  { arbitrary: fc.constant({ op: 'prev' } as Op), weight: 5 },
);

/** makeRun turns random keys into a strictly increasing run under `cmp`, values naming (child, i). */
function makeRun(cmp: Comparator, keys: Uint8Array[], child: number): [Uint8Array, Uint8Array][] {
  const sorted = keys.slice().sort((a, b) => cmp.compare(a, b));
  const uniq = sorted.filter((k, i) => i === 0 || cmp.compare(sorted[i - 1]!, k) !== 0);
  return uniq.map((k, i) => [k, new Uint8Array([child, i])]);
}

test('merging iterator matches the sorted concatenation under random moves in both directions', () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.array(fc.array(keyArb, { maxLength: 12 }), { minLength: 0, maxLength: 7 }),
      fc.array(opArb, { maxLength: 60 }),
      (reverse, runKeys, ops) => {
        const cmp = reverse ? reverseComparator : bytewiseComparator;
        const runs = runKeys.map((ks, c) => makeRun(cmp, ks, c));
        // Model: all entries ordered by (key, child index).
        const model = runs
          .flatMap((run, c) => run.map(([k, v]) => ({ k, v, c })))
          .sort((a, b) => cmp.compare(a.k, b.k) || a.c - b.c);
        const children = runs.map((run) => new ArrayIterator(cmp, run));
        const it = new MergingIterator(cmp, children);
        let pos = -1;
        const check = (step: number) => {
          const valid = pos >= 0 && pos < model.length;
          assert.equal(it.valid(), valid, `step ${step}: valid`);
          if (valid) {
            assert.deepEqual(it.key(), model[pos]!.k, `step ${step}: key`);
            assert.deepEqual(it.value(), model[pos]!.v, `step ${step}: value`);
          }
        };
        check(-1);
        ops.forEach((o, step) => {
          switch (o.op) {
            case 'seekToFirst':
              it.seekToFirst();
              pos = model.length > 0 ? 0 : -1;
              break;
            case 'seekToLast':
              it.seekToLast();
              pos = model.length - 1;
              break;
            case 'seek':
              it.seek(o.target);
              pos = model.findIndex((e) => cmp.compare(e.k, o.target) >= 0);
              break;
            case 'next':
              if (pos < 0) return;
              it.next();
              pos = pos + 1 < model.length ? pos + 1 : -1;
              break;
            case 'prev':
              if (pos < 0) return;
              it.prev();
              pos--;
              break;
          }
          check(step);
        });
        it.close();
        assert.ok(children.every((c) => c.closed));
      },
    ),
    { ...FC, numRuns: 1000 },
  );
});

test('full scans forward and backward yield every entry, duplicates in child order', () => {
  const e = (k: string, v: string) => [new TextEncoder().encode(k), new TextEncoder().encode(v)] as const;
  const cmp = bytewiseComparator;
  const a = new ArrayIterator(cmp, [e('a', 'a0'), e('c', 'a1'), e('e', 'a2')]);
  const b = new ArrayIterator(cmp, [e('b', 'b0'), e('c', 'b1')]);
  const c = new ArrayIterator(cmp, []);
  const d = new ArrayIterator(cmp, [e('c', 'd0'), e('f', 'd1')]);
  const it = new MergingIterator(cmp, [a, b, c, d]);
  const dec = (x: Uint8Array) => new TextDecoder().decode(x);
  const fwd: string[] = [];
  for (it.seekToFirst(); it.valid(); it.next()) fwd.push(dec(it.value()));
  assert.deepEqual(fwd, ['a0', 'b0', 'a1', 'b1', 'd0', 'a2', 'd1']);
  const bwd: string[] = [];
  for (it.seekToLast(); it.valid(); it.prev()) bwd.push(dec(it.value()));
  assert.deepEqual(bwd, fwd.slice().reverse());
  // direction changes in the middle of a run of equal keys
  it.seek(new TextEncoder().encode('c'));
  assert.equal(dec(it.value()), 'a1');
  it.next();
  assert.equal(dec(it.value()), 'b1');
  it.prev();
  assert.equal(dec(it.value()), 'a1');
  it.prev();
  assert.equal(dec(it.value()), 'b0');
  it.next();
  it.next();
  it.next();
  assert.equal(dec(it.value()), 'd0');
  it.prev();
  assert.equal(dec(it.value()), 'b1');
  assert.throws(() => {
    it.seekToLast();
    it.next();
    it.next();
  }, InvalidArgumentError);
  it.close();
});

test('close closes every child even when one throws', () => {
  const cmp = bytewiseComparator;
  const a = new ArrayIterator(cmp, []);
  const bad = {
    ...EMPTY_ITERATOR,
    close: () => {
      throw new Error('boom');
    },
  };
  const c = new ArrayIterator(cmp, []);
  const it = new MergingIterator(cmp, [a, bad, c]);
  assert.throws(() => it.close(), /boom/);
  assert.ok(a.closed && c.closed);
});

test('newMergingIterator: no children gives an empty iterator, one child is returned as is', () => {
  const cmp = bytewiseComparator;
  const only = new ArrayIterator(cmp, []);
  assert.equal(newMergingIterator(cmp, [only]), only);
  const none = newMergingIterator(cmp, []);
  none.seekToFirst();
  assert.equal(none.valid(), false);
  assert.ok(newMergingIterator(cmp, [only, new ArrayIterator(cmp, [])]) instanceof MergingIterator);
});
