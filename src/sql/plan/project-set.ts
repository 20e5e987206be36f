/**
 * ProjectSet: set-returning functions in a select list (PostgreSQL 10+ semantics). For each input row the
 * calls of one level run in lockstep: as many rows as the longest set, shorter sets padded with NULL, no row
 * when every set is empty. A call whose arguments hold another set-returning call runs one level above it
 * (a ProjectSet over a ProjectSet), as PostgreSQL stacks them. Each level appends its calls' values to the
 * input row; the select list reads them from there, so expressions around a call run once per set row.
 */
import { notSupported } from '../errors.js';
import type { Expr } from '../ast.js';
import { compileExpr } from '../expr/compile.js';
import type { Analyzer, Compiled, ExecContext, SrfCollectorHook } from '../expr/context.js';
import type { SqlType, Value } from '../types/sql-type.js';
import { resolveTableFunction, type TableFunction } from './function-scan.js';
import { indent, type Plan } from './plan.js';
import type { ColumnInfo, Row, Scope } from './scope.js';

/** SrfCall: one set-returning call of a select list, with its arguments compiled against its level's input. */
interface SrfCall {
  readonly args: readonly Compiled[];
  readonly run: TableFunction;
  readonly type: SqlType;
}

/** ProjectSetPlan runs one level's calls over each input row, appending their values. */
export class ProjectSetPlan implements Plan {
  readonly columns: readonly ColumnInfo[];
  constructor(
    private readonly input: Plan,
    private readonly calls: readonly SrfCall[],
  ) {
    this.columns = [
      ...input.columns,
      ...calls.map((c, i) => ({ name: `?srf${i}?`, type: c.type, table: undefined, tableOid: 0, attnum: 0 })),
    ];
  }

  *rows(ex: ExecContext): Iterable<Row> {
    const calls = this.calls;
    const n = calls.length;
    for (const r of this.input.rows(ex)) {
      const sets: (Iterator<Row> | undefined)[] = calls.map((c) => {
        const vs = c.args.map((a) => a.eval(r, ex));
        // Strict, as in FROM: a NULL argument gives the empty set.
        return vs.some((v) => v === null) ? undefined : c.run(vs, ex)[Symbol.iterator]();
      });
      for (;;) {
        const out: Row = r.slice();
        let live = false;
        for (let i = 0; i < n; i++) {
          const it = sets[i];
          let v: Value = null;
          if (it !== undefined) {
            const next = it.next();
            if (next.done === true) sets[i] = undefined;
            else {
              live = true;
              v = next.value[0]!;
            }
          }
          out.push(v);
        }
        if (!live) break;
        yield out;
      }
    }
  }

  explain(): string[] {
    return ['ProjectSet', ...indent(this.input.explain())];
  }
}

/** ProjectSetCollector takes a select list's set-returning calls, then puts the ProjectSet levels in place. */
export class ProjectSetCollector implements SrfCollectorHook {
  private readonly levels: SrfCall[][] = [];
  /** bases: where each level's values start in its output rows (known at finish). */
  private readonly bases: number[] = [];
  /** deepest: the highest level (0-based) among the calls compiled since the enclosing arguments began. */
  private deepest = -1;

  constructor(private readonly an: Analyzer) {}

  add(call: Extract<Expr, { kind: 'func' }>, scope: Scope): Compiled {
    const outside = this.deepest;
    this.deepest = -1;
    const raw = call.args.map((a) => compileExpr(this.an, a, scope));
    // One level above the calls in its arguments, so it runs over their rows.
    const level = this.deepest + 1;
    this.deepest = Math.max(outside, level);
    const r = resolveTableFunction(this.an, call.name, raw, call.loc);
    if (r === undefined) throw notSupported(`${call.name}() in a select list`, call.loc + 1);
    if (r.columns.length !== 1)
      throw notSupported(`${call.name}() in a select list (it returns records)`, call.loc + 1);
    const type = r.columns[0]!.type;
    const calls = (this.levels[level] ??= []);
    const at = calls.length;
    calls.push({ args: r.args, run: r.run, type });
    const bases = this.bases;
    return {
      type,
      eval: (row) => row[bases[level]! + at]!,
      correlated: raw.some((c) => c.correlated),
      volatile: true,
    };
  }

  /** finish puts one ProjectSet per level over `input` (the rows the calls were compiled against). */
  finish(input: Plan): Plan {
    let plan = input;
    for (let i = 0; i < this.levels.length; i++) {
      this.bases[i] = plan.columns.length;
      plan = new ProjectSetPlan(plan, this.levels[i] ?? []);
    }
    return plan;
  }
}
