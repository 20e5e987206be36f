/**
 * Planner turns a query (and the expressions of DML statements) into runnable plans. It is the Analyzer of
 * expression compilation: it records parameter types as they are inferred, plans subqueries, and collects
 * aggregates of grouped query levels.
 */
import type { IoSettings } from '../types/io-settings.js';
import { SqlError, SqlState } from '../errors.js';
import type { Cte, Expr, FromItem, Select, SelectItem, SimpleSelect, SortKey, Statement } from '../ast.js';
import type { CatalogView } from '../catalog/catalog.js';
import { AGGREGATES, resolveAggregateCall, type AggregateDef } from '../expr/aggregates.js';
import { planFunctionScan } from './function-scan.js';
import { coerce, isUntyped, settle } from '../expr/coerce.js';
import { compileExpr, exprKey, unify } from '../expr/compile.js';
import type {
  AggregateCollector,
  AggregateExtras,
  Analyzer,
  Compiled,
  ExecContext,
  SubPlan,
  Evaluator,
  SrfCollectorHook,
  WindowCollectorHook,
} from '../expr/context.js';
import { sqlType, type SqlType, type Value } from '../types/sql-type.js';
import type { TableDef } from '../catalog/table-def.js';
import { chooseAccessPath, conjuncts } from './access-path.js';
import { AggregatePlan, type AggregateCall } from './aggregate.js';
import { DistinctPlan } from './distinct.js';
import { NestedLoopJoin } from './join.js';
import {
  FilterPlan,
  LimitPlan,
  MaterializePlan,
  ProjectPlan,
  RenamePlan,
  ValuesPlan,
  type Plan,
} from './plan.js';
import { Scope, type ColumnInfo, type Resolved, type Row } from './scope.js';
import { SetOpPlan } from './set-op.js';
import { RecursiveUnionPlan, WorkTablePlan } from './recursive-union.js';
import { SortPlan, type SortSpec } from './sort.js';
import { TableScan } from './table-scan.js';
import type { SystemRelations } from './system-relations.js';
import { WindowCollector } from './window-collector.js';
import { ProjectSetCollector } from './project-set.js';
import { SET_RETURNING } from '../expr/set-returning.js';
import { TableLockMode, TableLocks } from './table-locks.js';

/** FromResult is a planned FROM clause: its plan and the scope its columns form. */
interface FromResult {
  readonly plan: Plan;
  readonly columns: ColumnInfo[];
}

export class Planner implements Analyzer {
  readonly params: (SqlType | undefined)[];
  aggregates: AggregateCollector | undefined = undefined;
  windows: WindowCollectorHook | undefined = undefined;
  srfs: SrfCollectorHook | undefined = undefined;
  sleeps = false;
  clause = 'WHERE';
  private readonly ctes: Map<string, Plan>[] = [];
  private queryDepth = 0;
  /**
   * planDml plans a data-modifying WITH query (set by the executor layer, which owns INSERT/UPDATE/DELETE);
   * dmlPlans are the plans made so: each must run once per execution, whether the query reads it or not.
   */
  planDml: ((s: Statement) => Plan) | undefined = undefined;
  readonly dmlPlans: Plan[] = [];
  /** tableLocks: the table locks the statement takes before it runs (table-locks.ts). */
  readonly tableLocks = new TableLocks();

  constructor(
    readonly catalog: CatalogView,
    paramTypes: readonly (SqlType | undefined)[],
    private readonly system: SystemRelations,
    readonly io: IoSettings,
  ) {
    this.params = [...paramTypes];
  }

  /** isSystemRelation: `name` is a system catalog or view (pg_catalog, information_schema). */
  isSystemRelation(schema: string | undefined, name: string): boolean {
    return this.system.relation(schema, name, this.catalog) !== undefined;
  }

  /** compile compiles an expression in a scope, in a clause (for error messages). */
  compile(e: Expr, scope: Scope, clause: string): Compiled {
    const saved = this.clause;
    this.clause = clause;
    try {
      return compileExpr(this, e, scope);
    } finally {
      this.clause = saved;
    }
  }

  planSubquery(query: Select, outer: Scope): SubPlan {
    const before = outerRefCount(outer);
    const savedAgg = this.aggregates;
    const savedWindows = this.windows;
    const savedSrfs = this.srfs;
    this.aggregates = undefined;
    this.windows = undefined;
    this.srfs = undefined;
    let plan: Plan;
    try {
      plan = this.planQuery(query, outer);
    } finally {
      this.aggregates = savedAgg;
      this.windows = savedWindows;
      this.srfs = savedSrfs;
    }
    const correlated = outerRefCount(outer) !== before;
    return { columns: plan.columns, correlated, rows: (ex) => plan.rows(ex) };
  }

  /** planQuery plans a SELECT, VALUES or set operation. */
  planQuery(q: Select, outer: Scope | undefined): Plan {
    this.queryDepth++;
    const pushed = q.with.length > 0;
    try {
      if (pushed) this.ctes.push(this.planCtes(q.with, outer));
      switch (q.kind) {
        case 'select':
          return this.planSelect(q, outer);
        case 'values':
          return this.finishTail(this.planValues(q.rows), q.orderBy, q.limit, q.offset, outer);
        default:
          return this.finishTail(this.planSetOp(q, outer), q.orderBy, q.limit, q.offset, outer);
      }
    } finally {
      if (pushed) this.ctes.pop();
      this.queryDepth--;
    }
  }

  /** withCtes plans a WITH clause and runs `fn` with its queries in scope (WITH on INSERT, UPDATE, DELETE). */
  withCtes<T>(ctes: readonly Cte[], fn: () => T): T {
    this.queryDepth++;
    try {
      this.ctes.push(this.planCtes(ctes, undefined));
      try {
        return fn();
      } finally {
        this.ctes.pop();
      }
    } finally {
      this.queryDepth--;
    }
  }

  private planCtes(ctes: readonly Cte[], outer: Scope | undefined): Map<string, Plan> {
    const m = new Map<string, Plan>();
    this.ctes.push(m);
    try {
      for (const c of ctes) {
        if (m.has(c.name))
          throw new SqlError('42712', `WITH query name "${c.name}" specified more than once`);
        let p: Plan;
        let materialize = true;
        if (c.dml !== undefined) {
          if (this.planDml === undefined || this.queryDepth !== 1)
            throw new SqlError(
              SqlState.FEATURE_NOT_SUPPORTED,
              'WITH clause containing a data-modifying statement must be at the top level',
            );
          p = this.planDml(c.dml);
          this.dmlPlans.push(p);
        } else if (c.recursive === true && mentionsTable(c.query, c.name)) {
          p = this.planRecursive(c, m, outer);
          materialize = false; // rows are produced as they are found (a LIMIT may stop an endless one)
        } else {
          p = this.planQuery(c.query, outer);
          // NOT MATERIALIZED: computed per reference, as PostgreSQL's inlining (volatile functions differ).
          if (c.materialized === false) materialize = false;
        }
        if (c.columns.length > p.columns.length)
          throw new SqlError(
            SqlState.INVALID_COLUMN_REFERENCE,
            `WITH query "${c.name}" has ${p.columns.length} columns available but ${c.columns.length} columns specified`,
          );
        const cols = p.columns.map((col, i) => ({
          ...col,
          name: c.columns[i] ?? col.name,
          table: c.name,
          tableOid: 0,
          attnum: 0,
        }));
        m.set(
          c.name,
          new RenamePlan(materialize ? new MaterializePlan(p, `CTE Scan on ${c.name}`) : p, cols),
        );
      }
    } finally {
      this.ctes.pop();
    }
    return m;
  }

  /**
   * planRecursive plans `non-recursive term UNION [ALL] recursive term`: the recursive term reads the rows
   * the previous round produced (a work table) until a round produces none.
   */
  private planRecursive(c: Cte, m: Map<string, Plan>, outer: Scope | undefined): Plan {
    const q = c.query;
    if (q.kind !== 'setop' || q.op !== 'union' || mentionsTable(q.left, c.name))
      throw new SqlError(
        '42P19',
        `recursive query "${c.name}" does not have the form non-recursive-term UNION [ALL] recursive-term`,
      );
    if (q.orderBy.length > 0 || q.limit !== undefined || q.offset !== undefined)
      throw new SqlError(
        SqlState.FEATURE_NOT_SUPPORTED,
        'ORDER BY, LIMIT or OFFSET in a recursive query is not implemented',
      );
    const left = this.planQuery(q.left, outer);
    const cols = left.columns.map((col, i) => ({
      ...col,
      name: c.columns[i] ?? col.name,
      table: c.name,
      tableOid: 0,
      attnum: 0,
    }));
    const work = new WorkTablePlan(cols);
    m.set(c.name, work);
    let right: Plan;
    try {
      right = this.planQuery(q.right, outer);
    } finally {
      m.delete(c.name);
    }
    if (right.columns.length !== left.columns.length)
      throw new SqlError(SqlState.SYNTAX_ERROR, 'each UNION query must have the same number of columns');
    right.columns.forEach((rc, i) => {
      const lt = left.columns[i]!.type;
      if (rc.type.id !== lt.id)
        throw new SqlError(
          SqlState.DATATYPE_MISMATCH,
          `recursive query "${c.name}" column ${i + 1} has type ${lt.id} in non-recursive term but type ${rc.type.id} overall`,
          { hint: 'Cast the output of the non-recursive term to the correct type.' },
        );
    });
    return new RecursiveUnionPlan(left, right, work, q.all);
  }

  private planValues(rows: readonly (readonly Expr[])[]): Plan {
    const width = rows[0]!.length;
    for (const r of rows)
      if (r.length !== width)
        throw new SqlError(SqlState.SYNTAX_ERROR, 'VALUES lists must all be the same length', {
          position: (r[0]?.loc ?? 0) + 1,
        });
    const empty = new Scope([]);
    const compiled = rows.map((r) => r.map((e) => this.compile(e, empty, 'VALUES')));
    const cols: ColumnInfo[] = [];
    for (let c = 0; c < width; c++) {
      const unified = unify(
        this,
        compiled.map((r) => r[c]!),
        'VALUES',
        rows.map((r) => r[c]!.loc),
      );
      unified.forEach((u, i) => (compiled[i]![c] = u));
      cols.push({ name: `column${c + 1}`, type: unified[0]!.type, table: undefined, tableOid: 0, attnum: 0 });
    }
    return new ValuesPlan(
      cols,
      compiled.map((r) => r.map((c) => c.eval)),
    );
  }

  private planSetOp(q: Extract<Select, { kind: 'setop' }>, outer: Scope | undefined): Plan {
    const left = this.planQuery(q.left, outer);
    const right = this.planQuery(q.right, outer);
    const OP = q.op.toUpperCase();
    if (left.columns.length !== right.columns.length)
      throw new SqlError(SqlState.SYNTAX_ERROR, `each ${OP} query must have the same number of columns`);
    const lconv: Evaluator[] = [];
    const rconv: Evaluator[] = [];
    const cols: ColumnInfo[] = [];
    for (let i = 0; i < left.columns.length; i++) {
      const lc = left.columns[i]!;
      const rc = right.columns[i]!;
      const ref = (t: SqlType, idx: number): Compiled => ({
        type: t,
        eval: (r) => r[idx]!,
        correlated: false,
        ...(t.id === 'unknown' ? { unknownLiteral: undefined } : {}),
      });
      const [a, b] = unify(this, [asTyped(ref(lc.type, i)), asTyped(ref(rc.type, i))], OP, [0, 0]) as [
        Compiled,
        Compiled,
      ];
      lconv.push(a.eval);
      rconv.push(b.eval);
      cols.push({ name: lc.name, type: a.type, table: undefined, tableOid: 0, attnum: 0 });
    }
    return new SetOpPlan(q.op, q.all, left, right, cols, lconv, rconv);
  }

  /** finishTail applies ORDER BY / LIMIT / OFFSET to VALUES and set operations (by output column). */
  private finishTail(
    plan: Plan,
    orderBy: readonly SortKey[],
    limit: Expr | undefined,
    offset: Expr | undefined,
    outer: Scope | undefined,
  ): Plan {
    let p = plan;
    if (orderBy.length > 0) {
      const scope = new Scope(plan.columns, outer);
      const specs: SortSpec[] = orderBy.map((k) => {
        const idx = outputIndex(k.expr, plan.columns);
        const c =
          idx >= 0
            ? { type: plan.columns[idx]!.type, eval: ((r: Row) => r[idx]!) as Evaluator }
            : settle(this, this.compile(k.expr, scope, 'ORDER BY'), k.expr.loc);
        return { eval: c.eval, type: c.type, desc: k.desc, nullsFirst: k.nullsFirst };
      });
      p = new SortPlan(p, specs);
    }
    return this.limit(p, limit, offset);
  }

  private limit(p: Plan, limit: Expr | undefined, offset: Expr | undefined): Plan {
    if (limit === undefined && offset === undefined) return p;
    const empty = new Scope([]);
    const n = (e: Expr | undefined): Compiled | undefined =>
      e === undefined
        ? undefined
        : coerce(
            this,
            this.compile(e, empty, e === limit ? 'LIMIT' : 'OFFSET'),
            sqlType('int8'),
            'implicit',
            e.loc,
          );
    return new LimitPlan(p, n(limit), n(offset));
  }

  private lookupCte(name: string): Plan | undefined {
    for (let i = this.ctes.length - 1; i >= 0; i--) {
      const p = this.ctes[i]!.get(name);
      if (p !== undefined) return p;
    }
    return undefined;
  }

  /** planFrom plans one FROM item; `where` feeds access paths of tables joined by inner joins. */
  private planFromItem(item: FromItem, outer: Scope | undefined, where: readonly Expr[]): FromResult {
    switch (item.kind) {
      case 'table': {
        const alias = item.alias ?? item.name;
        if (item.schema === undefined) {
          const cte = this.lookupCte(item.name);
          if (cte !== undefined) {
            const cols = cte.columns.map((c) => ({ ...c, table: alias }));
            return { plan: new RenamePlan(cte, cols), columns: cols };
          }
        }
        const view =
          item.schema === undefined || item.schema === 'public' ? this.catalog.view(item.name) : undefined;
        if (view !== undefined) {
          const p = this.planView(view.query);
          const cols = p.columns.map((c, i) => ({
            ...c,
            name: view.columns[i] ?? c.name,
            table: alias,
          }));
          return { plan: new RenamePlan(p, cols), columns: cols };
        }
        if (
          item.schema === 'pg_catalog' ||
          item.schema === 'information_schema' ||
          (item.schema === undefined && this.catalog.get(item.name) === undefined)
        ) {
          const sys = this.system.relation(item.schema, item.name, this.catalog);
          if (sys !== undefined) {
            const cols = sys.columns.map((c) => ({ ...c, table: alias }));
            return { plan: new RenamePlan(sys, cols), columns: cols };
          }
        }
        if (item.schema !== undefined && item.schema !== 'public')
          throw new SqlError(
            SqlState.UNDEFINED_TABLE,
            `relation "${item.schema}.${item.name}" does not exist`,
            { position: item.loc + 1 },
          );
        const table = this.catalog.table(item.name, item.loc + 1);
        this.tableLocks.add(table, TableLockMode.ACCESS_SHARE);
        const path = chooseAccessPath(this, table, alias, where, outer);
        const scan = new TableScan(table, alias, path);
        return { plan: scan, columns: [...scan.columns] };
      }
      case 'subquery': {
        const p = this.planQuery(item.query, outer);
        const cols = p.columns.map((c, i) => ({
          ...c,
          name: item.columnAliases[i] ?? c.name,
          table: item.alias,
        }));
        return { plan: new RenamePlan(p, cols), columns: cols };
      }
      case 'function': {
        const scan = planFunctionScan(this, item, outer);
        return { plan: scan, columns: [...scan.columns] };
      }
      case 'join': {
        if (item.type === 'right') {
          // a RIGHT JOIN b = b LEFT JOIN a, with a's columns first in the output.
          const r = this.planFromItem(item.right, outer, []);
          const l = this.planFromItem(
            item.left,
            siblingScope(item.left, r.columns, outer),
            item.on === undefined ? [] : conjuncts(item.on),
          );
          return this.joinResult(l, r, item, outer, true);
        }
        const l = this.planFromItem(
          item.left,
          outer,
          item.type === 'inner' || item.type === 'cross' ? where : [],
        );
        const rightWhere =
          item.type === 'full'
            ? []
            : [
                ...(item.on === undefined ? [] : conjuncts(item.on)),
                ...(item.type === 'inner' || item.type === 'cross' ? where : []),
              ];
        const r = this.planFromItem(
          item.right,
          item.type === 'full' ? outer : siblingScope(item.right, l.columns, outer),
          rightWhere,
        );
        return this.joinResult(l, r, item, outer, false);
      }
    }
  }

  /**
   * joinResult joins the written left and right sides. A RIGHT join runs as a LEFT join with the right side
   * outside (`rightJoin`). USING and NATURAL merge each named pair into one column placed first, as
   * PostgreSQL does (COALESCE of the two for FULL joins); the pair stays reachable by qualified names.
   */
  private joinResult(
    l: FromResult,
    r: FromResult,
    item: Extract<FromItem, { kind: 'join' }>,
    outer: Scope | undefined,
    rightJoin: boolean,
  ): FromResult {
    // The NULL-extended side's columns are marked: a whole-row reference to it is refused (see rows.ts).
    const lNull = item.type === 'full' || item.type === 'right';
    const rNull = item.type === 'full' || item.type === 'left';
    const raw = [
      ...l.columns.map((c) => (lNull ? { ...c, nullable: true } : c)),
      ...r.columns.map((c) => (rNull ? { ...c, nullable: true } : c)),
    ];
    let on = item.on;
    let using = item.using;
    if (item.natural)
      using = l.columns
        .filter((c) => c.hidden !== true && r.columns.some((d) => d.name === c.name && d.hidden !== true))
        .map((c) => c.name);
    const pairs = using.map((name) => {
      const li = l.columns.findIndex((c) => c.name === name && c.hidden !== true);
      const ri = r.columns.findIndex((c) => c.name === name && c.hidden !== true);
      if (li < 0 || ri < 0)
        throw new SqlError(
          SqlState.UNDEFINED_COLUMN,
          `column "${name}" specified in USING clause does not exist in ${li < 0 ? 'left' : 'right'} table`,
        );
      return { name, li, ri: l.columns.length + ri };
    });
    if (pairs.length > 0) {
      const eqs: Expr[] = pairs.map((p) => ({
        kind: 'op',
        op: '=',
        left: { kind: 'column', table: raw[p.li]!.table, name: p.name, loc: 0 },
        right: { kind: 'column', table: raw[p.ri]!.table, name: p.name, loc: 0 },
        loc: 0,
      }));
      on = eqs.length === 1 ? eqs[0] : { kind: 'and', args: eqs, loc: 0 };
    }
    const condScope = new Scope(
      raw.map((c, i) => (pairs.some((p) => p.li === i || p.ri === i) ? { ...c, hidden: true } : c)),
      outer,
    );
    const cond = on === undefined ? undefined : this.compile(on, condScope, 'JOIN/ON');
    if (cond !== undefined && cond.type.id !== 'bool' && !isUntyped(cond))
      throw new SqlError(SqlState.DATATYPE_MISMATCH, `argument of JOIN/ON must be type boolean`);
    const type =
      item.type === 'cross' || item.type === 'inner' ? 'inner' : item.type === 'full' ? 'full' : 'left';
    const plan: Plan = rightJoin
      ? new NestedLoopJoin(r.plan, l.plan, 'left', cond, true)
      : new NestedLoopJoin(l.plan, r.plan, type, cond);
    if (pairs.length === 0) return { plan: new RenamePlan(plan, raw), columns: raw };
    // Merged columns first, then every original column (the merged pairs hidden: qualified names only).
    const merged: ColumnInfo[] = pairs.map((p) => ({
      ...raw[p.li]!,
      table: undefined,
      tableOid: 0,
      attnum: 0,
    }));
    const rest = raw.map((c, i) =>
      pairs.some((p) => p.li === i || p.ri === i) ? { ...c, hidden: true } : c,
    );
    const evals: Evaluator[] = [
      ...pairs.map((p): Evaluator => {
        if (item.type === 'full') return (row) => (row[p.li] !== null ? row[p.li]! : row[p.ri]!);
        const at = item.type === 'right' ? p.ri : p.li;
        return (row) => row[at]!;
      }),
      ...raw.map(
        (_, i): Evaluator =>
          (row) =>
            row[i]!,
      ),
    ];
    const columns = [...merged, ...rest];
    return { plan: new ProjectPlan(plan, columns, evals), columns };
  }

  /** planView plans a view's query on its own: no outer columns, no WITH names of the query using it. */
  planView(q: Select): Plan {
    const saved = this.ctes.splice(0, this.ctes.length);
    const depth = this.queryDepth;
    this.queryDepth = 1;
    try {
      return this.planQuery(q, undefined);
    } finally {
      this.ctes.splice(0, this.ctes.length, ...saved);
      this.queryDepth = depth;
    }
  }

  /** planFrom plans a whole FROM list (comma = cross join). */
  planFrom(from: readonly FromItem[], outer: Scope | undefined, where: readonly Expr[]): FromResult {
    if (from.length === 0) return { plan: new ValuesPlan([], [[]]), columns: [] };
    const seen = new Set<string>();
    const names = (f: FromItem): void => {
      if (f.kind === 'join') {
        names(f.left);
        names(f.right);
        return;
      }
      const name = f.kind === 'table' ? (f.alias ?? f.name) : f.alias;
      if (name === undefined) return;
      if (seen.has(name)) throw new SqlError('42712', `table name "${name}" specified more than once`);
      seen.add(name);
    };
    from.forEach(names);
    let acc = this.planFromItem(from[0]!, outer, where);
    // WHERE conjuncts that name only this level's columns are also checked as soon as the comma-joined items
    // they name are joined, so a cross join of catalog relations does not build every combination (the whole
    // WHERE still runs on top).
    const pending = from.length > 1 ? where.filter((w) => !hasSubquery(w)) : [];
    const early = (columns: ColumnInfo[]): Compiled | undefined => {
      const ready: Compiled[] = [];
      for (let k = 0; k < pending.length; k++) {
        let c: Compiled;
        try {
          // Without the enclosing scopes: a name of an item not joined yet must not resolve to an outer query.
          c = this.compile(pending[k]!, new Scope(columns), 'WHERE');
        } catch (err) {
          if (err instanceof SqlError) continue;
          throw err;
        }
        if (c.volatile === true || c.type.id !== 'bool') continue;
        ready.push(c);
        pending.splice(k--, 1);
      }
      if (ready.length === 0) return undefined;
      const fs = ready.map((c) => c.eval);
      return {
        type: sqlType('bool'),
        eval: (row, ex) => {
          for (const f of fs) if (f(row, ex) !== true) return false;
          return true;
        },
        correlated: ready.some((c) => c.correlated),
      };
    };
    const first = early(acc.columns);
    if (first !== undefined) acc = { plan: new FilterPlan(acc.plan, first), columns: acc.columns };
    for (let i = 1; i < from.length; i++) {
      const scope = siblingScope(from[i]!, acc.columns, outer);
      const before = outerRefCount(scope);
      const r = this.planFromItem(from[i]!, scope, where);
      // Catalog relations have no access paths: an item made only of them that refers to nothing outside is
      // computed once per execution instead of once per row to its left.
      const rightPlan =
        outerRefCount(scope) === before && this.onlySystemRelations(from[i]!)
          ? new MaterializePlan(r.plan, 'Materialize')
          : r.plan;
      const columns = [...acc.columns, ...r.columns];
      acc = { plan: new NestedLoopJoin(acc.plan, rightPlan, 'inner', early(columns)), columns };
    }
    return acc;
  }

  /** baseTables: the FROM items that are stored tables (not views, CTEs or subqueries), by alias. */
  private baseTables(from: readonly FromItem[]): Map<string, TableDef> {
    const out = new Map<string, TableDef>();
    const walk = (item: FromItem): void => {
      if (item.kind === 'join') {
        walk(item.left);
        walk(item.right);
      } else if (
        item.kind === 'table' &&
        (item.schema === undefined || item.schema === 'public') &&
        this.lookupCte(item.name) === undefined &&
        this.catalog.view(item.name) === undefined
      ) {
        const t = this.catalog.get(item.name);
        if (t !== undefined) out.set(item.alias ?? item.name, t);
      }
    };
    from.forEach(walk);
    return out;
  }

  /** onlySystemRelations: the FROM item reads pg_catalog / information_schema relations and nothing else. */
  private onlySystemRelations(item: FromItem): boolean {
    if (item.kind === 'join')
      return this.onlySystemRelations(item.left) && this.onlySystemRelations(item.right);
    if (item.kind !== 'table') return false;
    if (item.schema === 'pg_catalog' || item.schema === 'information_schema') return true;
    return (
      item.schema === undefined &&
      this.lookupCte(item.name) === undefined &&
      this.catalog.get(item.name) === undefined &&
      this.system.relation(undefined, item.name, this.catalog) !== undefined
    );
  }

  private planSelect(q: SimpleSelect, outer: Scope | undefined): Plan {
    const where = conjuncts(q.where);
    const from = this.planFrom(q.from, outer, where);
    const scope = new Scope(from.columns, outer);
    let plan: Plan = from.plan;
    if (q.where !== undefined) {
      const w = this.compile(q.where, scope, 'WHERE');
      plan = new FilterPlan(plan, checkBool(this, w, 'WHERE', q.where.loc));
    }
    const items = expandStars(q.items, from.columns);
    const grouped =
      q.groupBy.length > 0 ||
      q.having !== undefined ||
      items.some((i) => hasAggregate(i.expr)) ||
      q.orderBy.some((k) => hasAggregate(k.expr));
    let outScope = scope;
    let collector: Collector | undefined;
    if (grouped) {
      collector = new Collector(this, scope, outer, this.baseTables(q.from));
      const groupExprs = q.groupBy.map((g) => resolveGroupRef(g, items, scope));
      // Set-returning calls in GROUP BY run below the grouping (PostgreSQL groups their rows).
      const groupSrfs = groupExprs.some(hasSetReturning) ? new ProjectSetCollector(this) : undefined;
      this.srfs = groupSrfs;
      try {
        for (const g of groupExprs) collector.addGroup(g, this.compile(g, scope, 'GROUP BY'));
      } finally {
        this.srfs = undefined;
      }
      if (groupSrfs !== undefined) plan = groupSrfs.finish(plan);
      plan = new AggregatePlan(
        plan,
        collector.groupEvals,
        collector.groupTypes,
        collector.calls,
        collector.outputColumns,
      );
      outScope = collector.outputScope;
      this.aggregates = collector;
    }
    const windows =
      q.windows !== undefined ||
      items.some((i) => hasWindow(i.expr)) ||
      q.orderBy.some((k) => hasWindow(k.expr))
        ? new WindowCollector(this, q.windows ?? [])
        : undefined;
    // Only a level that calls set-returning functions in its select list (or ORDER BY) gets a ProjectSet.
    const srfs =
      items.some((i) => hasSetReturning(i.expr)) || q.orderBy.some((k) => hasSetReturning(k.expr))
        ? new ProjectSetCollector(this)
        : undefined;
    try {
      if (q.having !== undefined) {
        const h = this.compile(q.having, outScope, 'HAVING');
        plan = new FilterPlan(plan, checkBool(this, h, 'HAVING', q.having.loc));
      }
      // Target list, then ORDER BY keys not in it as hidden trailing columns.
      this.windows = windows;
      this.srfs = srfs;
      const outputs: Compiled[] = items.map((it) =>
        settle(this, this.compile(it.expr, outScope, 'SELECT'), it.expr.loc),
      );
      const columns: ColumnInfo[] = items.map((it, i) => outputColumn(it, outputs[i]!.type, from.columns));
      const specs: SortSpec[] = [];
      const extra: Compiled[] = [];
      for (const k of q.orderBy) {
        let idx = outputIndex(k.expr, columns, from.columns);
        if (idx < 0) {
          const key = exprKey(k.expr);
          idx = items.findIndex((it) => exprKey(it.expr) === key);
        }
        if (idx < 0) {
          if (q.distinct === true)
            throw new SqlError(
              SqlState.INVALID_COLUMN_REFERENCE,
              'for SELECT DISTINCT, ORDER BY expressions must appear in select list',
              { position: k.expr.loc + 1 },
            );
          extra.push(settle(this, this.compile(k.expr, outScope, 'ORDER BY'), k.expr.loc));
          idx = items.length + extra.length - 1;
        }
        const type = idx < items.length ? columns[idx]!.type : extra[idx - items.length]!.type;
        const at = idx;
        specs.push({ eval: (r) => r[at]!, type, desc: k.desc, nullsFirst: k.nullsFirst });
      }
      let distinctKeys: number[] | undefined;
      if (Array.isArray(q.distinct)) {
        distinctKeys = [];
        for (const d of q.distinct as readonly Expr[]) {
          let idx = outputIndex(d, columns, from.columns);
          if (idx < 0) {
            extra.push(settle(this, this.compile(d, outScope, 'DISTINCT ON'), d.loc));
            idx = items.length + extra.length - 1;
          }
          distinctKeys.push(idx);
        }
      }
      this.windows = undefined;
      this.srfs = undefined;
      if (windows !== undefined) plan = windows.finish(plan);
      // Set-returning calls run after aggregation and window functions, as in PostgreSQL.
      if (srfs !== undefined) plan = srfs.finish(plan);
      const all = [...outputs, ...extra];
      const hiddenCols = extra.map((c, i) => ({
        name: `?sort${i}?`,
        type: c.type,
        table: undefined,
        tableOid: 0,
        attnum: 0,
      }));
      plan = new ProjectPlan(
        plan,
        [...columns, ...hiddenCols],
        all.map((c) => c.eval),
      );
      if (specs.length > 0) plan = new SortPlan(plan, specs);
      if (q.distinct === true) plan = new DistinctPlan(plan);
      else if (distinctKeys !== undefined) plan = new DistinctPlan(plan, distinctKeys);
      plan = this.limit(plan, q.limit, q.offset);
      if (extra.length > 0) {
        const n = columns.length;
        plan = new ProjectPlan(
          plan,
          columns,
          columns.map((_, i) => (r: Row) => r[i]!),
        );
        void n;
      }
      return plan;
    } finally {
      if (grouped) this.aggregates = undefined;
      this.windows = undefined;
      this.srfs = undefined;
    }
  }
}

/** hasSubquery: the expression contains a subquery (not checked early: it may be costly or volatile). */
function hasSubquery(e: Expr): boolean {
  let found = false;
  const walk = (x: unknown): void => {
    if (found || x === null || typeof x !== 'object') return;
    if ((x as { kind?: string }).kind === 'subquery') {
      found = true;
      return;
    }
    for (const v of Object.values(x)) walk(v);
  };
  walk(e);
  return found;
}

function asTyped(c: Compiled): Compiled {
  return c.type.id === 'unknown' ? { ...c, unknownLiteral: undefined } : c;
}

/**
 * siblingScope is the scope a FROM item after others is planned in: their columns (a table looks its rows up
 * by key from them; the join runs it with the row of the items before it as the innermost outer row). A
 * subquery without LATERAL may not refer to them: its scope level stays, without names.
 */
function siblingScope(item: FromItem, siblings: ColumnInfo[], outer: Scope | undefined): Scope {
  if (item.kind === 'subquery' && item.lateral !== true) return new Scope([], outer);
  return new Scope(siblings, outer);
}

/** mentionsTable: the query names a relation `name` without a schema anywhere (subqueries included). */
export function mentionsTable(q: unknown, name: string): boolean {
  let found = false;
  const walk = (x: unknown): void => {
    if (found || x === null || typeof x !== 'object') return;
    if (Array.isArray(x)) {
      for (const y of x) walk(y);
      return;
    }
    const o = x as Record<string, unknown>;
    if (o.kind === 'table' && o.schema === undefined && o.name === name) {
      found = true;
      return;
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(q);
  return found;
}

function outerRefCount(s: Scope | undefined): number {
  let n = 0;
  for (let x = s; x !== undefined; x = x.parent) n += x.outerRefs;
  return n;
}

function checkBool(an: Analyzer, c: Compiled, clause: string, loc: number): Compiled {
  if (isUntyped(c)) return coerce(an, c, sqlType('bool'), 'implicit', loc);
  if (c.type.id !== 'bool')
    throw new SqlError(
      SqlState.DATATYPE_MISMATCH,
      `argument of ${clause} must be type boolean, not type ${c.type.id === 'int4' ? 'integer' : c.type.id}`,
      { position: loc + 1 },
    );
  return c;
}

/**
 * callsAtThisLevel: some call in the expression (not inside a subquery) satisfies `is`; the walk stops at
 * the first one, and `is` does not see what lies inside it.
 */
function callsAtThisLevel(e: Expr, is: (call: { name?: string; over?: unknown }) => boolean): boolean {
  let found = false;
  const walk = (x: unknown): void => {
    if (found || x === null || typeof x !== 'object') return;
    const n = x as { kind?: string; name?: string; over?: unknown };
    if (n.kind === 'subquery') return;
    if (n.kind === 'func' && is(n)) {
      found = true;
      return;
    }
    for (const v of Object.values(x)) walk(v);
  };
  walk(e);
  return found;
}

/** hasWindow: the expression has a call with OVER at this query level (not inside a subquery). */
function hasWindow(e: Expr): boolean {
  return callsAtThisLevel(e, (c) => c.over !== undefined);
}

/** hasSetReturning: the expression calls a set-returning function at this query level (not in a subquery). */
export function hasSetReturning(e: Expr): boolean {
  return callsAtThisLevel(e, (c) => SET_RETURNING.has(c.name!));
}

/** hasAggregate: the expression calls an aggregate at this query level (not inside a subquery). */
export function hasAggregate(e: Expr): boolean {
  // An aggregate with OVER is a window call; its arguments may still hold plain aggregates.
  return callsAtThisLevel(e, (c) => Object.hasOwn(AGGREGATES, c.name!) && c.over === undefined);
}

function expandStars(items: readonly SelectItem[], columns: readonly ColumnInfo[]): SelectItem[] {
  const out: SelectItem[] = [];
  for (const it of items) {
    if (it.expr.kind !== 'star') {
      out.push(it);
      continue;
    }
    const table = it.expr.table;
    const cols = columns.filter((c) => c.hidden !== true && (table === undefined || c.table === table));
    if (table !== undefined && !columns.some((c) => c.table === table))
      throw new SqlError(SqlState.UNDEFINED_TABLE, `missing FROM-clause entry for table "${table}"`, {
        position: it.expr.loc + 1,
      });
    if (table === undefined && columns.length === 0)
      throw new SqlError(SqlState.SYNTAX_ERROR, 'SELECT * with no tables specified is not valid', {
        position: it.expr.loc + 1,
      });
    for (const c of cols)
      out.push({
        expr: { kind: 'column', table: c.table, name: c.name, loc: it.expr.loc },
        alias: c.name,
        loc: it.loc,
      });
  }
  return out;
}

/** resolveGroupRef: GROUP BY 2 and GROUP BY alias refer to target list entries. */
function resolveGroupRef(g: Expr, items: readonly SelectItem[], input: Scope): Expr {
  // A bare name is an input column if there is one, else an output column's alias (as PostgreSQL).
  if (g.kind === 'column' && g.table === undefined && !input.columns.some((c) => c.name === g.name)) {
    const item = items.find((it) => it.alias === g.name);
    if (item !== undefined) return item.expr;
  }
  if (g.kind === 'literal' && g.literal.kind === 'int') {
    const n = Number(g.literal.value);
    if (n < 1 || n > items.length)
      throw new SqlError(SqlState.INVALID_COLUMN_REFERENCE, `GROUP BY position ${n} is not in select list`, {
        position: g.loc + 1,
      });
    return items[n - 1]!.expr;
  }
  return g;
}

/** outputIndex: ORDER BY 2, or a bare name that is an output column (and not ambiguous), else -1. */
function outputIndex(e: Expr, columns: readonly ColumnInfo[], _input?: readonly ColumnInfo[]): number {
  if (e.kind === 'literal' && e.literal.kind === 'int') {
    const n = Number(e.literal.value);
    if (n < 1 || n > columns.length)
      throw new SqlError(SqlState.INVALID_COLUMN_REFERENCE, `ORDER BY position ${n} is not in select list`, {
        position: e.loc + 1,
      });
    return n - 1;
  }
  if (e.kind === 'column' && e.table === undefined) {
    const matches = columns.map((c, i) => (c.name === e.name ? i : -1)).filter((i) => i >= 0);
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1)
      throw new SqlError(SqlState.AMBIGUOUS_COLUMN, `ORDER BY "${e.name}" is ambiguous`, {
        position: e.loc + 1,
      });
  }
  return -1;
}

/** figureName is PostgreSQL's FigureColname: the name a target-list entry gets without an alias. */
export function figureName(e: Expr): string | undefined {
  return figure(e)?.[0];
}

/**
 * figure returns a name and its strength, as FigureColnameInternal does: 2 for a name taken from a column,
 * function or construct, 1 for a fallback (a cast's type name, "case"), which an enclosing cast overrides.
 */
function figure(e: Expr): [string, number] | undefined {
  switch (e.kind) {
    case 'column':
      return [e.name, 2];
    case 'func':
      return [e.name.split('.').pop()!, 2];
    case 'cast': {
      const inner = figure(e.arg);
      if (inner !== undefined && inner[1] > 1) return inner;
      return [e.type.name.split('.').pop()!, 1];
    }
    case 'case': {
      // A CASE takes its ELSE's name when that is a strong one (FigureColnameInternal).
      const inner = e.else === undefined ? undefined : figure(e.else);
      return inner !== undefined && inner[1] > 1 ? inner : ['case', 1];
    }
    case 'coalesce':
      return ['coalesce', 2];
    case 'nullif':
      return ['nullif', 2];
    case 'minmax':
      return [e.op, 2];
    case 'array':
      return ['array', 2];
    case 'row':
      return ['row', 2];
    case 'subscript':
      return figure(e.arg);
    case 'subquery':
      if (e.mode === 'exists') return ['exists', 2];
      if (e.mode === 'array') return ['array', 2];
      if (e.mode === 'scalar' && e.query.kind === 'select' && e.query.items.length === 1) {
        const it = e.query.items[0]!;
        return it.alias !== undefined ? [it.alias, 2] : figure(it.expr);
      }
      return undefined;
    case 'special':
      return [e.name, 2];
    default:
      return undefined;
  }
}

function outputColumn(it: SelectItem, type: SqlType, input: readonly ColumnInfo[]): ColumnInfo {
  const name = it.alias ?? figureName(it.expr) ?? '?column?';
  if (it.expr.kind === 'column') {
    const e = it.expr;
    const src = input.find((c) => c.name === e.name && (e.table === undefined || c.table === e.table));
    if (src !== undefined)
      return { name, type, table: undefined, tableOid: src.tableOid, attnum: src.attnum };
  }
  return { name, type, table: undefined, tableOid: 0, attnum: 0 };
}

/** Collector gathers GROUP BY keys and aggregate calls of one query level. */
class Collector implements AggregateCollector {
  readonly groupEvals: Evaluator[] = [];
  readonly groupTypes: SqlType[] = [];
  readonly calls: AggregateCall[] = [];
  readonly outputColumns: ColumnInfo[] = [];
  private readonly groupKeys: string[] = [];
  readonly outputScope: Scope;

  /** groupColumns: the GROUP BY expressions that are plain columns of this level, with their slots. */
  private readonly groupColumns: { column: ColumnInfo; slot: number }[] = [];
  /** dependents: slots of functionally dependent columns already added, by table alias and attnum. */
  private readonly dependents = new Map<string, number>();

  constructor(
    private readonly an: Analyzer,
    readonly inputScope: Scope,
    outer: Scope | undefined,
    private readonly baseTables: ReadonlyMap<string, TableDef>,
  ) {
    this.outputScope = new Scope(this.outputColumns, outer);
  }

  addGroup(e: Expr, c: Compiled): void {
    // A whole-row reference (GROUP BY t) is grouped by as an expression.
    if (e.kind === 'column' && (e.table !== undefined || this.inputScope.wholeRow(e.name) === undefined)) {
      const r = this.inputScope.resolve(e.table, e.name, e.loc);
      if (r.depth === 0) this.groupColumns.push({ column: r.column, slot: this.groupEvals.length });
    }
    const s = settle(this.an, c, e.loc);
    this.groupKeys.push(exprKey(e));
    this.groupEvals.push(s.eval);
    this.groupTypes.push(s.type);
    this.outputColumns.push({
      name: e.kind === 'column' ? e.name : '?group?',
      type: s.type,
      table: undefined,
      tableOid: 0,
      attnum: 0,
      hidden: true,
    });
  }

  groupSlot(key: string): number {
    return this.groupKeys.indexOf(key);
  }

  dependent(r: Resolved): Compiled | undefined {
    const c = r.column;
    // The same column grouped by under another spelling (cust and o.cust).
    const same = this.groupColumns.find((g) => g.column === c);
    if (same !== undefined) {
      const at = same.slot;
      return { type: this.groupTypes[at]!, eval: (row) => row[at]!, correlated: false };
    }
    const t = c.table === undefined ? undefined : this.baseTables.get(c.table);
    if (t === undefined || t.id !== c.tableOid || t.primaryKey.length === 0) return undefined;
    const grouped = t.primaryKey.every((pos) =>
      this.groupColumns.some(
        (g) => g.column.table === c.table && g.column.tableOid === t.id && g.column.attnum === pos + 1,
      ),
    );
    if (!grouped) return undefined;
    // The column has one value per group: carry it through as an aggregate that keeps that value.
    const key = `${c.table}.${c.attnum}`;
    let slot = this.dependents.get(key);
    if (slot === undefined) {
      const at = r.index;
      this.calls.push({
        def: anyValue(c.type),
        args: [(row) => row[at]!],
        argTypes: [c.type],
        distinct: false,
      });
      slot = this.groupEvals.length + this.calls.length - 1;
      this.dependents.set(key, slot);
      this.outputColumns.push({ ...c, hidden: true });
    }
    const at = slot;
    return { type: c.type, eval: (row) => row[at]!, correlated: false };
  }

  add(
    name: string,
    args: readonly Compiled[],
    distinct: boolean,
    star: boolean,
    loc: number,
    extras?: AggregateExtras,
  ): { slot: number; type: SqlType } {
    const { def, args: cs } = resolveAggregateCall(this.an, name, args, star, loc);
    this.calls.push({
      def,
      args: cs.map((c) => c.eval),
      argTypes: cs.map((c) => c.type),
      distinct,
      filter: extras?.filter,
      order: extras?.order,
    });
    const slot = this.groupEvals.length + this.calls.length - 1;
    this.outputColumns.push({
      name,
      type: def.result,
      table: undefined,
      tableOid: 0,
      attnum: 0,
      hidden: true,
    });
    return { slot, type: def.result };
  }
}

export type { ExecContext };

/** anyValue: an aggregate that keeps the first value it sees (for columns with one value per group). */
function anyValue(type: SqlType): AggregateDef {
  return {
    argTypes: [type],
    result: type,
    keepsNulls: true,
    make: () => {
      let v: Value = null;
      let seen = false;
      return {
        add: ([x]) => {
          if (!seen) [v, seen] = [x!, true];
        },
        result: () => v,
      };
    },
  };
}
