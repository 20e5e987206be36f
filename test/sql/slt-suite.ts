/**
 * The .slt corpus as node:test tests, shared by slt.test.ts (simple protocol) and slt-extended.test.ts
 * (extended protocol): two test files so that the runner can run the two protocols in parallel. One
 * subtest per file, each on a fresh serve() over a fresh data directory. Files named in
 * test/sql/slt/PENDING run as todo and report how many records passed; every other file must pass. Until
 * src/pg/server.ts exists, everything is todo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSlt, runSlt, type ProtocolMode, type RunResult, type SltFile } from '../support/slt.js';
import { loadServe, readPending, startFreshShale } from '../support/shale-server.js';

export const SLT_DIR = fileURLToPath(new URL('../../../test/sql/slt/', import.meta.url));

/** The corpus as read from disk: every file's text and parse, and the PENDING set. */
export interface Corpus {
  /** names: the .slt files selected by SHALE_SLT_FILES (all by default), sorted. */
  readonly names: readonly string[];
  /** all: every .slt file, whatever SHALE_SLT_FILES says. */
  readonly all: readonly string[];
  readonly texts: ReadonlyMap<string, string>;
  readonly files: ReadonlyMap<string, SltFile>;
  readonly pending: ReadonlySet<string>;
}

/** loadCorpus reads test/sql/slt/. SHALE_SLT_FILES=joins,types_ keeps the files whose names contain a word. */
export function loadCorpus(): Corpus {
  const only = (process.env.SHALE_SLT_FILES ?? '').split(',').filter((w) => w !== '');
  const all = readdirSync(SLT_DIR)
    .filter((n) => n.endsWith('.slt'))
    .sort();
  const names = all.filter((n) => only.length === 0 || only.some((w) => n.includes(w)));
  const texts = new Map<string, string>();
  const files = new Map<string, SltFile>();
  for (const name of names) {
    const text = readFileSync(join(SLT_DIR, name), 'utf8');
    texts.set(name, text);
    files.set(name, parseSlt(name, text));
  }
  return { names, all, texts, files, pending: readPending(join(SLT_DIR, 'PENDING')) };
}

/** SHALE_SLT_VERBOSE=1 lists every failing record instead of the first eight. */
const MAX_LISTED = process.env.SHALE_SLT_VERBOSE === '1' ? Infinity : 8;

/** summary formats the first failures of a run for an assertion message. */
export function summary(name: string, r: RunResult, max = MAX_LISTED): string {
  const lines = [`${r.passed}/${r.records} records passed`];
  for (const f of r.failures.slice(0, max))
    lines.push(`${name}:${f.line}: ${f.sql}\n  ${f.message.replace(/\n/g, '\n  ')}`);
  if (r.failures.length > max) lines.push(`... and ${r.failures.length - max} more`);
  return lines.join('\n');
}

/** defineSltTests registers one test per corpus file, run against shale through `mode`. */
export async function defineSltTests(corpus: Corpus, mode: ProtocolMode): Promise<void> {
  const serve = await loadServe();
  for (const name of corpus.names) {
    const todo =
      typeof serve === 'string'
        ? serve
        : corpus.pending.has(name)
          ? `${name} is listed in PENDING`
          : undefined;
    test(`${name} (${mode} protocol)`, { todo }, async (t) => {
      if (typeof serve === 'string') return;
      const shale = await startFreshShale(serve);
      let result: RunResult;
      try {
        result = await runSlt(corpus.files.get(name)!, shale, { mode, restart: () => shale.restart() });
      } finally {
        await shale.stop();
      }
      t.diagnostic(`${result.passed}/${result.records} records passed`);
      if (todo !== undefined && result.failures.length === 0)
        t.diagnostic(`${name} passes completely: remove it from PENDING`);
      assert.equal(result.failures.length, 0, summary(name, result));
    });
  }
}
