import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DISPLAY, formatAgo, formatDateTime, formatDuration, formatTime, formatValue, fromDisplayUnit, plural, setDisplayPrefs, toDisplayDelta } from './format';

describe('format', () => {
  afterEach(() => setDisplayPrefs(DEFAULT_DISPLAY));

  it('shows readings with their unit and a steady number of decimals', () => {
    expect(formatValue(4.5, '°C')).toBe('4.5 °C');
    expect(formatValue(-20.04, '°C')).toBe('-20.0 °C');
    expect(formatValue(1, '')).toBe('1');
    expect(formatValue(12345.6, 'ppm')).toBe('12,346 ppm');
    expect(formatValue(null, '%')).toBe('—');
  });

  it('says how long ago in the largest whole unit', () => {
    expect(formatAgo(0, 12_400)).toBe('12 s ago');
    expect(formatAgo(0, 5 * 60_000)).toBe('5 min ago');
    expect(formatAgo(0, 3 * 3_600_000)).toBe('3 h ago');
    expect(formatAgo(0, 3 * 86_400_000)).toBe('3 d ago');
    expect(formatAgo(1000, 0)).toBe('0 s ago');
  });

  it('counts with the right plural', () => {
    expect(plural(1, 'reading')).toBe('1 reading');
    expect(plural(0, 'reading')).toBe('0 readings');
    expect(plural(12_345, 'auth failure')).toBe('12,345 auth failures');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
  });

  it('says every duration one way, including a value in seconds (uptime)', () => {
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(10 * 60_000)).toBe('10 min');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(5 * 3_600_000 + 12 * 60_000)).toBe('5 h 12 min');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3 d 4 h');
    expect(formatValue(614.8, 's')).toBe('10 min');
    expect(formatValue(42.5, 's')).toBe('42.5 s');
  });

  it('shows °C readings in °F for a user who chose °F, and converts typed values and deltas back', () => {
    setDisplayPrefs({ ...DEFAULT_DISPLAY, temperatureUnit: 'F' });
    expect(formatValue(4.5, '°C')).toBe('40.1 °F');
    expect(formatValue(-40, '°C')).toBe('-40 °F');
    expect(formatValue(45, '%')).toBe('45 %');
    expect(fromDisplayUnit(212, '°C')).toBe(100);
    expect(toDisplayDelta(2, '°C')).toBeCloseTo(3.6);
  });

  it("writes times in the user's time zone and clock", () => {
    const t = Date.UTC(2026, 11, 2, 14, 5);
    setDisplayPrefs({ timeZone: 'UTC', hourCycle: 'h23', temperatureUnit: 'C' });
    expect(formatTime(t)).toBe('14:05');
    expect(formatDateTime(t)).toBe('2 Dec 2026, 14:05');
    setDisplayPrefs({ timeZone: 'America/New_York', hourCycle: 'h12', temperatureUnit: 'C' });
    expect(formatTime(t).toLowerCase()).toBe('9:05 am');
    expect(formatDateTime(t).toLowerCase()).toBe('2 dec 2026, 9:05 am');
  });
});
