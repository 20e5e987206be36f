/**
 * SqlError carries a PostgreSQL SQLSTATE: the wire server sends `code` as the C field of ErrorResponse and
 * `position` (1-based, in characters of the statement text) as the P field.
 */

/** SqlState names the SQLSTATE codes shale raises, as PostgreSQL spells them (errcodes.txt). */
export const SqlState = {
  SYNTAX_ERROR: '42601',
  UNDEFINED_TABLE: '42P01',
  UNDEFINED_COLUMN: '42703',
  UNDEFINED_FUNCTION: '42883',
  AMBIGUOUS_FUNCTION: '42725',
  UNDEFINED_OBJECT: '42704',
  DUPLICATE_TABLE: '42P07',
  DUPLICATE_COLUMN: '42701',
  DUPLICATE_OBJECT: '42710',
  AMBIGUOUS_COLUMN: '42702',
  DATATYPE_MISMATCH: '42804',
  CANNOT_COERCE: '42846',
  INDETERMINATE_DATATYPE: '42P18',
  GROUPING_ERROR: '42803',
  WINDOWING_ERROR: '42P20',
  INVALID_TABLE_DEFINITION: '42P16',
  INVALID_COLUMN_REFERENCE: '42P10',
  INVALID_PARAMETER_VALUE: '22023',
  CHARACTER_NOT_IN_REPERTOIRE: '22021',
  UNTRANSLATABLE_CHARACTER: '22P05',
  NULL_VALUE_NOT_ALLOWED: '22004',
  INVALID_TEXT_REPRESENTATION: '22P02',
  INVALID_BINARY_REPRESENTATION: '22P03',
  STRING_DATA_RIGHT_TRUNCATION: '22001',
  NUMERIC_VALUE_OUT_OF_RANGE: '22003',
  DATETIME_FIELD_OVERFLOW: '22008',
  INVALID_DATETIME_FORMAT: '22007',
  DIVISION_BY_ZERO: '22012',
  INVALID_ESCAPE_SEQUENCE: '22025',
  CARDINALITY_VIOLATION: '21000',
  NOT_NULL_VIOLATION: '23502',
  UNIQUE_VIOLATION: '23505',
  CHECK_VIOLATION: '23514',
  ACTIVE_SQL_TRANSACTION: '25001',
  NO_ACTIVE_SQL_TRANSACTION: '25P01',
  IN_FAILED_SQL_TRANSACTION: '25P02',
  READ_ONLY_SQL_TRANSACTION: '25006',
  INVALID_TRANSACTION_STATE: '25000',
  SAVEPOINT_EXCEPTION: '3B001',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  LOCK_NOT_AVAILABLE: '55P03',
  FEATURE_NOT_SUPPORTED: '0A000',
  PROTOCOL_VIOLATION: '08P01',
  INVALID_SQL_STATEMENT_NAME: '26000',
  INVALID_CURSOR_NAME: '34000',
  DUPLICATE_PREPARED_STATEMENT: '42P05',
  DUPLICATE_CURSOR: '42P03',
  INVALID_AUTHORIZATION: '28000',
  INVALID_PASSWORD: '28P01',
  TOO_MANY_CONNECTIONS: '53300',
  PROGRAM_LIMIT_EXCEEDED: '54000',
  QUERY_CANCELED: '57014',
  ADMIN_SHUTDOWN: '57P01',
  UNDEFINED_PARAMETER: '42P02',
  INVALID_NAME: '42602',
  WRONG_OBJECT_TYPE: '42809',
  INTERNAL_ERROR: 'XX000',
} as const;
export type SqlState = (typeof SqlState)[keyof typeof SqlState];

/** SqlError is an error a SQL client sees, with its SQLSTATE. */
export class SqlError extends Error {
  readonly code: string;
  /** position: 1-based character offset into the statement text, when the error points at a place. */
  position: number | undefined;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly severity: 'ERROR' | 'FATAL';
  constructor(
    code: string,
    message: string,
    extra: {
      position?: number;
      detail?: string;
      hint?: string;
      severity?: 'ERROR' | 'FATAL';
      cause?: unknown;
    } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'SqlError';
    this.code = code;
    this.position = extra.position;
    this.detail = extra.detail;
    this.hint = extra.hint;
    this.severity = extra.severity ?? 'ERROR';
  }
}

/** notSupported is the error for valid PostgreSQL that shale does not implement: it names the construct. */
export function notSupported(what: string, position?: number): SqlError {
  return new SqlError(
    SqlState.FEATURE_NOT_SUPPORTED,
    `${what} is not supported`,
    position === undefined ? {} : { position },
  );
}
