import { ErrorCode, MaError } from '@ma/protocol';

/** Accepts ms since the epoch or an ISO 8601 date-time, as the readings API documents. */
export function parseTimeParam(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new MaError(ErrorCode.InputInvalid, `query parameter ${name}: got ${JSON.stringify(value)}, expected ms since the epoch or an ISO 8601 time such as 2026-11-25T12:00:00Z`);
  }
  return t;
}
