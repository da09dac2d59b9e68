import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, NICE_BUCKETS_MS, bucketCount, chooseBucketMs, clampPoints, planBuckets, sourceFor } from './downsample.js';

const DAY = 24 * HOUR;
const YEAR_START = Date.UTC(2024, 0, 1);

describe('clampPoints', () => {
  it('keeps points within [2, 10000] and whole', () => {
    expect(clampPoints(0)).toBe(2);
    expect(clampPoints(1)).toBe(2);
    expect(clampPoints(999.7)).toBe(999);
    expect(clampPoints(1e9)).toBe(10_000);
  });
});

describe('chooseBucketMs', () => {
  it('picks a nice width', () => {
    const b = chooseBucketMs(YEAR_START, YEAR_START + 365 * DAY, 1000);
    expect(NICE_BUCKETS_MS).toContain(b);
    expect(b).toBe(12 * HOUR);
  });

  it('never yields more buckets than points, even for ranges not aligned to buckets', () => {
    for (const points of [2, 3, 7, 100, 999, 1000, 10_000]) {
      for (const span of [1, 59_999, MINUTE, 7 * HOUR + 13, DAY, 30 * DAY + 1, 365 * DAY, 10 * 365 * DAY]) {
        for (const offset of [0, 1, 12_345, 59 * MINUTE]) {
          const from = YEAR_START + offset;
          const b = chooseBucketMs(from, from + span, points);
          expect(bucketCount(from, from + span, b)).toBeLessThanOrEqual(points);
        }
      }
    }
  });

  it('chooses the narrowest nice width that fits', () => {
    const from = YEAR_START;
    const b = chooseBucketMs(from, from + DAY, 1000);
    expect(b).toBe(2 * MINUTE); // 1 min would give 1440 buckets
    const index = NICE_BUCKETS_MS.indexOf(b);
    const narrower = NICE_BUCKETS_MS[index - 1] ?? 0;
    expect(bucketCount(from, from + DAY, narrower)).toBeGreaterThan(1000);
  });

  it('keeps doubling past the widest nice width for very long ranges', () => {
    const b = chooseBucketMs(0, 1000 * 365 * DAY, 2);
    expect(bucketCount(0, 1000 * 365 * DAY, b)).toBeLessThanOrEqual(2);
  });
});

describe('sourceFor', () => {
  it('uses the widest rollup that nests in the bucket', () => {
    expect(sourceFor(30_000)).toBe('raw');
    expect(sourceFor(MINUTE)).toBe('minute');
    expect(sourceFor(30 * MINUTE)).toBe('minute');
    expect(sourceFor(HOUR)).toBe('hour');
    expect(sourceFor(12 * HOUR)).toBe('hour');
    expect(sourceFor(7 * DAY)).toBe('hour');
  });
});

describe('planBuckets', () => {
  it('reads whole buckets from the rollup and the partial ends from raw readings', () => {
    const from = YEAR_START + 30 * MINUTE;
    const to = YEAR_START + 10 * HOUR + 5 * MINUTE;
    expect(planBuckets(from, to, HOUR)).toEqual({
      source: 'hour',
      rawRanges: [
        [from, YEAR_START + HOUR],
        [YEAR_START + 10 * HOUR, to],
      ],
      rollupRange: [YEAR_START + HOUR, YEAR_START + 10 * HOUR],
    });
  });

  it('needs no raw reads for an aligned range', () => {
    expect(planBuckets(YEAR_START, YEAR_START + DAY, HOUR)).toEqual({
      source: 'hour',
      rawRanges: [],
      rollupRange: [YEAR_START, YEAR_START + DAY],
    });
  });

  it('falls back to raw when no whole bucket fits in the range', () => {
    const from = YEAR_START + 10 * MINUTE;
    expect(planBuckets(from, from + 30 * MINUTE, HOUR)).toEqual({
      source: 'raw',
      rawRanges: [[from, from + 30 * MINUTE]],
      rollupRange: null,
    });
  });

  it('uses raw readings for buckets narrower than a minute', () => {
    expect(planBuckets(YEAR_START, YEAR_START + HOUR, 10_000).source).toBe('raw');
  });
});
