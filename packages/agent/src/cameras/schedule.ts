import type { TimeWindow } from './cameras-config.js';

const DAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Whether local time `at` falls inside one of the windows (none: always). A window whose
 * `to` is before its `from` crosses midnight; its day is the day it starts.
 */
export function inWindows(windows: readonly TimeWindow[], at: Date): boolean {
  if (windows.length === 0) return true;
  const now = at.getHours() * 60 + at.getMinutes();
  const today = DAY_KEYS[at.getDay()]!;
  const yesterday = DAY_KEYS[(at.getDay() + 6) % 7]!;
  return windows.some((w) => {
    const from = minutes(w.from);
    const to = minutes(w.to);
    if (from <= to) return w.days.includes(today) && now >= from && now < to;
    return (w.days.includes(today) && now >= from) || (w.days.includes(yesterday) && now < to);
  });
}
