/**
 * Display formatting: numbers, units, counts, durations and times. Pure functions shared by every page and
 * the charts, reading the user's display preferences (time zone, 12/24 h, °C/°F) set once by
 * `state/preferences.ts`, so one reading looks the same everywhere.
 */

export type HourCycle = 'auto' | 'h12' | 'h23';
export type TemperatureUnit = 'C' | 'F';

export interface DisplayPrefs {
  /** IANA zone, or undefined for the browser's */
  timeZone: string | undefined;
  hourCycle: HourCycle;
  temperatureUnit: TemperatureUnit;
}

export const DEFAULT_DISPLAY: DisplayPrefs = { timeZone: undefined, hourCycle: 'auto', temperatureUnit: 'C' };
let display: DisplayPrefs = DEFAULT_DISPLAY;
const dateFormats = new Map<string, Intl.DateTimeFormat>();

export function setDisplayPrefs(next: DisplayPrefs): void {
  display = next;
  dateFormats.clear();
}

export function displayPrefs(): DisplayPrefs {
  return display;
}

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

const TEMPERATURE_UNITS = new Set(['°C', 'C', 'degC', '℃']);

/** A value in the unit the user reads it in: °C readings become °F for a user who chose °F. */
export function toDisplayUnit(value: number, unit: string, prefs: DisplayPrefs = display): { value: number; unit: string } {
  if (prefs.temperatureUnit === 'F' && TEMPERATURE_UNITS.has(unit)) return { value: (value * 9) / 5 + 32, unit: '°F' };
  if (TEMPERATURE_UNITS.has(unit)) return { value, unit: '°C' };
  return { value, unit };
}

/** The unit a channel is shown in (`°F` for a °C channel when the user reads °F). */
export function displayUnit(unit: string, prefs: DisplayPrefs = display): string {
  return toDisplayUnit(0, unit, prefs).unit;
}

/**
 * A temperature *difference* (a rate rule's "by at least 2 °C") converts without the offset: 2 °C of rise is
 * 3.6 °F of rise.
 */
export function toDisplayDelta(delta: number, unit: string, prefs: DisplayPrefs = display): number {
  return prefs.temperatureUnit === 'F' && TEMPERATURE_UNITS.has(unit) ? (delta * 9) / 5 : delta;
}

/** The reverse of toDisplayUnit: what a user typed (in °F) as the channel's own unit (°C), for rules. */
export function fromDisplayUnit(value: number, unit: string, prefs: DisplayPrefs = display): number {
  return prefs.temperatureUnit === 'F' && TEMPERATURE_UNITS.has(unit) ? ((value - 32) * 5) / 9 : value;
}

/** `4.5 °C` (or `40.1 °F`), `45 %`, `1` (no unit), `3 d 4 h` for a value in seconds. */
export function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return '—';
  if (unit === 's' && Math.abs(value) >= 60) return formatDuration(value * 1000);
  const shown = toDisplayUnit(value, unit);
  return shown.unit === '' ? formatNumber(shown.value) : `${formatNumber(shown.value)} ${shown.unit}`;
}

/** Thousands separated integer: `12,345`. */
export function formatCount(value: number): string {
  return numberFormat(0).format(value);
}

/** `1 reading`, `12,345 readings`, `0 alerts`; `many` for irregular plurals. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/** One way to say how long, everywhere: `42 s`, `10 min`, `5 h 12 min`, `3 d 4 h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
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

/** Does the browser's own locale use a 12 hour clock (what "auto" means, here and on chart axes)? */
export function browserUses12h(): boolean {
  return new Intl.DateTimeFormat(undefined, { hour: 'numeric' }).resolvedOptions().hour12 === true;
}

/** The clock in effect: the user's choice, or the browser's on "auto". */
export function uses12HourClock(prefs: DisplayPrefs = display): boolean {
  return prefs.hourCycle === 'auto' ? browserUses12h() : prefs.hourCycle === 'h12';
}

function dateFormat(key: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let format = dateFormats.get(key);
  if (format === undefined) {
    // en-GB for the order (2 Dec 2026); the clock is the user's (or the browser's), never the locale's guess.
    const hourCycle = { hourCycle: uses12HourClock() ? ('h12' as const) : ('h23' as const) };
    format = new Intl.DateTimeFormat('en-GB', { ...options, ...hourCycle, ...(display.timeZone ? { timeZone: display.timeZone } : {}) });
    dateFormats.set(key, format);
  }
  return format;
}

/** `2 Dec 2026, 14:05` (or `2:05 pm`) in the user's zone and clock. */
export function formatDateTime(ms: number): string {
  return dateFormat('datetime', { day: 'numeric', month: 'short', year: 'numeric', hour: uses12HourClock() ? 'numeric' : '2-digit', minute: '2-digit' }).format(ms);
}

/** `14:05` (or `2:05 pm`), for axes and today's events. */
export function formatTime(ms: number): string {
  return dateFormat('time', { hour: uses12HourClock() ? 'numeric' : '2-digit', minute: '2-digit' }).format(ms);
}

/** `2 Dec`, for axes spanning days. */
export function formatDay(ms: number): string {
  return dateFormat('day', { day: 'numeric', month: 'short' }).format(ms);
}

/** The browser's own time zone (shown beside "browser default" in the settings). */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
