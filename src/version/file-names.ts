/**
 * LevelDB's file naming (db/filename.cc): numbered logs, tables and manifests sharing one counter,
 * plus CURRENT, LOCK and the info log. Numbers print with at least six digits.
 */
import { join } from 'node:path';

/** FileType names the kinds of files that live in a database directory. */
export type FileType = 'log' | 'table' | 'manifest' | 'current' | 'lock' | 'temp' | 'infoLog' | 'segment';

/** ParsedFileName is a file name's kind and number (0 for unnumbered files). */
export interface ParsedFileName {
  readonly type: FileType;
  readonly number: number;
}

function pad(n: number): string {
  return String(n).padStart(6, '0');
}

/** logFileName returns `dir/NNNNNN.log`. */
export function logFileName(dir: string, n: number): string {
  return join(dir, `${pad(n)}.log`);
}

/** tableFileName returns `dir/NNNNNN.ldb`. */
export function tableFileName(dir: string, n: number): string {
  return join(dir, `${pad(n)}.ldb`);
}

/** sstTableFileName returns the legacy `dir/NNNNNN.sst` name, which readers must also accept. */
export function sstTableFileName(dir: string, n: number): string {
  return join(dir, `${pad(n)}.sst`);
}

/** manifestFileName returns `dir/MANIFEST-NNNNNN`. */
export function manifestFileName(dir: string, n: number): string {
  return join(dir, `MANIFEST-${pad(n)}`);
}

/** currentFileName returns `dir/CURRENT`. */
export function currentFileName(dir: string): string {
  return join(dir, 'CURRENT');
}

/** lockFileName returns `dir/LOCK`. */
export function lockFileName(dir: string): string {
  return join(dir, 'LOCK');
}

/** tempFileName returns `dir/NNNNNN.dbtmp`. */
export function tempFileName(dir: string, n: number): string {
  return join(dir, `${pad(n)}.dbtmp`);
}

/** infoLogFileName returns `dir/LOG`. */
export function infoLogFileName(dir: string): string {
  return join(dir, 'LOG');
}

const NUMBERED = /^(\d+)\.(log|ldb|sst|dbtmp|vlog)$/;
const MANIFEST = /^MANIFEST-(\d+)$/;

/** parseFileName classifies a directory entry name; undefined for names shale does not own. */
export function parseFileName(name: string): ParsedFileName | undefined {
  if (name === 'CURRENT') return { type: 'current', number: 0 };
  if (name === 'LOCK') return { type: 'lock', number: 0 };
  if (name === 'LOG' || name === 'LOG.old') return { type: 'infoLog', number: 0 };
  let m = MANIFEST.exec(name);
  if (m) {
    const number = Number(m[1]);
    return Number.isSafeInteger(number) ? { type: 'manifest', number } : undefined;
  }
  m = NUMBERED.exec(name);
  if (m) {
    const number = Number(m[1]);
    if (!Number.isSafeInteger(number)) return undefined;
    const ext = m[2];
    const type: FileType =
      ext === 'log' ? 'log' : ext === 'dbtmp' ? 'temp' : ext === 'vlog' ? 'segment' : 'table';
    return { type, number };
  }
  return undefined;
}
