/**
 * Per-channel point buffers for the chart: seeded from `/api/v1/readings`, extended by live readings, trimmed
 * to the visible window, and aligned into the columnar table uPlot draws. Pure data code, no DOM.
 */
import type { SeriesResponse } from '@ma/protocol';

export interface SeriesBuffer {
  /** bucket start (or reading time), ms, ascending and unique */
  t: number[];
  avg: number[];
  min: number[];
  max: number[];
  count: number[];
  /** 0: raw readings, each live reading is a point; > 0: live readings are merged into buckets of this size */
  bucketMs: number;
}

export function emptyBuffer(bucketMs = 0): SeriesBuffer {
  return { t: [], avg: [], min: [], max: [], count: [], bucketMs };
}

/**
 * A buffer from a server series. `live` (the short, live range) always appends raw points, so every reading
 * shows up; longer ranges keep the server's bucket size and merge live readings into the last bucket.
 */
export function bufferFromResponse(response: SeriesResponse, mode: 'raw' | 'bucketed'): SeriesBuffer {
  return {
    t: response.t.slice(),
    avg: response.avg.slice(),
    min: response.min.slice(),
    max: response.max.slice(),
    count: response.count.slice(),
    bucketMs: mode === 'raw' ? 0 : Math.max(0, response.bucket_ms),
  };
}

/** Index of the first element of the sorted `values` that is >= `target`. */
export function lowerBound(values: readonly number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertAt(buffer: SeriesBuffer, index: number, t: number, v: number): void {
  buffer.t.splice(index, 0, t);
  buffer.avg.splice(index, 0, v);
  buffer.min.splice(index, 0, v);
  buffer.max.splice(index, 0, v);
  buffer.count.splice(index, 0, 1);
}

/** Add one reading. Out-of-order readings are inserted in place; a repeated timestamp replaces the raw point. */
export function appendReading(buffer: SeriesBuffer, ts: number, v: number): void {
  if (!Number.isFinite(ts) || !Number.isFinite(v)) return;
  const { t } = buffer;
  const n = t.length;

  if (buffer.bucketMs > 0) {
    const size = buffer.bucketMs;
    // Align new buckets on the server's grid: whole bucket sizes from a bucket we already hold.
    const anchor = n > 0 ? (t[n - 1] as number) : 0;
    const start = anchor + Math.floor((ts - anchor) / size) * size;
    const i = lowerBound(t, start);
    if (i < n && t[i] === start) {
      const count = buffer.count[i] as number;
      buffer.avg[i] = ((buffer.avg[i] as number) * count + v) / (count + 1);
      buffer.min[i] = Math.min(buffer.min[i] as number, v);
      buffer.max[i] = Math.max(buffer.max[i] as number, v);
      buffer.count[i] = count + 1;
    } else {
      insertAt(buffer, i, start, v);
    }
    return;
  }

  if (n === 0 || ts > (t[n - 1] as number)) {
    t.push(ts);
    buffer.avg.push(v);
    buffer.min.push(v);
    buffer.max.push(v);
    buffer.count.push(1);
    return;
  }
  const i = lowerBound(t, ts);
  if (t[i] === ts) {
    buffer.avg[i] = v;
    buffer.min[i] = v;
    buffer.max[i] = v;
    buffer.count[i] = 1;
  } else {
    insertAt(buffer, i, ts, v);
  }
}

/**
 * Drop points older than `from`, keeping the last one before it so the line enters from the left edge.
 * Returns how many points were dropped.
 */
export function trimBefore(buffer: SeriesBuffer, from: number): number {
  const drop = lowerBound(buffer.t, from) - 1;
  if (drop <= 0) return 0;
  buffer.t.splice(0, drop);
  buffer.avg.splice(0, drop);
  buffer.min.splice(0, drop);
  buffer.max.splice(0, drop);
  buffer.count.splice(0, drop);
  return drop;
}

/**
 * Distance between neighbours above which the line is broken: three times the typical (median) spacing of the
 * series, and at least two buckets. The median is taken over the whole buffer (sampled evenly), not only its end:
 * a day of 2-minute history followed by half-second live readings must still break at a 2-hour outage.
 * Infinity when there are too few points to tell.
 */
export function gapThreshold(buffer: SeriesBuffer): number {
  const { t } = buffer;
  const n = t.length;
  if (n < 3) return Number.POSITIVE_INFINITY;
  const deltas: number[] = [];
  const step = Math.max(1, Math.floor((n - 1) / 200));
  for (let i = 1; i < n; i += step) deltas.push((t[i] as number) - (t[i - 1] as number));
  deltas.sort((a, b) => a - b);
  const median = deltas[deltas.length >> 1] as number;
  return Math.max(3 * median, 2 * buffer.bucketMs, 1000);
}

/** uPlot's columnar table: x values, then one y column per series (`undefined` = no point, `null` = gap). */
export type AlignedTable = [number[], ...Array<Array<number | null | undefined>>];

/**
 * Join series with different timestamps into one table on the union of their x values. A break in a series
 * (see `gapThreshold`) becomes an explicit `null` just after the last point before it, so uPlot draws a gap
 * there while lines still span the alignment holes (`undefined`) other series introduce.
 *
 * With `bands`, the table also carries each series' min and max columns after all the averages (series n:
 * min at 1 + count + 2n, max just after), for the min/max band of downsampled data.
 */
export function alignSeries(buffers: ReadonlyArray<SeriesBuffer | undefined>, bands = false): AlignedTable {
  const gapsPerSeries: number[][] = buffers.map((buffer) => {
    if (buffer === undefined) return [];
    const threshold = gapThreshold(buffer);
    const gaps: number[] = [];
    if (threshold === Number.POSITIVE_INFINITY) return gaps;
    for (let i = 1; i < buffer.t.length; i++) {
      const prev = buffer.t[i - 1] as number;
      if ((buffer.t[i] as number) - prev > threshold) gaps.push(prev + 1);
    }
    return gaps;
  });

  const xsSet = new Set<number>();
  buffers.forEach((buffer, s) => {
    if (buffer !== undefined) for (const x of buffer.t) xsSet.add(x);
    for (const x of gapsPerSeries[s] as number[]) xsSet.add(x);
  });
  const xs = [...xsSet].sort((a, b) => a - b);
  const index = new Map<number, number>();
  xs.forEach((x, i) => index.set(x, i));

  const column = (s: number, field: 'avg' | 'min' | 'max'): Array<number | null | undefined> => {
    const out = new Array<number | null | undefined>(xs.length).fill(undefined);
    const buffer = buffers[s];
    if (buffer === undefined) return out;
    const values = buffer[field];
    buffer.t.forEach((x, i) => {
      out[index.get(x) as number] = values[i] as number;
    });
    // uPlot clips a gap only up to the next x of the whole table, so every alignment hole inside a break
    // (other series' points) must be null too, or the line bridges the outage.
    for (const x of gapsPerSeries[s] as number[]) {
      for (let i = index.get(x) as number; i < out.length && out[i] === undefined; i++) out[i] = null;
    }
    return out;
  };
  const columns = buffers.map((_, s) => column(s, 'avg'));
  if (bands) buffers.forEach((_, s) => columns.push(column(s, 'min'), column(s, 'max')));
  return [xs, ...columns];
}

/** The last value at or before column index `idx` (a hover between a series' points shows its previous value). */
export function valueAtOrBefore(column: ReadonlyArray<number | null | undefined>, idx: number): number | null {
  for (let i = Math.min(idx, column.length - 1); i >= 0; i--) {
    const v = column[i];
    if (v === null) return null;
    if (v !== undefined) return v;
  }
  return null;
}
