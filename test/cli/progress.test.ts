/**
 * The command's progress bars: drawn (and cleared) on a terminal, nothing at all otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { startProgress } from '../../src/cli/progress.js';

/** fakeTerminal is a writable stream that says it is a terminal and keeps what was written. */
function fakeTerminal(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let out = '';
  s.on('data', (d: Buffer) => (out += d.toString()));
  Object.assign(s, { isTTY, columns: 100, rows: 30 });
  // cli-progress moves the cursor with readline's helpers, which call these on a TTY stream.
  Object.assign(s, {
    cursorTo: (_x: number, _y?: number, cb?: () => void) => (s.write('\x1b[1G'), cb?.(), true),
    clearLine: (_d: number, cb?: () => void) => (s.write('\x1b[2K'), cb?.(), true),
    moveCursor: (_dx: number, _dy: number, cb?: () => void) => (cb?.(), true),
    getWindowSize: () => [100, 30],
  });
  return { stream: s as unknown as NodeJS.WriteStream, text: () => out };
}

test('a bar on a terminal, counting and cleared at the end; nothing when not a terminal', async () => {
  const tty = fakeTerminal(true);
  const p = startProgress('verify', 'bytes', tty.stream);
  p.onProgress(0, 4 * 1048576);
  p.onProgress(2 * 1048576, 4 * 1048576);
  p.onProgress(4 * 1048576, 4 * 1048576);
  p.stop();
  await new Promise((r) => setImmediate(r));
  assert.match(tty.text(), /verify \[/);
  assert.match(tty.text(), /100% 4\.0\/4\.0 MiB/);

  const pipe = fakeTerminal(false);
  const q = startProgress('verify', 'files', pipe.stream);
  q.onProgress(0, 3);
  q.onProgress(3, 3);
  q.stop();
  await new Promise((r) => setImmediate(r));
  assert.equal(pipe.text(), '');
});
