/**
 * Aggregate functions: count, sum, avg, min, max, bool_and/bool_or/every, string_agg, array_agg, with PostgreSQL's
 * result types (sum(int4) is int8, sum(int8) and avg of integers numeric, avg(float) float8) and NULL rules
 * (NULL inputs are skipped; an empty group gives NULL, except count, which gives 0).
 */
import { SqlError, SqlState } from '../errors.js';
import { compareFor } from '../types/compare.js';
import { checkInt8 } from '../types/text-io.js';
import { formatDecimal, toDecimal } from '../types/numeric.js';
import {
  TYPE_INFO,
  arrayOf,
  isInteger,
  isNumericType,
  sqlType,
  type SqlType,
  type Value,
} from '../types/sql-type.js';
import { JSON_AGGREGATES } from './json-build.js';
import { JSONB_EDIT_AGGREGATES } from './jsonb-edit.js';
import { VARIANCE_AGGREGATES } from './variance.js';
import { divide, divScale, numericOp } from './arithmetic.js';
import { coerce, isUntyped, settle } from './coerce.js';
import type { Analyzer, Compiled } from './context.js';
import type { IoSettings } from '../types/io-settings.js';

/** Accumulator folds the values of one group. */
export interface Accumulator {
  add(args: readonly Value[]): void;
  result(): Value;
}

export interface AggregateDef {
  /** argTypes: the types arguments are coerced to (undefined: keep the argument's own type). */
  readonly argTypes: readonly (SqlType | undefined)[];
  readonly result: SqlType;
  /** keepsNulls: NULL inputs are folded too (array_agg), so DISTINCT keeps one NULL. */
  readonly keepsNulls?: boolean;
  /** make starts an accumulator; io: the session's settings (for aggregates that write values as text). */
  make(io: IoSettings): Accumulator;
}

type Resolver = (types: readonly SqlType[], star: boolean) => AggregateDef | undefined;

function sumDef(t: SqlType): AggregateDef | undefined {
  if (!isNumericType(t.id)) return undefined;
  if (t.id === 'int2' || t.id === 'int4')
    return {
      argTypes: [t],
      result: sqlType('int8'),
      make: () => {
        let s: bigint | null = null;
        return {
          add: ([v]) => {
            if (v !== null) s = (s ?? 0n) + BigInt(v as number);
          },
          result: () => (s === null ? null : checkInt8(s)),
        };
      },
    };
  if (t.id === 'int8' || t.id === 'numeric' || isInteger(t.id))
    return {
      argTypes: [sqlType('numeric')],
      result: sqlType('numeric'),
      make: () => {
        let s: string | null = null;
        return {
          add: ([v]) => {
            if (v !== null) s = s === null ? (v as string) : numericOp('+', s, v as string);
          },
          result: () => s,
        };
      },
    };
  const ft = t.id === 'float4' ? sqlType('float4') : sqlType('float8');
  return {
    argTypes: [ft],
    result: ft,
    make: () => {
      let s: number | null = null;
      return {
        add: ([v]) => {
          if (v !== null) s = (s ?? 0) + (v as number);
        },
        result: () => s,
      };
    },
  };
}

function avgDef(t: SqlType): AggregateDef | undefined {
  if (!isNumericType(t.id)) return undefined;
  if (t.id === 'float4' || t.id === 'float8')
    return {
      argTypes: [sqlType('float8')],
      result: sqlType('float8'),
      make: () => {
        let s = 0;
        let n = 0;
        return {
          add: ([v]) => {
            if (v !== null) {
              s += v as number;
              n++;
            }
          },
          result: () => (n === 0 ? null : s / n),
        };
      },
    };
  return {
    argTypes: [sqlType('numeric')],
    result: sqlType('numeric'),
    make: () => {
      let s: string | null = null;
      let n = 0;
      return {
        add: ([v]) => {
          if (v === null) return;
          s = s === null ? (v as string) : numericOp('+', s, v as string);
          n++;
        },
        result: () => {
          if (s === null) return null;
          if (s === 'NaN') return 'NaN';
          const x = toDecimal(s);
          const y = toDecimal(BigInt(n));
          return formatDecimal(divide(x, y, divScale(x, y)));
        },
      };
    },
  };
}

function extremeDef(t: SqlType, sign: 1 | -1): AggregateDef | undefined {
  if (t.id === 'json' || t.id === 'unknown') return undefined;
  const cmp = compareFor(t.id);
  const rt = t.id === 'varchar' ? sqlType('varchar') : t;
  return {
    argTypes: [undefined],
    result: rt,
    make: () => {
      let best: Value = null;
      return {
        add: ([v]) => {
          if (v !== null && (best === null || sign * cmp(v, best) > 0)) best = v;
        },
        result: () => best,
      };
    },
  };
}

function boolDef(all: boolean): Resolver {
  return (types) => {
    if (types.length !== 1 || (types[0]!.id !== 'bool' && types[0]!.id !== 'unknown')) return undefined;
    return {
      argTypes: [sqlType('bool')],
      result: sqlType('bool'),
      make: () => {
        let acc: boolean | null = null;
        return {
          add: ([v]) => {
            if (v !== null)
              acc = acc === null ? (v as boolean) : all ? acc && (v as boolean) : acc || (v as boolean);
          },
          result: () => acc,
        };
      },
    };
  };
}

/** extremeOf resolves min and max; PostgreSQL has none for records (42883). */
/** NO_EXTREMES: types PostgreSQL 15 has no min or max of (42883), though shale can order them. */
const NO_EXTREMES = new Set(['record', 'uuid', 'bool', 'bytea', 'json', 'jsonb']);

function extremeOf(types: readonly SqlType[], sign: 1 | -1): AggregateDef | undefined {
  if (types.length !== 1 || NO_EXTREMES.has(types[0]!.id)) return undefined;
  return extremeDef(types[0]!.id === 'unknown' ? sqlType('text') : types[0]!, sign);
}

export const AGGREGATES: Record<string, Resolver> = {
  count: (types, star) =>
    star || types.length === 1
      ? {
          argTypes: star ? [] : [undefined],
          result: sqlType('int8'),
          make: () => {
            let n = 0n;
            return {
              add: (a) => {
                if (star || a[0] !== null) n++;
              },
              result: () => n,
            };
          },
        }
      : undefined,
  sum: (types) =>
    types.length === 1 ? sumDef(types[0]!.id === 'unknown' ? sqlType('float8') : types[0]!) : undefined,
  avg: (types) =>
    types.length === 1 ? avgDef(types[0]!.id === 'unknown' ? sqlType('float8') : types[0]!) : undefined,
  min: (types) => extremeOf(types, -1),
  max: (types) => extremeOf(types, 1),
  bool_and: boolDef(true),
  every: boolDef(true),
  bool_or: boolDef(false),
  array_agg: (types) => {
    if (types.length !== 1) return undefined;
    const t = types[0]!.id === 'unknown' ? sqlType('text') : types[0]!;
    const a = arrayOf(t.id);
    if (a === undefined) return undefined;
    return {
      argTypes: [t],
      result: sqlType(a),
      keepsNulls: true,
      make: () => {
        // NULL inputs are kept (array_agg is not strict); an empty group gives NULL.
        const out: Value[] = [];
        return {
          add: ([v]) => {
            out.push(v!);
          },
          result: () => (out.length === 0 ? null : [...out]),
        };
      },
    };
  },
  string_agg: (types) =>
    types.length === 2
      ? {
          argTypes: [sqlType('text'), sqlType('text')],
          result: sqlType('text'),
          make: () => {
            let s: string | null = null;
            return {
              add: ([v, d]) => {
                if (v === null) return;
                s = s === null ? (v as string) : s + (d === null ? '' : (d as string)) + (v as string);
              },
              result: () => s,
            };
          },
        }
      : undefined,
};

/** resolveAggregate finds the definition for a call, or throws 42883. */
export function resolveAggregate(
  name: string,
  types: readonly SqlType[],
  star: boolean,
  loc: number,
): AggregateDef {
  const d = AGGREGATES[name]!(types, star);
  if (d === undefined)
    throw new SqlError(
      SqlState.UNDEFINED_FUNCTION,
      `function ${name}(${star ? '*' : types.map((t) => TYPE_INFO[t.id].pgName).join(', ')}) does not exist`,
      {
        position: loc + 1,
        hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
      },
    );
  return d;
}

Object.assign(AGGREGATES, JSON_AGGREGATES, JSONB_EDIT_AGGREGATES, VARIANCE_AGGREGATES);

/**
 * resolveAggregateCall resolves an aggregate call by its argument types and coerces the arguments to the
 * types it takes (untyped ones settle as text where it takes any type).
 */
export function resolveAggregateCall(
  an: Analyzer,
  name: string,
  args: readonly Compiled[],
  star: boolean,
  loc: number,
): { def: AggregateDef; args: Compiled[] } {
  const types = args.map((a) => (isUntyped(a) ? sqlType('unknown') : a.type));
  const def = resolveAggregate(name, types, star, loc);
  const cs = args.map((a, i) => {
    const want = def.argTypes[i];
    return want === undefined ? settle(an, a, loc) : coerce(an, a, want, 'implicit', loc);
  });
  return { def, args: cs };
}
