/**
 * The chart's windows. A relative range follows "now" (the shortest appends every raw reading); a fixed window
 * (custom dates, a drag zoom, a pan) stays put.
 */
export type RangeKey = '15m' | '1h' | '24h' | '7d' | '30d' | '1y';

export interface TimeRange {
  key: RangeKey;
  label: string;
  /** long name for screen readers and tooltips */
  title: string;
  ms: number;
  /** live ranges chart raw readings; the others merge live readings into the server's buckets */
  live: boolean;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const TIME_RANGES: readonly TimeRange[] = [
  { key: '15m', label: '15 min', title: 'Last 15 minutes, live', ms: 15 * MINUTE, live: true },
  { key: '1h', label: '1 h', title: 'Last hour', ms: 60 * MINUTE, live: false },
  { key: '24h', label: '24 h', title: 'Last 24 hours', ms: DAY, live: false },
  { key: '7d', label: '7 d', title: 'Last 7 days', ms: 7 * DAY, live: false },
  { key: '30d', label: '30 d', title: 'Last 30 days', ms: 30 * DAY, live: false },
  { key: '1y', label: '1 y', title: 'Last year', ms: 365 * DAY, live: false },
];

export const DEFAULT_RANGE = TIME_RANGES[0] as TimeRange;

export function rangeByKey(key: string | null): TimeRange | undefined {
  return TIME_RANGES.find((r) => r.key === key);
}

export type ChartWindow = { kind: 'relative'; range: TimeRange } | { kind: 'fixed'; from: number; to: number };

export const relative = (range: TimeRange): ChartWindow => ({ kind: 'relative', range });

/** The window's bounds at time `now`. */
export function windowBounds(window: ChartWindow, now: number): { from: number; to: number } {
  return window.kind === 'relative' ? { from: now - window.range.ms, to: now } : { from: window.from, to: window.to };
}

export function windowKey(window: ChartWindow): string {
  return window.kind === 'relative' ? window.range.key : `${window.from}-${window.to}`;
}

/**
 * Shift the window by `fraction` of its span (negative: earlier). The result is fixed, and never ends after
 * `now`; panning back to the present returns to the relative range it came from when there is one.
 */
export function panWindow(window: ChartWindow, fraction: number, now: number, home: TimeRange | null): ChartWindow {
  const { from, to } = windowBounds(window, now);
  const span = to - from;
  const shift = span * fraction;
  if (to + shift >= now) return home !== null && Math.abs(home.ms - span) < 1000 ? relative(home) : { kind: 'fixed', from: now - span, to: now };
  return { kind: 'fixed', from: Math.round(from + shift), to: Math.round(to + shift) };
}
