/**
 * Choosing how a time range is cut into buckets so that a chart never gets more than
 * `points` points. Pure functions; the store runs the queries.
 */

export const MIN_POINTS = 2;
export const MAX_POINTS = 10_000;

const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Bucket widths a person reads easily, ascending. Beyond the last, widths double. */
export const NICE_BUCKETS_MS: readonly number[] = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 56 * DAY, 112 * DAY, 224 * DAY, 448 * DAY,
];

export function clampPoints(points: number): number {
  return Math.min(MAX_POINTS, Math.max(MIN_POINTS, Math.floor(points)));
}

/** Start of the bucket of width `bucketMs` (aligned to the epoch) that holds `ts`. */
export function bucketStart(ts: number, bucketMs: number): number {
  return Math.floor(ts / bucketMs) * bucketMs;
}

/** How many epoch-aligned buckets of width `bucketMs` [from, to) touches. */
export function bucketCount(from: number, to: number, bucketMs: number): number {
  if (to <= from) return 0;
  return Math.floor((to - 1) / bucketMs) - Math.floor(from / bucketMs) + 1;
}

/**
 * The narrowest nice bucket width for which [from, to) spans at most `points` buckets.
 * Buckets are aligned to the epoch (so minute and hour rollups nest in them), which is why
 * the count is checked rather than assumed: an unaligned range touches one bucket more.
 */
export function chooseBucketMs(from: number, to: number, points: number): number {
  const limit = clampPoints(points);
  const atLeast = Math.ceil((to - from) / limit);
  const fits = (b: number): boolean => b >= atLeast && bucketCount(from, to, b) <= limit;
  for (const b of NICE_BUCKETS_MS) if (fits(b)) return b;
  let b = NICE_BUCKETS_MS[NICE_BUCKETS_MS.length - 1] ?? DAY;
  while (!fits(b)) b *= 2;
  return b;
}

export type BucketSource = 'minute' | 'hour' | 'raw';

/** Which table can answer buckets of this width exactly: the widest rollup that nests in it. */
export function sourceFor(bucketMs: number): BucketSource {
  if (bucketMs >= HOUR && bucketMs % HOUR === 0) return 'hour';
  if (bucketMs >= MINUTE && bucketMs % MINUTE === 0) return 'minute';
  return 'raw';
}

export interface BucketPlan {
  /** Where the whole buckets come from; 'raw' when every bucket is computed from readings. */
  source: BucketSource;
  /** Parts of [from, to) to read from raw readings: the partial buckets at either end. */
  rawRanges: Array<[number, number]>;
  /** The whole-bucket middle of [from, to), answered from the rollup; absent when raw. */
  rollupRange: [number, number] | null;
}

/**
 * Splits [from, to) for bucket width `bucketMs`: whole buckets come from the rollup table,
 * while a bucket cut by `from` or `to` comes from raw readings, so no reading outside the
 * range ever leaks into a bucket's min, max or average.
 */
export function planBuckets(from: number, to: number, bucketMs: number): BucketPlan {
  const source = sourceFor(bucketMs);
  const innerFrom = Math.ceil(from / bucketMs) * bucketMs;
  const innerTo = bucketStart(to, bucketMs);
  if (source === 'raw' || innerFrom >= innerTo) {
    return { source: 'raw', rawRanges: [[from, to]], rollupRange: null };
  }
  const rawRanges: Array<[number, number]> = [];
  if (from < innerFrom) rawRanges.push([from, innerFrom]);
  if (innerTo < to) rawRanges.push([innerTo, to]);
  return { source, rawRanges, rollupRange: [innerFrom, innerTo] };
}
