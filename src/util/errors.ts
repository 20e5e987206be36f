/**
 * Typed errors with stable codes. Callers test `err.code`, never the message; the front ends
 * (`level/`, `sql/`) map these codes to their own ecosystems' codes at the edge.
 */

/** ErrorCode lists every stable code a ShaleError can carry. */
export const ErrorCode = {
  INVALID_ARGUMENT: 'SHALE_INVALID_ARGUMENT',
  CORRUPTION: 'SHALE_CORRUPTION',
  IO: 'SHALE_IO',
  NOT_SUPPORTED: 'SHALE_NOT_SUPPORTED',
  NOT_FOUND: 'SHALE_NOT_FOUND',
  LOCKED: 'SHALE_LOCKED',
  CLOSED: 'SHALE_CLOSED',
  BACKGROUND: 'SHALE_BACKGROUND_ERROR',
  TXN_CONFLICT: 'SHALE_TXN_CONFLICT',
  TXN_TOO_LARGE: 'SHALE_TXN_TOO_LARGE',
  LOCK_TIMEOUT: 'SHALE_LOCK_TIMEOUT',
  DEADLOCK: 'SHALE_DEADLOCK',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** ShaleError is the base class of every error shale throws on purpose. */
export class ShaleError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** InvalidArgumentError: the caller passed something shale cannot accept; nothing was changed. */
export class InvalidArgumentError extends ShaleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.INVALID_ARGUMENT, message, options);
  }
}

/** CorruptionError: stored bytes failed a check. Names the file and the byte offset when known. */
export class CorruptionError extends ShaleError {
  readonly file: string | undefined;
  readonly offset: number | undefined;
  constructor(message: string, file?: string, offset?: number, options?: { cause?: unknown }) {
    const where =
      file === undefined ? '' : offset === undefined ? ` (${file})` : ` (${file} at offset ${offset})`;
    super(ErrorCode.CORRUPTION, message + where, options);
    this.file = file;
    this.offset = offset;
  }
}

/** IOError: the operating system refused an operation; `errno` is its code (EIO, ENOSPC, ...). */
export class IOError extends ShaleError {
  readonly errno: string | undefined;
  readonly syscall: string | undefined;
  readonly path: string | undefined;
  constructor(
    message: string,
    errno?: string,
    syscall?: string,
    path?: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.IO, message, options);
    this.errno = errno;
    this.syscall = syscall;
    this.path = path;
  }
}

/** NotSupportedError: a feature or on-disk format this build cannot handle. */
export class NotSupportedError extends ShaleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.NOT_SUPPORTED, message, options);
  }
}

/** NotFoundError: a file or database that must exist does not. */
export class NotFoundError extends ShaleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.NOT_FOUND, message, options);
  }
}

/** LockedError: another holder (this process or another) has the database's LOCK. */
export class LockedError extends ShaleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.LOCKED, message, options);
  }
}

/** ClosedError: the database, iterator or snapshot was used after it was closed or released. */
export class ClosedError extends ShaleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.CLOSED, message, options);
  }
}

/**
 * BackgroundError: an earlier failure (a WAL write or sync, a flush, a compaction) put the database in
 * read-only mode, as LevelDB's background error does. The original error is the `cause`.
 */
export class BackgroundError extends ShaleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.BACKGROUND, message, options);
  }
}

/**
 * TxnConflictError: a transaction lost a conflict (a key it wrote, or under 'serializable' read, was
 * written by someone else after its snapshot); nothing of it was applied and it may be retried.
 */
export class TxnConflictError extends ShaleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.TXN_CONFLICT, message, options);
  }
}

/** TxnTooLargeError: a write would take a transaction past its buffer limit; the write was not made. */
export class TxnTooLargeError extends ShaleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.TXN_TOO_LARGE, message, options);
  }
}

/** LockTimeoutError: a pessimistic transaction waited for a row lock longer than its lockTimeout. */
export class LockTimeoutError extends ShaleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.LOCK_TIMEOUT, message, options);
  }
}

/** DeadlockError: waiting for a row lock would close a cycle of transactions waiting on each other. */
export class DeadlockError extends ShaleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.DEADLOCK, message, options);
  }
}

/**
 * toIOError wraps an error from node:fs (which carries `code` and `syscall`) into an IOError, and passes
 * ShaleErrors through unchanged.
 */
export function toIOError(err: unknown, path?: string): ShaleError {
  if (err instanceof ShaleError) return err;
  const e = err as NodeJS.ErrnoException;
  const errno = typeof e?.code === 'string' ? e.code : undefined;
  const syscall = typeof e?.syscall === 'string' ? e.syscall : undefined;
  const msg = e instanceof Error ? e.message : String(err);
  return new IOError(`I/O error: ${msg}`, errno, syscall, path ?? e?.path, { cause: err });
}
