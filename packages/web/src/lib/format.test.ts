import { describe, expect, it } from 'vitest';
import { formatAgo, formatValue } from './format';

describe('format', () => {
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
});
