import { ErrorCode, MaError, isMaError } from '@ma/protocol';

/** The driver's error code: SQLite's `SQLITE_*` names, PostgreSQL's SQLSTATE, or a socket errno. */
function driverCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  const code = (e as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns a database driver's error into a MaError whose code says what kind of trouble it is
 * and whose message says what the operator can do. MaErrors pass through unchanged.
 */
export function toStorageError(what: string, e: unknown): MaError {
  if (isMaError(e)) return e;
  const code = driverCode(e) ?? '';
  if (code === 'SQLITE_FULL' || code === '53100' || code === 'ENOSPC') {
    return new MaError(ErrorCode.StorageFull, `cannot ${what}: the database disk is full; free space or move the database`, {
      cause: e,
    });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code === 'XX001' || code === 'XX002') {
    return new MaError(
      ErrorCode.StorageCorrupt,
      `cannot ${what}: the database is corrupt; restore it from a backup`,
      { cause: e },
    );
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') {
    return new MaError(ErrorCode.NotFound, `cannot ${what}: the node or channel it refers to does not exist`, {
      cause: e,
    });
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') {
    return new MaError(ErrorCode.Conflict, `cannot ${what}: it already exists`, { cause: e });
  }
  const reason = e instanceof Error ? e.message : String(e);
  return new MaError(ErrorCode.StorageFailed, `cannot ${what}: ${reason}; check the database is reachable and writable`, {
    cause: e,
  });
}
