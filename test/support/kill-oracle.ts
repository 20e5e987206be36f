/**
 * The R1 oracle: judges the state a database holds after a process kill, given the state before the
 * child started (`base`), the child's seed and its ack record (see kill-workload.ts). A kill keeps all
 * the OS holds, so the state must be base plus ops [0, done), plus none, all, or (for a group-commit
 * window) a prefix of the operation in flight; anything else lost an acknowledged write or tore one.
 */
import { KillOps, applyKillOp } from './kill-workload.js';

export type KillVerdict =
  | { readonly ok: true; readonly state: Map<string, string> }
  | { readonly ok: false; readonly kind: 'lost' | 'torn'; readonly detail: string };

function same(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** judgeKill returns the verdict on `state`; when ok, `state` is the model the next round starts from. */
export function judgeKill(
  state: Map<string, string>,
  base: Map<string, string>,
  seed: number,
  issued: number,
  done: number,
): KillVerdict {
  const ops = new KillOps(seed);
  const expect = new Map(base);
  for (let i = 0; i < done; i++) applyKillOp(expect, ops.next());
  if (same(expect, state)) return { ok: true, state: expect };
  if (issued > done) {
    const op = ops.next();
    for (let p = 1; p <= (op.t === 'async' ? op.ops.length : 1); p++) {
      const m = new Map(expect);
      applyKillOp(m, op, p);
      if (same(m, state)) return { ok: true, state: m };
    }
  }
  const diff = [...new Set([...expect.keys(), ...state.keys()])]
    .filter((k) => expect.get(k) !== state.get(k))
    .slice(0, 4)
    .map((k) => `${k}: want ${expect.get(k)?.slice(0, 24)} got ${state.get(k)?.slice(0, 24)}`)
    .join('; ');
  // Diagnose: is it the state after fewer operations (acknowledged writes lost)?
  const again = new KillOps(seed);
  const earlier = new Map(base);
  for (let i = 0; i < done; i++) {
    if (same(earlier, state))
      return {
        ok: false,
        kind: 'lost',
        detail: `the state is the prefix of ${i} of ${done} acknowledged ops; ${diff}`,
      };
    applyKillOp(earlier, again.next());
  }
  return {
    ok: false,
    kind: 'torn',
    detail: `the state is no prefix of the operations (torn, reordered or wrong values); ${diff}`,
  };
}
