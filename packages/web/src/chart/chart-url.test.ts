import { describe, expect, it } from 'vitest';
import { chartQuery, parseChartQuery } from './chart-url';
import { DEFAULT_RANGE, panWindow, rangeByKey, relative } from './time-ranges';

describe('chart URL state', () => {
  it('round-trips channels and a relative range', () => {
    const state = { channels: [3, 5], window: relative(rangeByKey('30d')!) };
    const query = chartQuery(state);
    expect(query).toBe('ch=3,5&range=30d');
    expect(parseChartQuery(query)).toEqual(state);
  });

  it('round-trips a fixed window and keeps unrelated parameters', () => {
    const query = chartQuery({ channels: [1], window: { kind: 'fixed', from: 1000, to: 5000 } }, new URLSearchParams('kiosk=1&range=1h'));
    expect(query).toBe('kiosk=1&ch=1&from=1000&to=5000');
    expect(parseChartQuery(query).window).toEqual({ kind: 'fixed', from: 1000, to: 5000 });
  });

  it('falls back to defaults on nonsense, dropping bad channel ids', () => {
    expect(parseChartQuery('ch=1,x,-2,1&range=2w&from=9&to=3')).toEqual({ channels: [1], window: relative(DEFAULT_RANGE) });
    expect(parseChartQuery('')).toEqual({ channels: null, window: relative(DEFAULT_RANGE) });
  });
});

describe('panWindow', () => {
  const hour = rangeByKey('1h')!;
  it('moves half a span back in time as a fixed window', () => {
    expect(panWindow(relative(hour), -0.5, 10_000_000, hour)).toEqual({ kind: 'fixed', from: 10_000_000 - 5_400_000, to: 10_000_000 - 1_800_000 });
  });
  it('returns to the live range when panned back to now', () => {
    const back = { kind: 'fixed' as const, from: 10_000_000 - 5_400_000, to: 10_000_000 - 1_800_000 };
    expect(panWindow(back, 0.5, 10_000_000, hour)).toEqual(relative(hour));
    expect(panWindow(back, 0.5, 10_000_000, null)).toEqual({ kind: 'fixed', from: 10_000_000 - 3_600_000, to: 10_000_000 });
  });
});
