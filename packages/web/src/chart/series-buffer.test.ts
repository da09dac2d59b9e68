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

describe('alignSeries with min/max bands', () => {
  it('appends min and max columns per series after the averages, with the same gaps', () => {
    const M = 60_000;
    const a = { t: [0, M, 2 * M, 10 * M], avg: [1, 2, 3, 4], min: [0, 1, 2, 3], max: [2, 3, 4, 5], count: [2, 2, 2, 2], bucketMs: M };
    const [xs, avg, min, max] = alignSeries([a], true);
    expect(xs).toEqual([0, M, 2 * M, 2 * M + 1, 10 * M]);
    expect(avg).toEqual([1, 2, 3, null, 4]);
    expect(min).toEqual([0, 1, 2, null, 3]);
    expect(max).toEqual([2, 3, 4, null, 5]);
  });
});

describe('gapThreshold', () => {
  it('breaks a long outage in 2-minute history even when half-second live readings follow it', () => {
    const t: number[] = [];
    for (let i = 0; i < 720; i++) if (i < 300 || i >= 360) t.push(i * 120_000);
    const last = t[t.length - 1]!;
    for (let i = 1; i <= 60; i++) t.push(last + i * 500);
    const buffer = { t, avg: t.map(() => 1), min: t.map(() => 1), max: t.map(() => 1), count: t.map(() => 1), bucketMs: 0 };
    const [xs, column] = alignSeries([buffer]);
    const nulls = column!.map((v, i) => (v === null ? xs[i] : null)).filter((x) => x !== null);
    expect(nulls).toEqual([299 * 120_000 + 1]);
  });
});

describe('alignSeries across series', () => {
  it("nulls every other series' x inside one series' break, so the break is drawn however many series share the chart", () => {
    const M = 60_000;
    const a = { t: [0, M, 2 * M, 10 * M, 11 * M], avg: [1, 1, 1, 1, 1], min: [1, 1, 1, 1, 1], max: [1, 1, 1, 1, 1], count: [1, 1, 1, 1, 1], bucketMs: 0 };
    const b = { t: [0, 4 * M, 6 * M, 11 * M], avg: [2, 2, 2, 2], min: [2, 2, 2, 2], max: [2, 2, 2, 2], count: [1, 1, 1, 1], bucketMs: 0 };
    const [xs, colA, colB] = alignSeries([a, b]);
    expect(xs).toEqual([0, M, 2 * M, 2 * M + 1, 4 * M, 6 * M, 10 * M, 11 * M]);
    expect(colA).toEqual([1, 1, 1, null, null, null, 1, 1]);
    // b's own holes stay undefined: its line spans a's points.
    expect(colB).toEqual([2, undefined, undefined, undefined, 2, 2, undefined, 2]);
  });
});
