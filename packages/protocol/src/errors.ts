/**
 * One error type for the whole system. Codes sit in ranges by area so callers test the
 * area (`isConfigError`) rather than matching message strings.
 */
export const ErrorCode = {
  // 1xx configuration
  ConfigInvalid: 100,
  ConfigNotFound: 101,
  // 2xx drivers and hardware
  DriverReadFailed: 200,
  DriverBadReading: 201,
  DriverDeviceMissing: 202,
  // 3xx transport
  TransportConnectFailed: 300,
  TransportTls: 301,
  TransportAuth: 302,
  // 4xx storage
  StorageFailed: 400,
  StorageCorrupt: 401,
  StorageFull: 402,
  // 5xx auth and permissions
  AuthRequired: 500,
  AuthForbidden: 501,
  /** Too many failed logins from this address or for this user; retry after the delay given. */
  AuthRateLimited: 502,
  // 6xx input and lookups
  InputInvalid: 600,
  NotFound: 601,
  Conflict: 602,
  // 9xx internal
  Internal: 900,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class MaError extends Error {
  override readonly name = 'MaError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isMaError(e: unknown): e is MaError {
  return e instanceof MaError;
}
const inRange = (e: unknown, lo: number): boolean => isMaError(e) && e.code >= lo && e.code < lo + 100;
export const isConfigError = (e: unknown): e is MaError => inRange(e, 100);
export const isDriverError = (e: unknown): e is MaError => inRange(e, 200);
export const isTransportError = (e: unknown): e is MaError => inRange(e, 300);
export const isStorageError = (e: unknown): e is MaError => inRange(e, 400);
export const isAuthError = (e: unknown): e is MaError => inRange(e, 500);

/** HTTP status for an error code, used by the API. */
export function httpStatusFor(code: ErrorCode): number {
  if (code === ErrorCode.NotFound) return 404;
  if (code === ErrorCode.Conflict) return 409;
  if (code === ErrorCode.AuthRequired) return 401;
  if (code === ErrorCode.AuthForbidden) return 403;
  if (code === ErrorCode.AuthRateLimited) return 429;
  if (code >= 100 && code < 200) return 400;
  if (code === ErrorCode.InputInvalid) return 400;
  if (code === ErrorCode.StorageFull) return 507;
  if (code >= 300 && code < 400) return 502;
  return 500;
}
