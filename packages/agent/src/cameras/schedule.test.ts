import { describe, expect, it } from 'vitest';
import { inWindows } from './schedule.js';

const at = (iso: string) => new Date(iso); // local time: no Z

describe('camera time windows', () => {
  it('always captures without windows', () => {
    expect(inWindows([], at('2026-12-05T03:00:00'))).toBe(true);
  });
  it('captures 07:00–23:00 on weekdays only', () => {
    const w = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, from: '07:00', to: '23:00' }].map((x) => ({ ...x, days: [...x.days] }));
    expect(inWindows(w, at('2026-12-02T07:00:00'))).toBe(true); // a Wednesday
    expect(inWindows(w, at('2026-12-02T06:59:00'))).toBe(false);
    expect(inWindows(w, at('2026-12-02T23:00:00'))).toBe(false);
    expect(inWindows(w, at('2026-12-05T12:00:00'))).toBe(false); // a Saturday
  });
  it('a window crossing midnight belongs to the day it starts', () => {
    const w = [{ days: ['fri' as const], from: '22:00', to: '02:00' }];
    expect(inWindows(w, at('2026-12-04T23:30:00'))).toBe(true); // Friday night
    expect(inWindows(w, at('2026-12-05T01:59:00'))).toBe(true); // early Saturday
    expect(inWindows(w, at('2026-12-05T23:30:00'))).toBe(false); // Saturday night
  });
});
