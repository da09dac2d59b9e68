import { describe, expect, it } from 'vitest';
import { toIntervals } from './connection-intervals.js';

describe('toIntervals', () => {
  it('clips to the window and leaves the last interval open when the window reaches now', () => {
    expect(toIntervals([{ at: 0, online: true }, { at: 50, online: false }], 10, 100, 100)).toEqual([
      { online: true, from: 10, to: 50 },
      { online: false, from: 50, to: null },
    ]);
  });

  it('closes the last interval at `to` when the window ends in the past', () => {
    expect(toIntervals([{ at: 20, online: true }], 0, 60, 1000)).toEqual([{ online: true, from: 20, to: 60 }]);
  });

  it('leaves out time before the first known transition, and merges repeated states', () => {
    expect(toIntervals([{ at: 30, online: true }, { at: 40, online: true }, { at: 70, online: false }], 0, 100, 500)).toEqual([
      { online: true, from: 30, to: 70 },
      { online: false, from: 70, to: 100 },
    ]);
  });

  it('is empty with no transitions', () => {
    expect(toIntervals([], 0, 100, 100)).toEqual([]);
  });
});
