/** The chart's selectable windows. Every window follows "now"; the shortest one appends every raw reading. */
export interface TimeRange {
  key: '15m' | '1h' | '24h' | '7d';
  label: string;
  /** long name for screen readers and tooltips */
  title: string;
  ms: number;
  /** live ranges chart raw readings; the others merge live readings into the server's buckets */
  live: boolean;
}

const MINUTE = 60_000;

export const TIME_RANGES: readonly TimeRange[] = [
  { key: '15m', label: '15 min', title: 'Last 15 minutes, live', ms: 15 * MINUTE, live: true },
  { key: '1h', label: '1 h', title: 'Last hour', ms: 60 * MINUTE, live: false },
  { key: '24h', label: '24 h', title: 'Last 24 hours', ms: 24 * 60 * MINUTE, live: false },
  { key: '7d', label: '7 d', title: 'Last 7 days', ms: 7 * 24 * 60 * MINUTE, live: false },
];

export const DEFAULT_RANGE = TIME_RANGES[0] as TimeRange;
