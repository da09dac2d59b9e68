import { ErrorCode, MaError, parseDuration } from '@ma/protocol';

/**
 * Flag values checked before any request, so a mistake is reported with the flag the user
 * typed (`--days`) rather than the API field it becomes (`expires_in_days`).
 */
export function integerFlag(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new MaError(ErrorCode.InputInvalid, `${flag}: got ${JSON.stringify(value)}, expected an integer ${min}–${max}`);
  }
  return n;
}

/** A duration flag such as `--for 2h`; returned as given (the server parses it again). */
export function durationFlag(flag: string, value: string): string {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new MaError(ErrorCode.InputInvalid, `${flag}: got ${JSON.stringify(value)}, expected a duration such as "30m", "2h" or "1d"`);
  return value;
}
