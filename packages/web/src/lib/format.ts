/** Display formatting: numbers, units, durations. Pure functions, shared by cards and chart. */

const numberFormats = new Map<number, Intl.NumberFormat>();

function numberFormat(fractionDigits: number): Intl.NumberFormat {
  let format = numberFormats.get(fractionDigits);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-US', { maximumFractionDigits: fractionDigits });
    numberFormats.set(fractionDigits, format);
  }
  return format;
}

/**
 * A reading for people: integers as they are, one decimal from 1 up (21.4, -20.7), two significant digits below
 * (0.042), none from 1000. Fixed decimals per magnitude keep a live value from jittering in width.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return numberFormat(0).format(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return numberFormat(0).format(value);
  if (magnitude >= 1) return value.toFixed(1);
  return String(Number(value.toPrecision(2)));
}

/** `4.5 °C`, `45 %`, `1` (no unit). */
export function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return '—';
  return unit === '' ? formatNumber(value) : `${formatNumber(value)} ${unit}`;
}

/** Thousands separated integer: `12,345`. */
export function formatCount(value: number): string {
  return numberFormat(0).format(value);
}

/** How long ago `then` was, relative to `now`: `12 s ago`, `3 min ago`, `5 h ago`, `2 d ago`. */
export function formatAgo(then: number, now: number): string {
  const seconds = Math.max(0, Math.floor((now - then) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** Full local date and time, for tooltips. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toLocaleString();
}
