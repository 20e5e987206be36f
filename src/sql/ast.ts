/**
 * shale's own SQL syntax tree: what parse/from-pg-tree.ts makes of PostgreSQL's parse tree. The planner and
 * executor see only these nodes. `loc` is the 0-based byte offset of a node in the UTF-8 query string (the wire
 * server turns error positions into characters; -1 when unknown).
 */

/** TypeName is a type as written: its name (lower case, without pg_catalog.) and modifiers. */
export interface TypeName {
  readonly name: string;
  readonly mods: readonly number[];
  readonly array: boolean;
  readonly loc: number;
}

export type Literal =
  | { readonly kind: 'int'; readonly value: string }
  | { readonly kind: 'float'; readonly value: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' };

export type Expr =
  | { readonly kind: 'literal'; readonly literal: Literal; readonly loc: number }
  | { readonly kind: 'param'; readonly index: number; readonly loc: number }
  | {
      readonly kind: 'column';
      readonly table: string | undefined;
      readonly name: string;
      readonly loc: number;
    }
  | { readonly kind: 'star'; readonly table: string | undefined; readonly loc: number }
  | {
      readonly kind: 'op';
      readonly op: string;
      readonly left: Expr | undefined;
      readonly right: Expr;
      readonly loc: number;
    }
  | { readonly kind: 'and' | 'or'; readonly args: readonly Expr[]; readonly loc: number }
  | { readonly kind: 'not'; readonly arg: Expr; readonly loc: number }
  | { readonly kind: 'isNull'; readonly arg: Expr; readonly negated: boolean; readonly loc: number }
  | {
      readonly kind: 'isBool';
      readonly arg: Expr;
      readonly value: boolean | null;
      readonly negated: boolean;
      readonly loc: number;
    }
  | {
      readonly kind: 'inList';
      readonly arg: Expr;
      readonly list: readonly Expr[];
      readonly negated: boolean;
      readonly loc: number;
    }
  | {
      readonly kind: 'between';
      readonly arg: Expr;
      readonly low: Expr;
      readonly high: Expr;
      readonly negated: boolean;
      readonly symmetric: boolean;
      readonly loc: number;
    }
  | {
      readonly kind: 'like';
      readonly arg: Expr;
      readonly pattern: Expr;
      readonly negated: boolean;
      readonly insensitive: boolean;
      /** escape: LIKE ... ESCAPE e (undefined: the default backslash). */
      readonly escape?: Expr;
      readonly loc: number;
    }
  | { readonly kind: 'cast'; readonly arg: Expr; readonly type: TypeName; readonly loc: number }
  | {
      readonly kind: 'func';
      readonly name: string;
      readonly args: readonly Expr[];
      readonly star: boolean;
      readonly distinct: boolean;
      /** filter: an aggregate's FILTER (WHERE ...). */
      readonly filter?: Expr;
      /** orderBy: ORDER BY inside an aggregate's arguments. */
      readonly orderBy?: readonly SortKey[];
      /** over: OVER (...): a window function call, or an aggregate computed over a window. */
      readonly over?: WindowSpec;
      readonly loc: number;
    }
  | {
      readonly kind: 'case';
      readonly arg: Expr | undefined;
      readonly whens: readonly { when: Expr; then: Expr }[];
      readonly else: Expr | undefined;
      readonly loc: number;
    }
  | { readonly kind: 'coalesce'; readonly args: readonly Expr[]; readonly loc: number }
  | { readonly kind: 'nullif'; readonly left: Expr; readonly right: Expr; readonly loc: number }
  | {
      readonly kind: 'minmax';
      readonly op: 'greatest' | 'least';
      readonly args: readonly Expr[];
      readonly loc: number;
    }
  | {
      /** anyAll: `left op ANY (right)` / `left op ALL (right)` over an array. */
      readonly kind: 'anyAll';
      readonly op: string;
      readonly left: Expr;
      readonly right: Expr;
      readonly all: boolean;
      readonly loc: number;
    }
  | { readonly kind: 'array'; readonly elements: readonly Expr[]; readonly loc: number }
  /** row: a row constructor, `ROW(a, b)` or `(a, b)`: a value of type record. */
  | { readonly kind: 'row'; readonly args: readonly Expr[]; readonly loc: number }
  | { readonly kind: 'subscript'; readonly arg: Expr; readonly index: Expr; readonly loc: number }
  | {
      readonly kind: 'subquery';
      /** mode: scalar (x), EXISTS, x IN (query), or ARRAY(query). */
      readonly mode: 'scalar' | 'exists' | 'in' | 'array';
      readonly query: Select;
      readonly arg: Expr | undefined;
      readonly negated: boolean;
      readonly loc: number;
    }
  | {
      readonly kind: 'special';
      readonly name:
        | 'current_timestamp'
        | 'current_date'
        | 'localtimestamp'
        | 'current_user'
        | 'current_schema'
        | 'current_catalog';
      readonly loc: number;
    }
  | { readonly kind: 'default'; readonly loc: number }
  /** quantified: `arg op ANY/ALL (subquery)` for an operator other than `= ANY` (which is IN). */
  | {
      readonly kind: 'quantified';
      readonly op: string;
      readonly arg: Expr;
      readonly all: boolean;
      readonly query: Select;
      readonly loc: number;
    };

export interface SortKey {
  readonly expr: Expr;
  readonly desc: boolean;
  /** nullsFirst: undefined means PostgreSQL's default (NULLs sort as larger than every value). */
  readonly nullsFirst: boolean | undefined;
}

/**
 * WindowSpec is a window as written after OVER or in a WINDOW clause. `ref` names another window: `OVER w`
 * uses it as it is (`copy` false); `OVER (w ORDER BY ...)` and `WINDOW x AS (w ...)` copy and extend it.
 */
export interface WindowSpec {
  readonly ref: { readonly name: string; readonly copy: boolean } | undefined;
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly SortKey[];
  /** frame: undefined for the default (RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW). */
  readonly frame: WindowFrame | undefined;
  readonly loc: number;
}

/** WindowFrame is a frame clause: ROWS, RANGE or GROUPS between two bounds, with an EXCLUDE option. */
export interface WindowFrame {
  readonly mode: 'rows' | 'range' | 'groups';
  readonly start: FrameBound;
  readonly end: FrameBound;
  readonly exclude: 'none' | 'current' | 'group' | 'ties';
}

export type FrameBound =
  | { readonly kind: 'unboundedPreceding' | 'unboundedFollowing' | 'currentRow' }
  | { readonly kind: 'preceding' | 'following'; readonly offset: Expr };

/** NamedWindow is one entry of a WINDOW clause. */
export interface NamedWindow {
  readonly name: string;
  readonly spec: WindowSpec;
}

export interface TableRef {
  readonly kind: 'table';
  readonly schema: string | undefined;
  readonly name: string;
  readonly alias: string | undefined;
  readonly loc: number;
}

export type FromItem =
  | TableRef
  | {
      readonly kind: 'subquery';
      readonly query: Select;
      readonly alias: string;
      readonly columnAliases: readonly string[];
      /** lateral: LATERAL (it may refer to the FROM items before it). */
      readonly lateral?: boolean;
      readonly loc: number;
    }
  | {
      readonly kind: 'join';
      readonly type: 'inner' | 'left' | 'right' | 'full' | 'cross';
      readonly left: FromItem;
      readonly right: FromItem;
      readonly on: Expr | undefined;
      readonly using: readonly string[];
      readonly natural: boolean;
      readonly loc: number;
    }
  | {
      readonly kind: 'function';
      readonly func: Expr;
      readonly alias: string | undefined;
      readonly columnAliases: readonly string[];
      /** ordinality: WITH ORDINALITY, a last bigint column numbering the rows from 1. */
      readonly ordinality: boolean;
      readonly loc: number;
    };

export interface SelectItem {
  readonly expr: Expr;
  readonly alias: string | undefined;
  readonly loc: number;
}

export interface Cte {
  readonly name: string;
  readonly columns: readonly string[];
  readonly query: Select;
  /** recursive: written under WITH RECURSIVE (it may refer to itself). */
  readonly recursive?: boolean;
  /** dml: a data-modifying WITH query (INSERT, UPDATE or DELETE ... RETURNING); `query` is then unused. */
  readonly dml?: Statement;
  /** materialized: AS MATERIALIZED (true) or AS NOT MATERIALIZED (false): computed once, or per reference. */
  readonly materialized?: boolean;
}

/** Select is a query: a plain SELECT, VALUES, or a set operation of two queries. */
export type Select = SimpleSelect | ValuesSelect | SetOpSelect;

interface QueryTail {
  readonly with: readonly Cte[];
  readonly orderBy: readonly SortKey[];
  readonly limit: Expr | undefined;
  readonly offset: Expr | undefined;
  /** locking: the FOR UPDATE / FOR SHARE clauses, if any. */
  readonly locking: readonly RowLocking[] | undefined;
  readonly loc: number;
}

/** RowLocking is one FOR UPDATE / FOR SHARE clause (FOR NO KEY UPDATE and FOR KEY SHARE fold into them). */
export interface RowLocking {
  readonly strength: 'update' | 'share';
  /** of: the FROM items it names (OF a, b); empty: every table in FROM. */
  readonly of: readonly { readonly name: string; readonly loc: number }[];
  /** nowait: NOWAIT, a row another transaction holds is an error (55P03) instead of a wait. */
  readonly nowait: boolean;
}

export interface SimpleSelect extends QueryTail {
  readonly kind: 'select';
  /** distinct: true for DISTINCT; a list of expressions for DISTINCT ON. */
  readonly distinct: boolean | readonly Expr[];
  readonly items: readonly SelectItem[];
  readonly from: readonly FromItem[];
  readonly where: Expr | undefined;
  readonly groupBy: readonly Expr[];
  readonly having: Expr | undefined;
  /** windows: the WINDOW clause. */
  readonly windows?: readonly NamedWindow[];
}

export interface ValuesSelect extends QueryTail {
  readonly kind: 'values';
  readonly rows: readonly (readonly Expr[])[];
}

export interface SetOpSelect extends QueryTail {
  readonly kind: 'setop';
  readonly op: 'union' | 'intersect' | 'except';
  readonly all: boolean;
  readonly left: Select;
  readonly right: Select;
}

export interface ColumnDef {
  readonly name: string;
  readonly type: TypeName;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
  readonly unique: boolean;
  readonly default: Expr | undefined;
  /** identity: GENERATED ALWAYS / BY DEFAULT AS IDENTITY. */
  readonly identity?: 'always' | 'byDefault' | undefined;
  /** generated: GENERATED ALWAYS AS (expr) STORED. */
  readonly generated?: Expr | undefined;
  /** constraint names given with CONSTRAINT name (undefined: PostgreSQL's generated name). */
  readonly primaryKeyName?: string | undefined;
  readonly uniqueName?: string | undefined;
  readonly checks?: readonly CheckConstraint[];
  readonly loc: number;
}

/** CheckConstraint is a CHECK (expr), named or not. */
export interface CheckConstraint {
  readonly name: string | undefined;
  readonly expr: Expr;
}

/** KeyConstraint is a table-level PRIMARY KEY or UNIQUE (columns), named or not. */
export interface KeyConstraint {
  readonly name: string | undefined;
  readonly columns: readonly string[];
}

export interface Assignment {
  readonly column: string;
  readonly value: Expr;
  readonly loc: number;
}

export interface OnConflict {
  readonly action: 'nothing' | 'update';
  readonly target: readonly string[];
  /** constraint: ON CONFLICT ON CONSTRAINT name (then target is empty). */
  readonly constraint?: string;
  readonly set: readonly Assignment[];
  readonly where: Expr | undefined;
}

export type Statement =
  | { readonly kind: 'query'; readonly query: Select }
  | {
      readonly kind: 'insert';
      /** with: WITH queries the statement may read (data-modifying ones run first). */
      readonly with?: readonly Cte[];
      readonly table: TableRef;
      readonly columns: readonly string[];
      /** columnLocs: where each name of the column list is (for error positions). */
      readonly columnLocs: readonly number[];
      /** source: rows of VALUES (DEFAULT allowed), a query, or undefined for DEFAULT VALUES. */
      readonly source: Select | undefined;
      readonly onConflict: OnConflict | undefined;
      /** overriding: OVERRIDING SYSTEM VALUE / USER VALUE (identity columns). */
      readonly overriding?: 'system' | 'user' | undefined;
      readonly returning: readonly SelectItem[];
    }
  | {
      readonly kind: 'update';
      readonly with?: readonly Cte[];
      readonly table: TableRef;
      readonly set: readonly Assignment[];
      readonly from: readonly FromItem[];
      readonly where: Expr | undefined;
      readonly returning: readonly SelectItem[];
    }
  | {
      readonly kind: 'delete';
      readonly with?: readonly Cte[];
      readonly table: TableRef;
      readonly using: readonly FromItem[];
      readonly where: Expr | undefined;
      readonly returning: readonly SelectItem[];
    }
  | {
      readonly kind: 'createTable';
      readonly table: TableRef;
      readonly ifNotExists: boolean;
      readonly columns: readonly ColumnDef[];
      readonly primaryKey: KeyConstraint | undefined;
      readonly uniques: readonly KeyConstraint[];
      readonly checks: readonly CheckConstraint[];
    }
  | {
      readonly kind: 'createTableAs';
      readonly table: TableRef;
      readonly ifNotExists: boolean;
      /** columns: the column names given after the table name (the rest come from the query). */
      readonly columns: readonly string[];
      readonly query: Select;
      readonly withData: boolean;
    }
  | {
      readonly kind: 'dropTable';
      readonly tables: readonly TableRef[];
      readonly ifExists: boolean;
      readonly cascade?: boolean;
    }
  | { readonly kind: 'truncate'; readonly tables: readonly TableRef[]; readonly restartIdentity: boolean }
  | {
      readonly kind: 'lock';
      readonly tables: readonly TableRef[];
      /** mode: PostgreSQL's lock mode number, 1 (ACCESS SHARE) to 8 (ACCESS EXCLUSIVE, the default). */
      readonly mode: number;
      /** nowait: a lock another transaction holds is an error (55P03) instead of a wait. */
      readonly nowait: boolean;
    }
  | {
      readonly kind: 'createIndex';
      readonly name: string | undefined;
      readonly table: TableRef;
      /** columns: a column (name) or an expression (expr) each. */
      readonly columns: readonly { name: string | undefined; expr?: Expr; desc: boolean }[];
      readonly unique: boolean;
      readonly ifNotExists: boolean;
    }
  | { readonly kind: 'dropIndex'; readonly names: readonly string[]; readonly ifExists: boolean }
  | {
      readonly kind: 'createSequence';
      readonly name: string;
      readonly ifNotExists: boolean;
      readonly options: SequenceOptions;
    }
  | {
      readonly kind: 'alterSequence';
      readonly name: string;
      readonly ifExists: boolean;
      readonly options: SequenceOptions;
    }
  | {
      readonly kind: 'createView';
      readonly name: string;
      readonly replace: boolean;
      readonly columns: readonly string[];
      readonly query: Select;
    }
  | {
      readonly kind: 'dropView';
      readonly names: readonly string[];
      readonly ifExists: boolean;
      readonly cascade: boolean;
    }
  | {
      readonly kind: 'dropSequence';
      readonly names: readonly string[];
      readonly ifExists: boolean;
      readonly cascade: boolean;
    }
  | {
      readonly kind: 'alterTable';
      readonly table: TableRef;
      readonly ifExists: boolean;
      readonly actions: readonly AlterAction[];
    }
  | {
      readonly kind: 'renameIndex';
      readonly name: string;
      readonly to: string;
      readonly ifExists: boolean;
    }
  | {
      readonly kind: 'begin';
      readonly start: boolean;
      readonly isolation: string | undefined;
      readonly readOnly: boolean | undefined;
    }
  | { readonly kind: 'commit' }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'savepoint'; readonly name: string }
  | { readonly kind: 'release'; readonly name: string }
  | { readonly kind: 'rollbackTo'; readonly name: string }
  | {
      readonly kind: 'set';
      readonly name: string;
      readonly value: string | undefined;
      readonly local: boolean;
    }
  | { readonly kind: 'show'; readonly name: string }
  | {
      readonly kind: 'copy';
      /** query: COPY (SELECT ...) TO STDOUT (then table is unused). */
      readonly query: Select | undefined;
      readonly table: TableRef;
      readonly columns: readonly string[];
      readonly direction: 'from' | 'to';
      readonly options: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'explain'; readonly statement: Statement }
  | {
      readonly kind: 'admin';
      /** compact: shale's COMPACT [table, ...] (parse/compact-statement.ts). */
      readonly command: 'vacuum' | 'analyze' | 'checkpoint' | 'compact';
      readonly tables: readonly TableRef[];
    }
  | { readonly kind: 'discard' }
  | {
      readonly kind: 'declareCursor';
      readonly name: string;
      readonly query: Select;
      /** hold: WITH HOLD (the cursor outlives the transaction that declares it). */
      readonly hold: boolean;
      /** scroll: SCROLL (true), NO SCROLL (false) or neither (undefined). */
      readonly scroll: boolean | undefined;
    }
  | {
      readonly kind: 'fetch';
      readonly name: string;
      /** direction: FORWARD/BACKWARD move `count` rows; ABSOLUTE/RELATIVE go to one row. */
      readonly direction: 'forward' | 'backward' | 'absolute' | 'relative';
      /** count: rows to move, or the row to go to; Infinity for ALL. */
      readonly count: number;
      /** move: MOVE (counts rows instead of returning them). */
      readonly move: boolean;
    }
  /** prepare: PREPARE name [(types)] AS statement. */
  | {
      readonly kind: 'prepare';
      readonly name: string;
      readonly paramTypes: readonly TypeName[];
      readonly statement: Statement;
    }
  | { readonly kind: 'execute'; readonly name: string; readonly params: readonly Expr[] }
  /** deallocate: DEALLOCATE name, or DEALLOCATE ALL (name undefined). */
  | { readonly kind: 'deallocate'; readonly name: string | undefined }
  /** listen: LISTEN / UNLISTEN, accepted (shale sends no notifications). */
  | { readonly kind: 'listen'; readonly unlisten: boolean }
  /** closeCursor: CLOSE name, or CLOSE ALL (name undefined). */
  | { readonly kind: 'closeCursor'; readonly name: string | undefined };

/** SequenceOptions: the options of CREATE / ALTER SEQUENCE shale implements. */
export interface SequenceOptions {
  readonly start?: bigint;
  readonly increment?: bigint;
  /** restart: RESTART (null: at the start value) or RESTART WITH n. */
  readonly restart?: bigint | null;
}

export type AlterAction =
  | { readonly kind: 'addColumn'; readonly column: ColumnDef; readonly ifNotExists: boolean }
  | { readonly kind: 'addPrimaryKey'; readonly columns: readonly string[]; readonly name: string | undefined }
  | { readonly kind: 'addUnique'; readonly columns: readonly string[]; readonly name: string | undefined }
  | { readonly kind: 'addCheck'; readonly check: CheckConstraint }
  | { readonly kind: 'setDefault'; readonly column: string; readonly default: Expr | undefined }
  | { readonly kind: 'setNotNull'; readonly column: string; readonly notNull: boolean }
  | {
      readonly kind: 'alterType';
      readonly column: string;
      readonly type: TypeName;
      readonly using: Expr | undefined;
    }
  | { readonly kind: 'dropColumn'; readonly column: string; readonly ifExists: boolean }
  | { readonly kind: 'dropConstraint'; readonly name: string; readonly ifExists: boolean }
  | { readonly kind: 'renameColumn'; readonly column: string; readonly to: string }
  | { readonly kind: 'renameTable'; readonly to: string };
