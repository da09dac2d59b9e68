import type { RollupTable } from './database.js';
import { bucketStart } from './downsample.js';

export interface ReadingPoint {
  channel_id: number;
  ts: number;
  value: number;
}

/**
 * Folds readings into one rollup row per (channel, bucket), sorted by channel then bucket so
 * concurrent writers (several server replicas on PostgreSQL) lock rollup rows in the same
 * order and cannot deadlock each other.
 */
export function rollUp(rows: readonly ReadingPoint[], bucketMs: number): RollupTable[] {
  const byKey = new Map<string, RollupTable>();
  for (const r of rows) {
    const bucket_ts = bucketStart(r.ts, bucketMs);
    const key = `${r.channel_id}:${bucket_ts}`;
    const acc = byKey.get(key);
    if (acc === undefined) {
      byKey.set(key, { channel_id: r.channel_id, bucket_ts, min: r.value, max: r.value, sum: r.value, count: 1 });
    } else {
      if (r.value < acc.min) acc.min = r.value;
      if (r.value > acc.max) acc.max = r.value;
      acc.sum += r.value;
      acc.count += 1;
    }
  }
  return [...byKey.values()].sort((a, b) => a.channel_id - b.channel_id || a.bucket_ts - b.bucket_ts);
}

/** Each channel's newest reading among `rows`: latest ts, and on a tie the higher seq. */
export function latestPerChannel<T extends ReadingPoint & { seq: number }>(rows: readonly T[]): T[] {
  const latest = new Map<number, T>();
  for (const r of rows) {
    const seen = latest.get(r.channel_id);
    if (seen === undefined || r.ts > seen.ts || (r.ts === seen.ts && r.seq > seen.seq)) latest.set(r.channel_id, r);
  }
  return [...latest.values()].sort((a, b) => a.channel_id - b.channel_id);
}
