import { describe, expect, it } from 'vitest';
import { inQuietHours } from './quiet-hours.js';

describe('quiet hours', () => {
  const night = { from: '22:00', to: '07:00', tz: 'UTC' };
  it('span midnight', () => {
    expect(inQuietHours(night, Date.UTC(2026, 0, 1, 23, 30))).toBe(true);
    expect(inQuietHours(night, Date.UTC(2026, 0, 1, 6, 59))).toBe(true);
    expect(inQuietHours(night, Date.UTC(2026, 0, 1, 7, 0))).toBe(false);
    expect(inQuietHours(night, Date.UTC(2026, 0, 1, 12, 0))).toBe(false);
  });
  it('are read in the recipient\'s time zone', () => {
    // 21:30 UTC is 22:30 in Paris in winter.
    expect(inQuietHours({ ...night, tz: 'Europe/Paris' }, Date.UTC(2026, 0, 1, 21, 30))).toBe(true);
    expect(inQuietHours(night, Date.UTC(2026, 0, 1, 21, 30))).toBe(false);
  });
  it('within one day', () => {
    const lunch = { from: '12:00', to: '13:00', tz: 'UTC' };
    expect(inQuietHours(lunch, Date.UTC(2026, 0, 1, 12, 30))).toBe(true);
    expect(inQuietHours(lunch, Date.UTC(2026, 0, 1, 13, 30))).toBe(false);
  });
});
