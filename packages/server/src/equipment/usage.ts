import { localTime, WEEKDAYS } from './equipment-rule.js';
import type { SessionRow } from './sessions-store.js';

const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;

/** ISO week label (e.g. `2026-W49`) of a UTC instant. */
export function isoWeek(at: number): string {
  const d = new Date(at);
  const day = (d.getUTCDay() + 6) % 7; // Monday 0
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3);
  const year = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 4) + ((new Date(Date.UTC(year, 0, 4)).getUTCDay() + 6) % 7) * 86_400_000) / WEEK);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export interface UsageInput {
  sessions: readonly SessionRow[];
  equipmentName(id: number): string;
  from: number;
  to: number;
  now: number;
  timeZone: string | undefined;
}

/**
 * Usage statistics over sessions clipped to [from, to): minutes in use by hour of week
 * (Monday first, local time), the share of each week each equipment was in use, and totals.
 */
export function usageStats(input: UsageInput): {
  hour_of_week: number[][];
  utilisation: Array<{ equipment: string; week: string; in_use_ms: number; share: number }>;
  totals: Array<{ equipment: string; sessions: number; in_use_ms: number; energy_wh: number | null; people: number }>;
} {
  const grid = WEEKDAYS.map(() => new Array<number>(24).fill(0));
  const weeks = new Map<string, number>();
  const totals = new Map<string, { sessions: number; in_use_ms: number; energy_wh: number | null; people: Set<number> }>();
  for (const s of input.sessions) {
    const start = Math.max(s.started_at, input.from);
    const end = Math.min(s.ended_at ?? input.now, input.to);
    if (end <= start) continue;
    const eq = input.equipmentName(s.equipment_id);
    const t = totals.get(eq) ?? { sessions: 0, in_use_ms: 0, energy_wh: null, people: new Set<number>() };
    t.sessions++;
    t.in_use_ms += end - start;
    if (s.energy_wh !== null) t.energy_wh = (t.energy_wh ?? 0) + s.energy_wh;
    if (s.person_id !== null) t.people.add(s.person_id);
    totals.set(eq, t);
    // Walk the session hour by hour (UTC hour boundaries match local ones in whole-hour zones).
    for (let a = start; a < end; ) {
      const b = Math.min(end, Math.floor(a / HOUR) * HOUR + HOUR);
      const lt = localTime(a, input.timeZone);
      grid[WEEKDAYS.indexOf(lt.day)]![Math.floor(lt.minute / 60)]! += (b - a) / 60_000;
      const key = `${eq}\0${isoWeek(a)}`;
      weeks.set(key, (weeks.get(key) ?? 0) + (b - a));
      a = b;
    }
  }
  return {
    hour_of_week: grid.map((row) => row.map((m) => Math.round(m * 10) / 10)),
    utilisation: [...weeks.entries()]
      .map(([k, ms]) => ({ equipment: k.split('\0')[0]!, week: k.split('\0')[1]!, in_use_ms: ms, share: Math.round((ms / WEEK) * 10_000) / 10_000 }))
      .sort((a, b) => (a.equipment === b.equipment ? a.week.localeCompare(b.week) : a.equipment.localeCompare(b.equipment))),
    totals: [...totals.entries()].map(([equipment, t]) => ({ equipment, sessions: t.sessions, in_use_ms: t.in_use_ms, energy_wh: t.energy_wh, people: t.people.size })).sort((a, b) => a.equipment.localeCompare(b.equipment)),
  };
}
