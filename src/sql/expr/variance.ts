/**
 * The variance aggregates: var_samp / variance, var_pop, stddev_samp / stddev, stddev_pop, computed as
 * PostgreSQL computes them so the digits agree: float inputs in float8 with the Youngs-Cramer update
 * (float8_accum), integer and numeric inputs exactly in numeric, divided at PostgreSQL's division scale
 * (numeric_stddev_internal). Fewer than two inputs (one for the _pop forms) give NULL.
 */
import { SqlError, SqlState } from '../errors.js';
import { formatDecimal, toDecimal, type Decimal } from '../types/numeric.js';
import { sqrtAt } from '../types/numeric-math.js';
import { isNumericType, sqlType, type SqlType } from '../types/sql-type.js';
import type { AggregateDef } from './aggregates.js';
import { divide, divScale } from './arithmetic.js';

type Kind = { readonly sample: boolean; readonly root: boolean };

const mul = (a: Decimal, b: Decimal): Decimal => ({ int: a.int * b.int, scale: a.scale + b.scale });
const add = (a: Decimal, b: Decimal): Decimal => {
  const s = Math.max(a.scale, b.scale);
  return { int: a.int * 10n ** BigInt(s - a.scale) + b.int * 10n ** BigInt(s - b.scale), scale: s };
};

function floatVariance(kind: Kind): AggregateDef {
  return {
    argTypes: [sqlType('float8')],
    result: sqlType('float8'),
    make: () => {
      let n = 0;
      let sx = 0;
      let sxx = 0;
      return {
        add: ([v]) => {
          if (v === null) return;
          const x = v as number;
          const prev = n;
          const prevSx = sx;
          n += 1;
          sx += x;
          const isInf = (y: number): boolean => y === Infinity || y === -Infinity;
          if (prev > 0) {
            const t = x * n - sx;
            sxx += (t * t) / (n * prev);
            if (isInf(sx) || isInf(sxx)) {
              // Finite inputs that overflow are an error; an infinite input makes the variance NaN.
              if (!isInf(prevSx) && !isInf(x))
                throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: overflow');
              sxx = NaN;
            }
          } else if (!Number.isFinite(x)) sxx = NaN;
        },
        result: () => {
          if (n === 0 || (kind.sample && n === 1)) return null;
          const v = sxx / (kind.sample ? n - 1 : n);
          return kind.root ? Math.sqrt(v) : v;
        },
      };
    },
  };
}

function numericVariance(kind: Kind): AggregateDef {
  return {
    argTypes: [sqlType('numeric')],
    result: sqlType('numeric'),
    make: () => {
      let n = 0n;
      let sum: Decimal = { int: 0n, scale: 0 };
      let sumSq: Decimal = { int: 0n, scale: 0 };
      let nan = false;
      return {
        add: ([v]) => {
          if (v === null) return;
          if (v === 'NaN') nan = true;
          else {
            const x = toDecimal(v as string);
            sum = add(sum, x);
            sumSq = add(sumSq, mul(x, x));
          }
          n++;
        },
        result: () => {
          if (n === 0n || (kind.sample && n === 1n)) return null;
          if (nan) return 'NaN';
          const count: Decimal = { int: n, scale: 0 };
          // N * sum(x^2) - sum(x)^2, exact; at or below zero (rounding cannot make it so here) the answer is 0.
          const num = add(mul(count, sumSq), { ...mul(sum, sum), int: -mul(sum, sum).int });
          if (num.int <= 0n) return '0';
          const den: Decimal = { int: kind.sample ? n * (n - 1n) : n * n, scale: 0 };
          const rscale = divScale(num, den);
          const q = divide(num, den, rscale);
          return formatDecimal(kind.root ? sqrtAt(q, rscale) : q);
        },
      };
    },
  };
}

function varianceOf(kind: Kind): (types: readonly SqlType[]) => AggregateDef | undefined {
  return (types) => {
    if (types.length !== 1) return undefined;
    const id = types[0]!.id;
    if (id === 'float4' || id === 'float8' || id === 'unknown') return floatVariance(kind);
    return isNumericType(id) ? numericVariance(kind) : undefined;
  };
}

/** VARIANCE_AGGREGATES: registered into aggregates.ts's table. */
export const VARIANCE_AGGREGATES = {
  var_samp: varianceOf({ sample: true, root: false }),
  variance: varianceOf({ sample: true, root: false }),
  var_pop: varianceOf({ sample: false, root: false }),
  stddev_samp: varianceOf({ sample: true, root: true }),
  stddev: varianceOf({ sample: true, root: true }),
  stddev_pop: varianceOf({ sample: false, root: true }),
};
