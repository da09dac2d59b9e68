import { describe, expect, it } from 'vitest';
import type { SeriesResponse } from '@ma/protocol';
import { alignSeries, appendReading, bufferFromResponse, emptyBuffer, trimBefore, valueAtOrBefore } from './series-buffer';

const response = (t: number[], avg: number[], bucket_ms = 0): SeriesResponse => ({
  channel: 1,
  from: 0,
  to: 1e6,
  bucket_ms,
  source: bucket_ms === 0 ? 'raw' : 'minute',
  t,
  avg,
  min: avg,
  max: avg,
  count: avg.map(() => 1),
});

describe('series buffer', () => {
  it('appends live raw readings in time order, replacing a repeated timestamp', () => {
    const buffer = bufferFromResponse(response([1000, 2000], [1, 2]), 'raw');
    appendReading(buffer, 3000, 3);
    appendReading(buffer, 1500, 1.5);
    appendReading(buffer, 3000, 3.5);
    expect(buffer.t).toEqual([1000, 1500, 2000, 3000]);
    expect(buffer.avg).toEqual([1, 1.5, 2, 3.5]);
  });

  it('merges live readings into the last bucket and opens new buckets on the server grid', () => {
    const buffer = bufferFromResponse(response([60_000, 120_000], [10, 20], 60_000), 'bucketed');
    appendReading(buffer, 150_000, 30);
    expect(buffer.t).toEqual([60_000, 120_000]);
    expect(buffer.avg[1]).toBe(25);
    expect(buffer.max[1]).toBe(30);
    appendReading(buffer, 250_000, 5);
    expect(buffer.t).toEqual([60_000, 120_000, 240_000]);
  });

  it('keeps the last point before the window so the line enters from the edge', () => {
    const buffer = bufferFromResponse(response([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]), 'raw');
    expect(trimBefore(buffer, 3.5)).toBe(2);
    expect(buffer.t).toEqual([3, 4, 5]);
  });

  it('aligns series on the union of timestamps, spanning alignment holes and marking real gaps', () => {
    const a = bufferFromResponse(response([0, 10_000, 20_000, 30_000, 100_000], [1, 2, 3, 4, 5]), 'raw');
    const b = emptyBuffer();
    appendReading(b, 15_000, 9);
    const [xs, ya, yb] = alignSeries([a, b]);
    expect(xs).toEqual([0, 10_000, 15_000, 20_000, 30_000, 30_001, 100_000]);
    expect(ya).toEqual([1, 2, undefined, 3, 4, null, 5]);
    expect(yb).toEqual([undefined, undefined, 9, undefined, undefined, undefined, undefined]);
    expect(valueAtOrBefore(yb ?? [], 4)).toBe(9);
    expect(valueAtOrBefore(ya ?? [], 5)).toBeNull();
  });
});
