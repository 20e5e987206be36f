/**
 * FaultFileSystem's model of positioned overwrites: what a power cut keeps of bytes overwritten in place
 * since the last sync (sector by sector), and of an unsynced extension of the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/util/random.js';
import { CRASH_MODES, FaultFileSystem } from '../support/fault-fs.js';

const SECTOR = 512;

/** setup: a synced file of 8 zero sectors, then sectors 2..5 overwritten with 0xaa (unsynced). */
function setup(): FaultFileSystem {
  const fs = new FaultFileSystem();
  fs.mkdir('/d');
  const f = fs.createWritable('/d/x.log');
  f.append(new Uint8Array(8 * SECTOR));
  f.sync();
  fs.syncDir('/d');
  f.writeAt!(new Uint8Array(4 * SECTOR).fill(0xaa), 2 * SECTOR);
  return fs;
}

/** sectorsOf describes each sector of the image's file: 'z' all zero, 'a' all 0xaa, '?' other. */
function sectorsOf(fs: FaultFileSystem): string {
  const b = fs.readFile('/d/x.log');
  let out = '';
  for (let s = 0; s * SECTOR < b.length; s++) {
    const sec = b.subarray(s * SECTOR, (s + 1) * SECTOR);
    out += sec.every((x) => x === 0) ? 'z' : sec.every((x) => x === 0xaa) ? 'a' : '?';
  }
  return out;
}

test('unsynced overwrites revert per mode, sector by sector; synced ones stay', () => {
  assert.equal(sectorsOf(setup().crashImage('dropUnsynced')), 'zzzzzzzz');
  assert.equal(sectorsOf(setup().crashImage('keepAll')), 'zzaaaazz');
  const prefixes = new Set<string>();
  const subsets = new Set<string>();
  for (let seed = 1; seed < 200; seed++) {
    const p = sectorsOf(setup().crashImage('randomPrefix', new Random(seed)));
    assert.match(p, /^zza*z*zz$/, 'a prefix of the overwritten sectors, torn at a sector boundary');
    assert.equal(p.length, 8);
    prefixes.add(p);
    const g = sectorsOf(setup().crashImage('garbageTail', new Random(seed)));
    assert.match(g, /^zza*\?{0,1}z*zz$/);
    subsets.add(sectorsOf(setup().crashImage('randomBlocks', new Random(seed))));
  }
  assert.equal(prefixes.size, 5, 'every cut happens');
  assert.ok(subsets.has('zzazazzz') || subsets.has('zzzazazz'), 'out-of-order sectors happen');
  const fs = setup();
  const f = fs.openAppendable('/d/x.log');
  f.sync();
  for (const mode of CRASH_MODES) assert.equal(sectorsOf(fs.crashImage(mode)), 'zzaaaazz', mode);
});

test('an unsynced extension may be lost; records written into it go with it', () => {
  const fs = new FaultFileSystem();
  fs.mkdir('/d');
  const f = fs.createWritable('/d/x.log');
  fs.syncDir('/d');
  f.append(new Uint8Array(4 * SECTOR)); // the zero-filled extension, not synced
  f.writeAt!(new Uint8Array(10).fill(0xaa), 0);
  assert.equal(fs.crashImage('dropUnsynced').fileSize('/d/x.log'), 0);
  assert.equal(fs.crashImage('keepAll').fileSize('/d/x.log'), 4 * SECTOR);
  f.sync();
  f.writeAt!(new Uint8Array(10).fill(0xbb), 10);
  const img = fs.crashImage('dropUnsynced').readFile('/d/x.log');
  assert.equal(img.length, 4 * SECTOR);
  assert.deepEqual([img[0], img[9], img[10], img[19]], [0xaa, 0xaa, 0, 0]);
});

test('truncate shortens the file (modelled as durable at once)', () => {
  const fs = new FaultFileSystem();
  fs.mkdir('/d');
  const f = fs.createWritable('/d/x.log');
  fs.syncDir('/d');
  f.append(new Uint8Array(3 * SECTOR).fill(1));
  f.sync();
  f.truncate!(SECTOR + 3);
  assert.equal(f.size, SECTOR + 3);
  for (const mode of CRASH_MODES) assert.equal(fs.crashImage(mode).fileSize('/d/x.log'), SECTOR + 3, mode);
});
