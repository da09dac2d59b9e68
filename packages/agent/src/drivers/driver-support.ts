/**
 * Small pieces every driver needs: a duration field for config schemas, and the mapping
 * from an operating-system error on a device file to a MaError with a driver code.
 */
import { readFile } from 'node:fs/promises';
import { ErrorCode, MaError, parseDuration } from '@ma/protocol';
import { z } from 'zod';

/** A config duration: `"10s"`, `"500ms"`, `"5m"` or a number of ms; parses to ms (> 0). */
export const durationSchema = z.union([z.string(), z.number()]).transform((input, ctx): number => {
  const ms = parseDuration(input);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a duration such as "500ms", "10s", "5m" or a positive number of ms' });
    return z.NEVER;
  }
  return ms;
});

/** Free-form labels for a channel, with the limits the wire schema enforces. */
export const labelsSchema = z.record(z.string().min(1).max(64), z.string().max(256));
export const labelSchema = z.string().min(1).max(128);

function errnoOf(e: unknown): string | undefined {
  if (e instanceof Error && 'code' in e && typeof e.code === 'string') return e.code;
  return undefined;
}

/** True when `e` says that the file (or the device behind it) is not there. */
export function isMissing(e: unknown): boolean {
  const code = errnoOf(e);
  return code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO' || code === 'ENOTDIR';
}

/**
 * Turns an error from reading a device file into a MaError: a device that is gone
 * (ENOENT, ENODEV, ENXIO) is DriverDeviceMissing; anything else (EIO, EAGAIN, ...) is
 * DriverReadFailed. A MaError passes through unchanged.
 */
export function deviceReadError(e: unknown, what: string, file: string): MaError {
  if (e instanceof MaError) return e;
  const code = errnoOf(e) ?? 'unknown error';
  if (isMissing(e)) {
    return new MaError(ErrorCode.DriverDeviceMissing, `${what} is missing (${code} reading ${file}): check that it is connected`, { cause: e });
  }
  return new MaError(ErrorCode.DriverReadFailed, `${what} could not be read (${code} reading ${file}): check wiring and power`, { cause: e });
}

/** Reads a small text file from sysfs/procfs, mapping failures with deviceReadError. */
export async function readDeviceText(file: string, what: string, signal?: AbortSignal): Promise<string> {
  try {
    return await readFile(file, { encoding: 'utf8', signal });
  } catch (e) {
    throw deviceReadError(e, what, file);
  }
}

/** The error for a read of a key this instance does not have. */
export function unknownChannel(driver: string, key: string, known: readonly string[]): MaError {
  const list = known.length > 0 ? known.join(', ') : '(none)';
  return new MaError(ErrorCode.NotFound, `${driver}: no channel "${key}"; known channels: ${list}`);
}

/** The error for a read before start() or after stop(). */
export function notRunning(driver: string): MaError {
  return new MaError(ErrorCode.DriverReadFailed, `${driver}: driver is not running (read before start() or after stop())`);
}

/** Rejects a value outside the channel's expected range as a bad reading. */
export function checkRange(value: number, range: { min: number; max: number } | undefined, what: string): number {
  if (!Number.isFinite(value)) throw new MaError(ErrorCode.DriverBadReading, `${what}: reading is not a finite number`);
  if (range && (value < range.min || value > range.max)) {
    throw new MaError(ErrorCode.DriverBadReading, `${what}: reading ${value} is outside the expected range ${range.min}..${range.max}`);
  }
  return value;
}
