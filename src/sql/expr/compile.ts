/**
 * The expression compiler: shale's syntax tree → closures over a row, with static types decided as
 * PostgreSQL decides them (literals and parameters typed by context, numbers widened to a common type).
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { Expr, Literal } from '../ast.js';
import type { Scope, WholeRow } from '../plan/scope.js';
import { castValue } from '../types/cast.js';
import { compareFor } from '../types/compare.js';
import { parseNumeric } from '../types/numeric.js';
import { numericPower } from '../types/numeric-math.js';
import { floatPower } from '../types/float-math.js';
import { isInfiniteDate } from '../types/datetime.js';
import {
  TYPE_INFO,
  arrayElement,
  isInteger as isIntegerType,
  isNumericType,
  isStringType,
  sqlType,
  typeIdByName,
  type SqlType,
  type Value,
} from '../types/sql-type.js';
import { formatValue } from '../types/text-io.js';
import { arithmetic, type ArithOp } from './arithmetic.js';
import { coerce, commonType, isUntyped, settle } from './coerce.js';
import type {
  AggregateExtras,
  Analyzer,
  Compiled,
  Evaluator,
  ExecContext,
  SrfCollectorHook,
} from './context.js';
import { isWindowFunction, refusing } from './window-functions.js';
import { regexMatch } from './regex.js';
import { BITWISE_OPERATORS, bitwiseNot, compileBitwise } from './bitwise.js';
import { compileQuantified } from './quantified.js';
import { compileJsonbConcat, compileJsonOp } from './json-ops.js';
import { compileDatetimeArith, negateIntervalValue } from './datetime-arith.js';
import { AGGREGATES } from './aggregates.js';
import { compileFunction } from './functions.js';
import { likeMatcher } from './like.js';
import { resolveTypeName } from './type-name.js';
import { arrayTypeOf, compileAnyAll, compileArray, compileArrayConcat, compileSubscript } from './arrays.js';
import { regCast } from './reg-types.js';
import { localOf } from '../types/time-zone.js';
import { SET_RETURNING, misplaced, refusingSrf, withSrfs } from './set-returning.js';
import { checkRowLengths, checkWholeRow, compileRow, compileRowComparison, type RowPair } from './rows.js';
import { rowIsNotNull, rowIsNull } from '../types/record.js';

const TEXT = sqlType('text');
const BOOL = sqlType('bool');

function constant(type: SqlType, v: Value): Compiled {
  return { type, eval: () => v, correlated: false };
}

/** exprKey identifies an expression structurally (locations ignored): GROUP BY matching. */
export function exprKey(e: Expr): string {
  return JSON.stringify(e, (k, v) => (k === 'loc' ? undefined : v));
}

/** compileExpr compiles e in scope. */
export function compileExpr(an: Analyzer, e: Expr, scope: Scope): Compiled {
  const agg = an.aggregates;
  if (agg !== undefined && e.kind !== 'literal' && e.kind !== 'param') {
    const slot = agg.groupSlot(exprKey(e));
    if (slot >= 0) {
      const col = agg.outputScope.columns[slot]!;
      return { type: col.type, eval: (row) => row[slot]!, correlated: false };
    }
  }
  switch (e.kind) {
    case 'literal':
      return compileLiteral(e.literal, e.loc);
    case 'param': {
      const i = e.index - 1;
      if (i < 0 || i >= 65535)
        throw new SqlError(SqlState.UNDEFINED_PARAMETER, `there is no parameter $${e.index}`, {
          position: e.loc + 1,
        });
      while (an.params.length <= i) an.params.push(undefined);
      const known = an.params[i];
      if (known !== undefined) return { type: known, eval: (_r, ex) => ex.params[i]!, correlated: false };
      return { type: sqlType('unknown'), eval: (_r, ex) => ex.params[i]!, correlated: false, paramIndex: i };
    }
    case 'column': {
      const s = agg !== undefined ? agg.inputScope : scope;
      const whole = e.table === undefined ? s.wholeRow(e.name) : undefined;
      if (whole !== undefined) return compileWholeRow(an, e.name, whole, e.loc);
      const r = s.resolve(e.table, e.name, e.loc);
      const dependent = agg !== undefined && r.depth === 0 ? agg.dependent(r) : undefined;
      if (dependent !== undefined) return dependent;
      if (agg !== undefined && r.depth === 0)
        throw new SqlError(
          SqlState.GROUPING_ERROR,
          `column "${r.column.table === undefined ? '' : r.column.table + '.'}${e.name}" must appear in the GROUP BY clause or be used in an aggregate function`,
          { position: e.loc + 1 },
        );
      return columnRef(
        r.depth - (agg !== undefined ? 0 : 0),
        r.index,
        r.column.type,
        agg !== undefined && r.depth > 0,
      );
    }
    case 'star':
      throw new SqlError(SqlState.SYNTAX_ERROR, 'a * is only allowed in a select list or in count(*)', {
        position: e.loc + 1,
      });
    case 'op':
      return compileOp(an, e.op, e.left, e.right, scope, e.loc);
    case 'and':
    case 'or':
      return compileBool(an, e.kind, e.args, scope);
    case 'not': {
      const a = boolOperand(an, e.arg, scope, 'NOT');
      const f = a.eval;
      return {
        type: BOOL,
        eval: (r, ex) => {
          const v = f(r, ex);
          return v === null ? null : !v;
        },
        correlated: a.correlated,
        volatile: a.volatile,
      };
    }
    case 'isNull': {
      const a = compileExpr(an, e.arg, scope);
      const f = a.eval;
      const neg = e.negated;
      // A row IS NULL when every field is, IS NOT NULL when none is (so both can be false).
      if (a.type.id === 'record') {
        const test = neg ? rowIsNotNull : rowIsNull;
        return {
          type: BOOL,
          eval: (r, ex) => test(f(r, ex)),
          correlated: a.correlated,
          volatile: a.volatile,
        };
      }
      return {
        type: BOOL,
        eval: (r, ex) => (f(r, ex) === null) !== neg,
        correlated: a.correlated,
        volatile: a.volatile,
      };
    }
    case 'isBool': {
      const a = boolOperand(an, e.arg, scope, 'IS');
      const f = a.eval;
      const want = e.value;
      const neg = e.negated;
      return {
        type: BOOL,
        eval: (r, ex) => (f(r, ex) === want) !== neg,
        correlated: a.correlated,
        volatile: a.volatile,
      };
    }
    case 'inList':
      return compileIn(an, e.arg, e.list, e.negated, scope, e.loc);
    case 'between': {
      const ge: Expr = { kind: 'op', op: '>=', left: e.arg, right: e.low, loc: e.loc };
      const le: Expr = { kind: 'op', op: '<=', left: e.arg, right: e.high, loc: e.loc };
      let body: Expr = { kind: 'and', args: [ge, le], loc: e.loc };
      if (e.symmetric) {
        const ge2: Expr = { kind: 'op', op: '>=', left: e.arg, right: e.high, loc: e.loc };
        const le2: Expr = { kind: 'op', op: '<=', left: e.arg, right: e.low, loc: e.loc };
        body = { kind: 'or', args: [body, { kind: 'and', args: [ge2, le2], loc: e.loc }], loc: e.loc };
      }
      return compileExpr(an, e.negated ? { kind: 'not', arg: body, loc: e.loc } : body, scope);
    }
    case 'like': {
      // bpcharlike: char(n) LIKE matches the padded value.
      const a = textOperand(an, e.arg, scope, true);
      const p = textOperand(an, e.pattern, scope);
      const esc = e.escape === undefined ? undefined : textOperand(an, e.escape, scope);
      const fa = a.eval;
      const fp = p.eval;
      const fe = esc?.eval;
      const neg = e.negated;
      const ci = e.insensitive;
      let lastPattern: string | null = null;
      let lastEscape: string | null = null;
      let matcher: (s: string) => boolean = () => false;
      return {
        type: BOOL,
        eval: (r, ex) => {
          const s = fa(r, ex);
          const pat = fp(r, ex);
          const escape = fe === undefined ? '\\' : fe(r, ex);
          if (s === null || pat === null || escape === null) return null;
          if (pat !== lastPattern || escape !== lastEscape) {
            matcher = likeMatcher(pat as string, ci, escape as string);
            lastPattern = pat as string;
            lastEscape = escape as string;
          }
          return matcher(s as string) !== neg;
        },
        correlated: a.correlated || p.correlated || esc?.correlated === true,
        volatile: a.volatile || p.volatile || esc?.volatile === true,
      };
    }
    case 'cast': {
      const to = resolveTypeName(e.type);
      // ARRAY[]::t[] : an empty constructor takes its type from the cast.
      if (e.arg.kind === 'array' && e.arg.elements.length === 0 && arrayElement(to.id) !== undefined)
        return constant(to, []);
      const a = compileExpr(an, e.arg, scope);
      // A literal that does not parse is reported at the literal, as PostgreSQL does.
      const at = e.arg.kind === 'literal' ? e.arg.loc : e.loc;
      return regCast(an, a, to, at) ?? coerce(an, a, to, 'explicit', at);
    }
    case 'anyAll':
      return compileAnyAll(
        an,
        e.op,
        compileExpr(an, e.left, scope),
        compileExpr(an, e.right, scope),
        e.all,
        e.loc,
      );
    case 'array': {
      const elems = unify(
        an,
        e.elements.map((x) => compileExpr(an, x, scope)),
        'ARRAY',
        e.elements.map((x) => x.loc),
      );
      if (elems.length === 0)
        throw new SqlError(SqlState.INDETERMINATE_DATATYPE, 'cannot determine type of empty array', {
          position: e.loc + 1,
          hint: 'Explicitly cast to the desired type, for example ARRAY[]::integer[].',
        });
      return compileArray(elems, elems[0]!.type, e.loc);
    }
    case 'row':
      return compileRow(
        e.args.map((a) => compileExpr(an, a, scope)),
        undefined,
      );
    case 'subscript':
      return compileSubscript(an, compileExpr(an, e.arg, scope), compileExpr(an, e.index, scope), e.loc);
    case 'func':
      return compileFunc(an, e, scope);
    case 'case':
      return an.srfs === undefined
        ? compileCase(an, e, scope)
        : withSrfs(an, SRF_IN_CASE, () => compileCase(an, e, scope));
    case 'coalesce': {
      const args = unify(
        an,
        e.args.map((x) =>
          an.srfs === undefined
            ? compileExpr(an, x, scope)
            : withSrfs(an, SRF_IN_COALESCE, () => compileExpr(an, x, scope)),
        ),
        'COALESCE',
        e.args.map((x) => x.loc),
      );
      const fs = args.map((a) => a.eval);
      return {
        type: args[0]!.type,
        eval: (r, ex) => {
          for (const f of fs) {
            const v = f(r, ex);
            if (v !== null) return v;
          }
          return null;
        },
        correlated: args.some((a) => a.correlated),
        volatile: args.some((a) => a.volatile),
      };
    }
    case 'nullif': {
      const eq = compileOp(an, '=', e.left, e.right, scope, e.loc);
      const left = settle(an, compileExpr(an, e.left, scope), e.left.loc);
      const fl = left.eval;
      const fe = eq.eval;
      return {
        type: left.type,
        eval: (r, ex) => (fe(r, ex) === true ? null : fl(r, ex)),
        correlated: eq.correlated,
        volatile: eq.volatile,
      };
    }
    case 'minmax': {
      const args = unify(
        an,
        e.args.map((x) => compileExpr(an, x, scope)),
        e.op.toUpperCase(),
        e.args.map((x) => x.loc),
      );
      const cmp = compareFor(args[0]!.type.id);
      const fs = args.map((a) => a.eval);
      const sign = e.op === 'greatest' ? 1 : -1;
      return {
        type: args[0]!.type,
        eval: (r, ex) => {
          let best: Value = null;
          for (const f of fs) {
            const v = f(r, ex);
            if (v !== null && (best === null || sign * cmp(v, best) > 0)) best = v;
          }
          return best;
        },
        correlated: args.some((a) => a.correlated),
        volatile: args.some((a) => a.volatile),
      };
    }
    case 'subquery':
      return compileSubquery(an, e, scope);
    case 'special':
      return compileSpecial(e.name);
    case 'default':
      throw new SqlError(SqlState.SYNTAX_ERROR, 'DEFAULT is not allowed in this context', {
        position: e.loc + 1,
      });
    case 'quantified':
      return compileQuantified(an, e, scope);
  }
}

/**
 * compileWholeRow compiles a FROM item named as a value into a record of its columns. In an aggregate
 * query each column must be grouped or depend on a grouped primary key, else 42803 names `t.*`.
 */
function compileWholeRow(an: Analyzer, name: string, w: WholeRow, loc: number): Compiled {
  checkWholeRow(name, w, loc);
  const agg = an.aggregates;
  const fields = w.columns.map((c, i): Compiled => {
    const r = { depth: w.depth, index: w.indexes[i]!, column: c };
    if (agg === undefined || w.depth > 0) return columnRef(w.depth, r.index, c.type, false);
    const d = agg.dependent(r);
    if (d === undefined)
      throw new SqlError(
        SqlState.GROUPING_ERROR,
        `column "${name}.*" must appear in the GROUP BY clause or be used in an aggregate function`,
        { position: loc + 1 },
      );
    return d;
  });
  return compileRow(
    fields,
    w.columns.map((c) => c.name),
  );
}

function columnRef(depth: number, index: number, type: SqlType, _outerOfGroup: boolean): Compiled {
  if (depth === 0) return { type, eval: (row) => row[index]!, correlated: false };
  return {
    type,
    eval: (_row, ex) => ex.outer[ex.outer.length - depth]![index]!,
    correlated: true,
  };
}

function compileLiteral(l: Literal, loc: number): Compiled {
  switch (l.kind) {
    case 'null':
      return { type: sqlType('unknown'), eval: () => null, correlated: false, nullLiteral: true };
    case 'bool':
      return constant(BOOL, l.value);
    case 'string':
      return { type: sqlType('unknown'), eval: () => l.value, correlated: false, unknownLiteral: l.value };
    case 'int': {
      const n = BigInt(l.value);
      if (n >= -2147483648n && n <= 2147483647n) return constant(sqlType('int4'), Number(n));
      if (n >= -(2n ** 63n) && n < 2n ** 63n) return constant(sqlType('int8'), n);
      return constant(sqlType('numeric'), l.value);
    }
    case 'float': {
      // The lexer makes integers beyond int4 "float" constants; like PostgreSQL, type them int4 or int8
      // when they fit, numeric otherwise (a point or exponent is always numeric).
      if (/^-?\d+$/.test(l.value)) {
        const n = BigInt(l.value);
        if (n >= -2147483648n && n <= 2147483647n) return constant(sqlType('int4'), Number(n));
        if (n >= -(2n ** 63n) && n < 2n ** 63n) return constant(sqlType('int8'), n);
      }
      try {
        return constant(sqlType('numeric'), parseNumeric(l.value));
      } catch (err) {
        if (err instanceof SqlError) err.position = loc + 1;
        throw err;
      }
    }
  }
}

function boolOperand(an: Analyzer, e: Expr, scope: Scope, what: string): Compiled {
  const c = compileExpr(an, e, scope);
  if (isUntyped(c) || c.type.id === 'unknown') return coerce(an, c, BOOL, 'implicit', e.loc);
  if (c.type.id !== 'bool')
    throw new SqlError(
      SqlState.DATATYPE_MISMATCH,
      `argument of ${what} must be type boolean, not type ${TYPE_INFO[c.type.id].pgName}`,
      { position: e.loc + 1 },
    );
  return c;
}

function textOperand(an: Analyzer, e: Expr, scope: Scope, keepPadding = false): Compiled {
  const c = compileExpr(an, e, scope);
  if (isUntyped(c) || c.type.id === 'unknown') return coerce(an, c, TEXT, 'implicit', e.loc);
  if (!isStringType(c.type.id))
    throw new SqlError(
      SqlState.UNDEFINED_FUNCTION,
      `operator does not exist: ${TYPE_INFO[c.type.id].pgName} ~~ text`,
      {
        position: e.loc + 1,
        hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.',
      },
    );
  if (c.type.id === 'bpchar' && !keepPadding) {
    const f = c.eval;
    return {
      ...c,
      type: TEXT,
      eval: (r, ex) => {
        const v = f(r, ex);
        return v === null ? null : (v as string).replace(/ +$/, '');
      },
    };
  }
  return c;
}

function compileBool(
  an: Analyzer,
  kind: 'and' | 'or',
  args: readonly Expr[],
  scope: Scope,
  compiled: readonly Compiled[] = [],
): Compiled {
  const cs = [...args.map((a) => boolOperand(an, a, scope, kind.toUpperCase())), ...compiled];
  const fs = cs.map((c) => c.eval);
  const correlated = cs.some((c) => c.correlated);
  const volatile = cs.some((c) => c.volatile);
  if (kind === 'and')
    return {
      type: BOOL,
      eval: (r, ex) => {
        let sawNull = false;
        for (const f of fs) {
          const v = f(r, ex);
          if (v === false) return false;
          if (v === null) sawNull = true;
        }
        return sawNull ? null : true;
      },
      correlated,
      volatile,
    };
  return {
    type: BOOL,
    eval: (r, ex) => {
      let sawNull = false;
      for (const f of fs) {
        const v = f(r, ex);
        if (v === true) return true;
        if (v === null) sawNull = true;
      }
      return sawNull ? null : false;
    },
    correlated,
    volatile,
  };
}

/** unify brings several expressions to one type (CASE, COALESCE, IN lists, VALUES columns, UNION). */
export function unify(an: Analyzer, cs: Compiled[], what: string, locs: readonly number[]): Compiled[] {
  let target: SqlType | undefined;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (isUntyped(c) || c.type.id === 'unknown') continue;
    if (target === undefined) target = c.type;
    else {
      const t = commonType(target, c.type);
      if (t === undefined)
        throw new SqlError(
          SqlState.DATATYPE_MISMATCH,
          `${what} types ${TYPE_INFO[target.id].pgName} and ${TYPE_INFO[c.type.id].pgName} cannot be matched`,
          { position: locs[i]! + 1 },
        );
      target = t;
    }
  }
  target ??= TEXT;
  return cs.map((c, i) => coerce(an, c, target, 'implicit', locs[i]!));
}

const LIKE_OPERATORS: Record<string, { negated: boolean; insensitive: boolean }> = {
  '~~': { negated: false, insensitive: false },
  '!~~': { negated: true, insensitive: false },
  '~~*': { negated: false, insensitive: true },
  '!~~*': { negated: true, insensitive: true },
};

const REGEX_OPERATORS = new Set(['~', '~*', '!~', '!~*']);

/** AMBIGUOUS_UNKNOWN: operators PostgreSQL cannot resolve for two untyped operands (42725). */
const AMBIGUOUS_UNKNOWN = new Set([
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '#',
  '<<',
  '>>',
  '->',
  '->>',
  '@>',
  '<@',
]);

const COMPARISONS = new Set([
  '=',
  '<>',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  'is distinct from',
  'is not distinct from',
]);

/** compileOp compiles a binary or unary operator. */
export function compileOp(
  an: Analyzer,
  op: string,
  le: Expr | undefined,
  re: Expr,
  scope: Scope,
  loc: number,
): Compiled {
  if (le === undefined) return compileUnary(an, op, re, scope, loc);
  const like = LIKE_OPERATORS[op];
  if (like !== undefined) return compileExpr(an, { kind: 'like', arg: le, pattern: re, ...like, loc }, scope);
  if (REGEX_OPERATORS.has(op)) {
    const a = textOperand(an, le, scope);
    const p = textOperand(an, re, scope);
    const neg = op.startsWith('!');
    const ci = op.endsWith('*');
    return strictBinary(BOOL, a, p, (x, y) => regexMatch(x as string, y as string, ci) !== neg);
  }
  // (a, b) = (SELECT x, y) compares a row with a subquery's row: not yet supported.
  if (
    COMPARISONS.has(op) &&
    (le.kind === 'row' || re.kind === 'row') &&
    (le.kind === 'subquery' || re.kind === 'subquery')
  )
    throw notSupported('row constructors compared with a subquery', loc + 1);
  if (le.kind === 'row' && re.kind === 'row' && COMPARISONS.has(op)) {
    checkRowLengths(le.args.length, re.args.length, loc);
    const pairs = le.args.map((x, i) => comparisonPair(an, x, re.args[i]!, scope, loc));
    return compileRowComparison(op, pairs);
  }
  let l = compileExpr(an, le, scope);
  let r = compileExpr(an, re, scope);
  if (op === '||') return compileConcat(an, l, r, le.loc, re.loc);
  const json = compileJsonOp(an, op, l, r, loc);
  if (json !== undefined) return json;
  if (isUntyped(l) && isUntyped(r) && AMBIGUOUS_UNKNOWN.has(op))
    throw new SqlError(SqlState.AMBIGUOUS_FUNCTION, `operator is not unique: unknown ${op} unknown`, {
      position: loc + 1,
      hint: 'Could not choose a best candidate operator. You might need to add explicit type casts.',
    });
  if (isUntyped(l) && isUntyped(r) && op === '^') {
    l = coerce(an, l, sqlType('float8'), 'implicit', le.loc);
    r = coerce(an, r, sqlType('float8'), 'implicit', re.loc);
  }
  // An untyped side takes the other side's type (text when both are untyped).
  // timestamp + 'literal' and 'literal' + timestamp: the literal is an interval.
  if (
    op === '+' &&
    isUntyped(r) &&
    !isUntyped(l) &&
    (l.type.id === 'timestamp' || l.type.id === 'timestamptz')
  )
    r = coerce(an, r, sqlType('interval'), 'implicit', re.loc);
  if (
    op === '+' &&
    isUntyped(l) &&
    !isUntyped(r) &&
    (r.type.id === 'timestamp' || r.type.id === 'timestamptz')
  )
    l = coerce(an, l, sqlType('interval'), 'implicit', le.loc);
  [l, r] = settleUntyped(an, l, r, le.loc, re.loc);
  if (COMPARISONS.has(op)) return compileComparison(an, op, l, r, loc);
  if (op === '+' || op === '-' || op === '*' || op === '/' || op === '%')
    return compileArith(an, op, l, r, loc);
  if (BITWISE_OPERATORS.has(op)) return compileBitwise(an, op, l, r, loc);
  if (op === '^') {
    if (!isNumericType(l.type.id) || !isNumericType(r.type.id)) throw noOperator(op, l.type, r.type, loc);
    const isFloat = (x: Compiled): boolean => x.type.id === 'float4' || x.type.id === 'float8';
    const t =
      (l.type.id === 'numeric' || r.type.id === 'numeric') && !isFloat(l) && !isFloat(r)
        ? sqlType('numeric')
        : sqlType('float8');
    const a = coerce(an, l, t, 'implicit', le.loc);
    const b = coerce(an, r, t, 'implicit', re.loc);
    return strictBinary(t, a, b, t.id === 'numeric' ? numericPowerOp : floatPower);
  }
  throw noOperator(op, l.type, r.type, loc);
}

/** settleUntyped types an untyped side of a binary operator as the other side (text when both are). */
function settleUntyped(
  an: Analyzer,
  l: Compiled,
  r: Compiled,
  lloc: number,
  rloc: number,
): [Compiled, Compiled] {
  if (isUntyped(l) && !isUntyped(r))
    return [coerce(an, l, r.type.id === 'unknown' ? TEXT : plain(r.type), 'implicit', lloc), r];
  if (isUntyped(r) && !isUntyped(l))
    return [l, coerce(an, r, l.type.id === 'unknown' ? TEXT : plain(l.type), 'implicit', rloc)];
  if (isUntyped(l) && isUntyped(r))
    return [coerce(an, l, TEXT, 'implicit', lloc), coerce(an, r, TEXT, 'implicit', rloc)];
  return [l, r];
}

/** comparisonPair compiles one pair of fields of a row comparison, typed as `x = y` would type them. */
function comparisonPair(an: Analyzer, le: Expr, re: Expr, scope: Scope, loc: number): RowPair {
  const [l, r] = settleUntyped(an, compileExpr(an, le, scope), compileExpr(an, re, scope), le.loc, re.loc);
  return comparisonOperands(an, '=', l, r, loc);
}

const numericPowerOp = (x: Value, y: Value): Value => numericPower(x as string, y as string);

function plain(t: SqlType): SqlType {
  // An untyped literal compared with char(n) becomes char (blank-padded comparison), as in PostgreSQL.
  return t.id === 'varchar' ? TEXT : sqlType(t.id);
}

export function noOperator(op: string, l: SqlType | undefined, r: SqlType, loc: number): SqlError {
  const left = l === undefined ? '' : TYPE_INFO[l.id].pgName + ' ';
  return new SqlError(
    SqlState.UNDEFINED_FUNCTION,
    `operator does not exist: ${left}${op} ${TYPE_INFO[r.id].pgName}`,
    {
      position: loc + 1,
      hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.',
    },
  );
}

export function strictBinary(
  type: SqlType,
  a: Compiled,
  b: Compiled,
  f: (x: Value, y: Value, ex: ExecContext) => Value,
): Compiled {
  const fa = a.eval;
  const fb = b.eval;
  return {
    type,
    eval: (r, ex) => {
      const x = fa(r, ex);
      if (x === null) return null;
      const y = fb(r, ex);
      if (y === null) return null;
      return f(x, y, ex);
    },
    correlated: a.correlated || b.correlated,
    volatile: a.volatile || b.volatile,
  };
}

function compileComparison(an: Analyzer, op: string, l: Compiled, r: Compiled, loc: number): Compiled {
  const { a, b, cmp } = comparisonOperands(an, op, l, r, loc);
  if (op === 'is distinct from' || op === 'is not distinct from') {
    const fa = a.eval;
    const fb = b.eval;
    const distinct = op === 'is distinct from';
    return {
      type: BOOL,
      eval: (row, ex) => {
        const x = fa(row, ex);
        const y = fb(row, ex);
        if (x === null || y === null) return (x === null && y === null) !== distinct;
        return (cmp(x, y) !== 0) === distinct;
      },
      correlated: a.correlated || b.correlated,
      volatile: a.volatile || b.volatile,
    };
  }
  const test = comparisonTest(op);
  return strictBinary(BOOL, a, b, (x, y) => test(cmp(x!, y!)));
}

/** comparisonOperands brings both sides of a comparison to one type and returns that type's order. */
function comparisonOperands(an: Analyzer, op: string, l: Compiled, r: Compiled, loc: number): RowPair {
  // char(n) against varchar compares as char(n) (varchar casts to bpchar implicitly; against text, as text).
  const ids = [l.type.id, r.type.id];
  const t =
    ids.includes('bpchar') && ids.includes('varchar') ? sqlType('bpchar') : commonType(l.type, r.type);
  // json has no equality or ordering operators (jsonb does).
  if (t?.id === 'json')
    throw noOperator(op === '!=' ? '<>' : op.startsWith('is') ? '=' : op, l.type, r.type, loc);
  if (t === undefined)
    throw noOperator(op === '!=' ? '<>' : op.startsWith('is') ? '=' : op, l.type, r.type, loc);
  return {
    a: coerce(an, l, t, 'implicit', loc),
    b: coerce(an, r, t, 'implicit', loc),
    cmp: compareFor(t.id),
  };
}

/** comparisonTest maps an operator to a test of a comparison result. */
export function comparisonTest(op: string): (c: number) => boolean {
  switch (op) {
    case '=':
      return (c) => c === 0;
    case '<>':
    case '!=':
      return (c) => c !== 0;
    case '<':
      return (c) => c < 0;
    case '>':
      return (c) => c > 0;
    case '<=':
      return (c) => c <= 0;
    default:
      return (c) => c >= 0;
  }
}

function compileArith(an: Analyzer, op: ArithOp, l: Compiled, r: Compiled, loc: number): Compiled {
  const dt = compileDatetimeArith(an, op, l, r, loc);
  if (dt !== undefined) return dt;
  // date ± integer → date; date - date → integer.
  if (l.type.id === 'date' && (r.type.id === 'int4' || r.type.id === 'int2') && (op === '+' || op === '-')) {
    const s = op === '+' ? 1 : -1;
    return strictBinary(sqlType('date'), l, r, (x, y) => datePlusDays(x as number, s * (y as number)));
  }
  if ((l.type.id === 'int4' || l.type.id === 'int2') && r.type.id === 'date' && op === '+')
    return strictBinary(sqlType('date'), l, r, (x, y) => datePlusDays(y as number, x as number));
  if (l.type.id === 'date' && r.type.id === 'date' && op === '-')
    return strictBinary(sqlType('int4'), l, r, (x, y) => {
      if (isInfiniteDate(x as number) || isInfiniteDate(y as number))
        throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, 'cannot subtract infinite dates');
      return (x as number) - (y as number);
    });
  if (!isNumericType(l.type.id) || !isNumericType(r.type.id)) throw noOperator(op, l.type, r.type, loc);
  let t = commonType(l.type, r.type)!;
  if (t.id === 'oid' || t.id === 'regclass') t = sqlType('int8');
  if (op === '%' && (t.id === 'float4' || t.id === 'float8')) throw noOperator(op, l.type, r.type, loc);
  const a = coerce(an, l, t, 'implicit', loc);
  const b = coerce(an, r, t, 'implicit', loc);
  return strictBinary(t, a, b, arithmetic(op, t.id));
}

/** datePlusDays is date + integer: infinite dates stay infinite; 22008 outside the date range. */
function datePlusDays(d: number, n: number): number {
  if (isInfiniteDate(d)) return d;
  const r = d + n;
  // PostgreSQL's date range: 4714-11-24 BC .. 5874897-12-31.
  if (r < -2440588 || r >= 2145042906)
    throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, 'date out of range');
  return r;
}

function compileUnary(an: Analyzer, op: string, re: Expr, scope: Scope, loc: number): Compiled {
  const c = settle(an, compileExpr(an, re, scope), re.loc);
  const f = c.eval;
  if (op === '+' && isNumericType(c.type.id)) return c;
  if (op === '-' && isNumericType(c.type.id)) {
    const t = c.type.id;
    const neg =
      t === 'int8'
        ? (v: Value) => arithmetic('-', 'int8')(0n, v)
        : t === 'numeric'
          ? (v: Value) =>
              v === 'NaN'
                ? v
                : (v as string).startsWith('-')
                  ? (v as string).slice(1)
                  : v === '0' || /^0(\.0*)?$/.test(v as string)
                    ? v
                    : '-' + (v as string)
          : t === 'int2' || t === 'int4'
            ? (v: Value) => arithmetic('-', t)(0, v)
            : (v: Value) => -(v as number);
    return {
      type: c.type,
      eval: (r, ex) => {
        const v = f(r, ex);
        return v === null ? null : neg(v);
      },
      correlated: c.correlated,
      volatile: c.volatile,
    };
  }
  if (op === '@' && isNumericType(c.type.id)) return compileFunction(an, 'abs', [c], loc);
  if (op === '~' && isIntegerType(c.type.id)) return bitwiseNot(c);
  if (op === '-' && c.type.id === 'interval') return { ...c, eval: (r, ex) => negateIntervalValue(f(r, ex)) };
  throw noOperator(op, undefined, c.type, loc);
}

function compileConcat(an: Analyzer, l: Compiled, r: Compiled, lloc: number, rloc: number): Compiled {
  if (arrayElement(l.type.id) !== undefined || arrayElement(r.type.id) !== undefined)
    return compileArrayConcat(an, l, r, lloc);
  const jsonb = compileJsonbConcat(an, l, r, lloc);
  if (jsonb !== undefined) return jsonb;
  if (l.type.id === 'bytea' && r.type.id === 'bytea')
    return strictBinary(sqlType('bytea'), l, r, (x, y) => Buffer.concat([x as Uint8Array, y as Uint8Array]));
  const a = isUntyped(l) ? coerce(an, l, TEXT, 'implicit', lloc) : l;
  const b = isUntyped(r) ? coerce(an, r, TEXT, 'implicit', rloc) : r;
  if (!isStringType(a.type.id) && !isStringType(b.type.id)) throw noOperator('||', a.type, b.type, lloc);
  const ta = a.type;
  const tb = b.type;
  const text = (t: SqlType, v: Value, ex: ExecContext): string =>
    t.id === 'bpchar'
      ? (v as string).replace(/ +$/, '')
      : isStringType(t.id)
        ? (v as string)
        : formatValue(t, v as Exclude<Value, null>, ex.runtime.io);
  return strictBinary(TEXT, a, b, (x, y, ex) => text(ta, x, ex) + text(tb, y, ex));
}

function compileIn(
  an: Analyzer,
  arg: Expr,
  items: readonly Expr[],
  negated: boolean,
  scope: Scope,
  loc: number,
): Compiled {
  // (a, b) IN ((1, 2), ...) is an OR of row comparisons (NOT IN: NOT of it), as PostgreSQL expands it.
  if (arg.kind === 'row' && items.every((x) => x.kind === 'row')) {
    const any = compileBool(
      an,
      'or',
      [],
      scope,
      items.map((x) => compileOp(an, '=', arg, x, scope, x.loc)),
    );
    if (!negated) return any;
    const f = any.eval;
    return {
      ...any,
      eval: (r, ex) => {
        const v = f(r, ex);
        return v === null ? null : !v;
      },
    };
  }
  const cs = unify(an, [compileExpr(an, arg, scope), ...items.map((x) => compileExpr(an, x, scope))], 'IN', [
    arg.loc,
    ...items.map((x) => x.loc),
  ]);
  const [a, ...rest] = cs as [Compiled, ...Compiled[]];
  const cmp = compareFor(a.type.id);
  const fa = a.eval;
  const fs = rest.map((c) => c.eval);
  return {
    type: BOOL,
    eval: (r, ex) => {
      const x = fa(r, ex);
      if (x === null) return null;
      let sawNull = false;
      for (const f of fs) {
        const y = f(r, ex);
        if (y === null) sawNull = true;
        else if (cmp(x, y) === 0) return !negated;
      }
      return sawNull ? null : negated;
    },
    correlated: cs.some((c) => c.correlated),
    volatile: cs.some((c) => c.volatile),
  };
  void loc;
}

function compileCase(an: Analyzer, e: Extract<Expr, { kind: 'case' }>, scope: Scope): Compiled {
  const conds: Compiled[] = e.whens.map((w) =>
    e.arg === undefined
      ? boolOperand(an, w.when, scope, 'CASE/WHEN')
      : compileOp(an, '=', e.arg, w.when, scope, w.when.loc),
  );
  const results = unify(
    an,
    [
      ...e.whens.map((w) => compileExpr(an, w.then, scope)),
      e.else === undefined ? constant(sqlType('unknown'), null) : compileExpr(an, e.else, scope),
    ],
    'CASE',
    [...e.whens.map((w) => w.then.loc), e.else?.loc ?? e.loc],
  );
  const fc = conds.map((c) => c.eval);
  const fr = results.map((c) => c.eval);
  const n = fc.length;
  return {
    type: results[0]!.type,
    eval: (r, ex) => {
      for (let i = 0; i < n; i++) if (fc[i]!(r, ex) === true) return fr[i]!(r, ex);
      return fr[n]!(r, ex);
    },
    correlated: [...conds, ...results].some((c) => c.correlated),
    volatile: [...conds, ...results].some((c) => c.volatile),
  };
}

function compileFunc(an: Analyzer, e: Extract<Expr, { kind: 'func' }>, scope: Scope): Compiled {
  const name = e.name;
  if (e.over !== undefined) {
    if (an.windows === undefined)
      throw new SqlError(SqlState.WINDOWING_ERROR, `window functions are not allowed in ${an.clause}`, {
        position: e.loc + 1,
      });
    const windows = an.windows;
    return an.srfs === undefined
      ? windows.add(e, scope)
      : withSrfs(an, srfInWindow(an), () => windows.add(e, scope));
  }
  if (SET_RETURNING.has(name)) {
    if (an.srfs === undefined) throw misplaced(an, name, e.loc);
    return an.srfs.add(e, scope);
  }
  if (isWindowFunction(name))
    throw new SqlError(SqlState.WRONG_OBJECT_TYPE, `window function ${name} requires an OVER clause`, {
      position: e.loc + 1,
    });
  if (Object.hasOwn(AGGREGATES, name)) {
    const agg = an.aggregates;
    if (agg === undefined)
      throw new SqlError(SqlState.GROUPING_ERROR, `aggregate functions are not allowed in ${an.clause}`, {
        position: e.loc + 1,
      });
    // Arguments are compiled against the rows being grouped, without aggregate mode.
    const windows = an.windows;
    const srfs = an.srfs;
    an.aggregates = undefined;
    an.windows = WINDOW_IN_AGGREGATE;
    an.srfs = SRF_IN_AGGREGATE;
    let args: Compiled[];
    let extras: AggregateExtras;
    try {
      args = e.star ? [] : e.args.map((a) => compileExpr(an, a, agg.inputScope));
      extras = aggregateExtras(an, e, agg.inputScope);
    } finally {
      an.aggregates = agg;
      an.windows = windows;
      an.srfs = srfs;
    }
    const { slot, type } = agg.add(name, args, e.distinct, e.star, e.loc, extras);
    return { type, eval: (row) => row[slot]!, correlated: false };
  }
  if (e.star)
    throw new SqlError(
      SqlState.UNDEFINED_FUNCTION,
      `${name}(*) specified, but ${name} is not an aggregate function`,
      { position: e.loc + 1 },
    );
  if (e.distinct)
    throw new SqlError(
      SqlState.WRONG_OBJECT_TYPE,
      `DISTINCT specified, but ${name} is not an aggregate function`,
      { position: e.loc + 1 },
    );
  const args = e.args.map((a) => compileExpr(an, a, scope));
  return compileFunction(an, name, args, e.loc, e.args);
}

// Places inside a select list where PostgreSQL rejects set-returning calls (its messages).
const SRF_IN_CASE = refusingSrf('set-returning functions are not allowed in CASE');
const SRF_IN_COALESCE = refusingSrf('set-returning functions are not allowed in COALESCE');
const SRF_IN_AGGREGATE = refusingSrf('aggregate function calls cannot contain set-returning function calls');
const SRF_IN_FILTER = refusingSrf('set-returning functions are not allowed in FILTER', false);
/**
 * srfInWindow rejects set-returning calls in a window call: PostgreSQL's error in a frame offset, else 0A000
 * (PostgreSQL runs them below the window functions; shale's ProjectSet runs above them).
 */
function srfInWindow(an: Analyzer): SrfCollectorHook {
  return {
    add: (e) => {
      if (an.clause === 'window frame') throw misplaced(an, e.name, e.loc);
      throw notSupported('set-returning functions in window function calls', e.loc + 1);
    },
  };
}

/** WINDOW_IN_AGGREGATE rejects a window function call inside an aggregate's arguments. */
const WINDOW_IN_AGGREGATE = refusing(
  SqlState.GROUPING_ERROR,
  'aggregate function calls cannot contain window function calls',
);

function aggregateExtras(an: Analyzer, e: Extract<Expr, { kind: 'func' }>, scope: Scope): AggregateExtras {
  const f = e.filter;
  const filter =
    f === undefined ? undefined : withSrfs(an, SRF_IN_FILTER, () => boolOperand(an, f, scope, 'FILTER')).eval;
  if (e.orderBy === undefined || e.orderBy.length === 0) return { filter };
  if (e.distinct) {
    const argKeys = new Set(e.args.map(exprKey));
    for (const k of e.orderBy)
      if (!argKeys.has(exprKey(k.expr)))
        throw new SqlError(
          SqlState.INVALID_COLUMN_REFERENCE,
          'in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list',
          { position: k.expr.loc + 1 },
        );
  }
  const order = e.orderBy.map((k) => {
    const c = settle(an, compileExpr(an, k.expr, scope), k.expr.loc);
    return { eval: c.eval, type: c.type, desc: k.desc, nullsFirst: k.nullsFirst };
  });
  return { filter, order };
}

function compileSubquery(an: Analyzer, e: Extract<Expr, { kind: 'subquery' }>, scope: Scope): Compiled {
  if (e.arg?.kind === 'row') throw notSupported('row constructors compared with a subquery', e.loc + 1);
  const sub = an.planSubquery(e.query, an.aggregates?.outputScope ?? scope);
  const key = {};
  if (e.mode === 'exists') {
    return {
      type: BOOL,
      eval: (row, ex) => {
        ex.outer.push(row);
        try {
          for (const _ of sub.rows(ex)) return true;
          return false;
        } finally {
          ex.outer.pop();
        }
      },
      correlated: sub.correlated,
      volatile: true,
    };
  }
  if (sub.columns.length !== 1)
    throw new SqlError(
      SqlState.SYNTAX_ERROR,
      e.mode === 'in' ? 'subquery has too many columns' : 'subquery must return only one column',
      { position: e.loc + 1 },
    );
  const colType = sub.columns[0]!.type;
  if (e.mode === 'array') {
    return {
      type: arrayTypeOf(colType.id === 'unknown' ? TEXT : colType, e.loc),
      eval: (row, ex) => {
        if (!sub.correlated && ex.cache.has(key)) return ex.cache.get(key) as Value;
        ex.outer.push(row);
        const out: Value[] = [];
        try {
          for (const r of sub.rows(ex)) out.push(r[0]!);
        } finally {
          ex.outer.pop();
        }
        if (!sub.correlated) ex.cache.set(key, out);
        return out;
      },
      correlated: sub.correlated,
      volatile: true,
    };
  }
  if (e.mode === 'scalar') {
    return {
      type: colType,
      eval: (row, ex) => {
        if (!sub.correlated && ex.cache.has(key)) return ex.cache.get(key) as Value;
        ex.outer.push(row);
        let out: Value = null;
        let n = 0;
        try {
          for (const r of sub.rows(ex)) {
            if (++n > 1)
              throw new SqlError(
                SqlState.CARDINALITY_VIOLATION,
                'more than one row returned by a subquery used as an expression',
              );
            out = r[0]!;
          }
        } finally {
          ex.outer.pop();
        }
        if (!sub.correlated) ex.cache.set(key, out);
        return out;
      },
      correlated: sub.correlated,
      volatile: true,
    };
  }
  // x IN (subquery): true when some row equals x; NULL when none does but x or a row is NULL.
  let a = compileExpr(an, e.arg!, scope);
  const t = isUntyped(a) ? colType : commonType(a.type, colType);
  if (t === undefined) throw noOperator('=', a.type, colType, e.loc);
  a = coerce(an, a, t, 'implicit', e.loc);
  const cmp = compareFor(t.id);
  const fa = a.eval;
  const conv = (v: Value, ex: ExecContext): Value => castValue(v, colType, t, false, ex.runtime.io);
  return {
    type: BOOL,
    eval: (row, ex) => {
      const x = fa(row, ex);
      let values: Value[];
      if (!sub.correlated && ex.cache.has(key)) values = ex.cache.get(key) as Value[];
      else {
        ex.outer.push(row);
        try {
          values = [];
          for (const r of sub.rows(ex)) values.push(conv(r[0]!, ex));
        } finally {
          ex.outer.pop();
        }
        if (!sub.correlated) ex.cache.set(key, values);
      }
      if (x === null) return values.length === 0 ? false : null;
      let sawNull = false;
      for (const y of values) {
        if (y === null) sawNull = true;
        else if (cmp(x, y) === 0) return true;
      }
      return sawNull ? null : false;
    },
    correlated: sub.correlated || a.correlated,
    volatile: true,
  };
}

function compileSpecial(name: Extract<Expr, { kind: 'special' }>['name']): Compiled {
  switch (name) {
    case 'current_timestamp':
      return { type: sqlType('timestamptz'), eval: (_r, ex) => ex.now, correlated: false };
    case 'localtimestamp':
      return {
        type: sqlType('timestamp'),
        eval: (_r, ex) => localOf(ex.runtime.io.zone, ex.now),
        correlated: false,
      };
    case 'current_date':
      return {
        type: sqlType('date'),
        eval: (_r, ex) => castValue(ex.now, sqlType('timestamptz'), sqlType('date'), true, ex.runtime.io),
        correlated: false,
      };
    case 'current_user':
      return { type: sqlType('name'), eval: (_r, ex) => ex.runtime.session.user, correlated: false };
    case 'current_schema':
      return { type: sqlType('name'), eval: () => 'public', correlated: false };
    case 'current_catalog':
      return { type: sqlType('name'), eval: (_r, ex) => ex.runtime.session.database, correlated: false };
  }
}

/** typeOfName resolves a type name for casts and column definitions. */
export function typeOfName(name: string): SqlType | undefined {
  const id = typeIdByName(name);
  return id === undefined ? undefined : sqlType(id);
}

export type { Evaluator };
