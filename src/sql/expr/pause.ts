/**
 * pg_sleep's time, owed by a running statement: expressions run synchronously, so pg_sleep adds its time
 * here and the session waits it out (asynchronously, in slices that check the statement timeout and
 * cancellation) once the statement has produced its rows.
 */
import type { ExecContext } from './context.js';

const PAUSE = Symbol('pause');

/** owePause adds `ms` milliseconds to the time the statement owes. */
export function owePause(ex: ExecContext, ms: number): void {
  if (!(ms > 0)) return;
  ex.cache.set(PAUSE, ((ex.cache.get(PAUSE) as number | undefined) ?? 0) + ms);
}

/** takePause returns the time owed so far (ms) and clears it. */
export function takePause(ex: ExecContext): number {
  const ms = (ex.cache.get(PAUSE) as number | undefined) ?? 0;
  ex.cache.delete(PAUSE);
  return ms;
}
