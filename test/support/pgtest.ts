/**
 * pgtest: wire-level data-driven tests in the format of CockroachDB's pgtest (our own runner and files).
 * A file is a list of blocks separated by blank lines; `#` starts a comment line between blocks:
 *
 *   send [pg_only|shale_only]
 *   Parse {"Name": "s1", "Query": "SELECT $1::int4"}
 *   Sync
 *   ----
 *
 *   until [ignore=NoticeResponse,ParameterStatus] [keepErrMessage] [pg_only|shale_only]
 *   ReadyForQuery
 *   ----
 *   {"Type":"ParseComplete"}
 *   {"Type":"ReadyForQuery","TxStatus":"I"}
 *
 * `send` writes the messages (wire-client.ts encodes them from pgproto3-style JSON). `until` reads messages
 * until each listed type has arrived, in order, and expects exactly the messages read (minus the ignored
 * types), one JSON per line. ErrorResponse and NoticeResponse show Severity and Code, and with
 * keepErrMessage also Message and Position. Blocks marked pg_only or shale_only run against one server only:
 * they document a divergence, and each says why in a comment. With rewrite, the expected output of every
 * block that ran is replaced by what the server sent.
 */
import { WireClient, type WireMessage } from './wire-client.js';

export type Target = 'pg' | 'shale';

interface Block {
  readonly line: number;
  readonly cmd: 'send' | 'until';
  readonly args: ReadonlyMap<string, string>;
  readonly input: readonly string[];
  readonly expected: readonly string[];
  /** outStart, outEnd: the lines of the expected output in the file (for rewriting). */
  readonly outStart: number;
  readonly outEnd: number;
}

export function parsePgtest(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      i++;
      continue;
    }
    const start = i;
    const [cmd, ...rest] = l.trim().split(/\s+/);
    if (cmd !== 'send' && cmd !== 'until') throw new Error(`line ${i + 1}: unknown command ${cmd}`);
    const args = new Map<string, string>();
    for (const a of rest) {
      const eq = a.indexOf('=');
      args.set(eq < 0 ? a : a.slice(0, eq), eq < 0 ? '' : a.slice(eq + 1));
    }
    i++;
    const input: string[] = [];
    while (i < lines.length && lines[i] !== '----') {
      if (!lines[i]!.startsWith('#')) input.push(lines[i]!);
      i++;
    }
    if (i >= lines.length) throw new Error(`line ${start + 1}: block without ----`);
    i++;
    const outStart = i;
    const expected: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') expected.push(lines[i++]!);
    blocks.push({ line: start + 1, cmd, args, input, expected, outStart, outEnd: i });
  }
  return blocks;
}

function print(m: WireMessage, keepErrMessage: boolean): string {
  if ((m.Type === 'ErrorResponse' || m.Type === 'NoticeResponse') && !keepErrMessage)
    return JSON.stringify({ Type: m.Type, Severity: m.Severity, Code: m.Code });
  if (m.Type === 'ErrorResponse' || m.Type === 'NoticeResponse')
    return JSON.stringify({
      Type: m.Type,
      Severity: m.Severity,
      Code: m.Code,
      Message: m.Message,
      ...(m.Position !== undefined ? { Position: m.Position } : {}),
    });
  return JSON.stringify(m);
}

export interface PgtestResult {
  /** failures: one description per block whose output differed. */
  readonly failures: string[];
  /** rewritten: the file with every block's output as received. */
  readonly rewritten: string;
}

/** runPgtest runs one file's blocks on a fresh connection to host:port. */
export async function runPgtest(
  text: string,
  target: Target,
  host: string,
  port: number,
  params: Record<string, string>,
  options: { timeoutMs?: number; rewriteShared?: boolean } = {},
): Promise<PgtestResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  // Shared blocks are rewritten from PostgreSQL, the oracle; shale_only blocks from shale.
  const rewriteShared = options.rewriteShared ?? target === 'pg';
  const blocks = parsePgtest(text);
  const lines = text.split('\n');
  const failures: string[] = [];
  const replacements: { start: number; end: number; lines: string[] }[] = [];
  const c = await WireClient.connect(host, port, params);
  try {
    for (const b of blocks) {
      if (b.args.has(target === 'pg' ? 'shale_only' : 'pg_only')) continue;
      if (b.cmd === 'send') {
        for (const l of b.input) {
          const sp = l.indexOf(' ');
          const name = sp < 0 ? l.trim() : l.slice(0, sp);
          const fields = sp < 0 ? {} : (JSON.parse(l.slice(sp + 1)) as Record<string, unknown>);
          c.send(name, fields);
        }
        continue;
      }
      const ignore = new Set((b.args.get('ignore') ?? '').split(',').filter((s) => s !== ''));
      const keep = b.args.has('keepErrMessage');
      const got: string[] = [];
      try {
        for (const want of b.input) {
          for (;;) {
            const m = await c.receive(timeoutMs);
            if (!ignore.has(m.Type)) got.push(print(m, keep));
            if (m.Type === want.trim()) break;
          }
        }
      } catch (err) {
        got.push(`<${(err as Error).message}>`);
      }
      if (rewriteShared || b.args.has(`${target}_only`))
        replacements.push({ start: b.outStart, end: b.outEnd, lines: got });
      if (got.join('\n') !== b.expected.join('\n'))
        failures.push(
          `line ${b.line} (${target}):\n  expected:\n    ${b.expected.join('\n    ')}\n  got:\n    ${got.join('\n    ')}`,
        );
      if (got.some((g) => g.startsWith('<'))) break;
    }
  } finally {
    c.end();
  }
  for (const r of replacements.reverse()) lines.splice(r.start, r.end - r.start, ...r.lines);
  return { failures, rewritten: lines.join('\n') };
}
