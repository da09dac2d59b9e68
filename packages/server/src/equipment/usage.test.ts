import { describe, expect, it } from 'vitest';
import { isoWeek, usageStats } from './usage.js';
import type { SessionRow } from './sessions-store.js';

const MON_9 = Date.UTC(2026, 10, 30, 9, 0); // Monday 30 November 2026, 09:00 UTC
const M = 60_000;
const session = (id: number, start: number, end: number | null, person: number | null, energy: number | null = null): SessionRow => ({ id, equipment_id: 1, person_id: person, node_id: 1, actuator: 'plug', source: 'server', started_at: start, ended_at: end, energy_wh: energy, end_reason: end ? 'tap' : null });

describe('usage statistics', () => {
  it('spreads sessions over hours of the week, totals them and gives each ISO week its share', () => {
    const u = usageStats({
      sessions: [session(1, MON_9 + 30 * M, MON_9 + 90 * M, 1, 12), session(2, MON_9 + 24 * 60 * M, MON_9 + 24 * 60 * M + 15 * M, 2, 3)],
      equipmentName: () => 'laser',
      from: MON_9 - 60 * M,
      to: MON_9 + 7 * 24 * 60 * M,
      now: MON_9 + 7 * 24 * 60 * M,
      timeZone: 'UTC',
    });
    expect(u.hour_of_week[0]![9]).toBe(30);
    expect(u.hour_of_week[0]![10]).toBe(30);
    expect(u.hour_of_week[1]![9]).toBe(15);
    expect(u.totals).toEqual([{ equipment: 'laser', sessions: 2, in_use_ms: 75 * M, energy_wh: 15, people: 2 }]);
    expect(u.utilisation).toEqual([{ equipment: 'laser', week: '2026-W49', in_use_ms: 75 * M, share: Math.round((75 / (7 * 24 * 60)) * 10_000) / 10_000 }]);
  });

  it('clips sessions to the range and counts a running one up to now', () => {
    const u = usageStats({ sessions: [session(1, MON_9 - 60 * M, null, null)], equipmentName: () => 'lathe', from: MON_9, to: MON_9 + 60 * M, now: MON_9 + 30 * M, timeZone: 'UTC' });
    expect(u.totals).toEqual([{ equipment: 'lathe', sessions: 1, in_use_ms: 30 * M, energy_wh: null, people: 0 }]);
  });

  it('names ISO weeks across a year boundary', () => {
    expect(isoWeek(Date.UTC(2027, 0, 1))).toBe('2026-W53');
    expect(isoWeek(Date.UTC(2026, 0, 1))).toBe('2026-W01');
  });
});
