import { describe, expect, it } from 'vitest';
import { latestPerChannel, rollUp } from './rollup.js';

describe('rollUp', () => {
  it('folds readings into one min/max/sum/count row per channel and bucket, in key order', () => {
    const rows = [
      { channel_id: 2, ts: 60_500, value: 5 },
      { channel_id: 1, ts: 61_000, value: 3 },
      { channel_id: 1, ts: 119_999, value: -1 },
      { channel_id: 1, ts: 1_000, value: 7 },
      { channel_id: 1, ts: 120_000, value: 4 },
    ];
    expect(rollUp(rows, 60_000)).toEqual([
      { channel_id: 1, bucket_ts: 0, min: 7, max: 7, sum: 7, count: 1 },
      { channel_id: 1, bucket_ts: 60_000, min: -1, max: 3, sum: 2, count: 2 },
      { channel_id: 1, bucket_ts: 120_000, min: 4, max: 4, sum: 4, count: 1 },
      { channel_id: 2, bucket_ts: 60_000, min: 5, max: 5, sum: 5, count: 1 },
    ]);
  });
});

describe('latestPerChannel', () => {
  it('keeps the newest reading of each channel, the higher seq on a tie', () => {
    const rows = [
      { seq: 1, channel_id: 1, ts: 10, value: 1 },
      { seq: 3, channel_id: 1, ts: 30, value: 3 },
      { seq: 2, channel_id: 1, ts: 20, value: 2 },
      { seq: 5, channel_id: 2, ts: 30, value: 5 },
      { seq: 4, channel_id: 2, ts: 30, value: 4 },
    ];
    expect(latestPerChannel(rows)).toEqual([
      { seq: 3, channel_id: 1, ts: 30, value: 3 },
      { seq: 5, channel_id: 2, ts: 30, value: 5 },
    ]);
  });
});
