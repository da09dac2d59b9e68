import type { QuietHours } from '../alerts/rule.js';

const minutesOfDay = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Is `at` inside the quiet hours (in their time zone)? A range like 22:00–07:00 spans midnight. */
export function inQuietHours(q: QuietHours, at: number): boolean {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: q.tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const h = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const m = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  const now = h * 60 + m;
  const from = minutesOfDay(q.from);
  const to = minutesOfDay(q.to);
  if (from === to) return false;
  return from < to ? now >= from && now < to : now >= from || now < to;
}
