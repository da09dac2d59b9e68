import { describe, expect, it } from 'vitest';
import { initialState, replay, step, type ReadingCondition } from './evaluators.js';

const freezer: ReadingCondition = { type: 'threshold', op: 'above', value: -15, for: 10 * 60_000, clear: -17 };
const series = (values: number[], every = 60_000, t0 = 1_700_000_000_000) => values.map((value, i) => ({ ts: t0 + i * every, value }));

describe('threshold with a duration and hysteresis', () => {
  it('fires once the value has stayed above the threshold for the duration, from the start of the breach', () => {
    const pts = series([-18, -14, -13, -12, -12, -12, -12, -12, -12, -12, -12, -12, -18]);
    const eps = replay(freezer, pts);
    expect(eps).toHaveLength(1);
    expect(eps[0]).toEqual({ since: pts[1]!.ts, fired_at: pts[11]!.ts, resolved_at: pts[12]!.ts, peak: -12 });
  });

  it('does not fire when the breach ends before the duration', () => {
    expect(replay(freezer, series([-18, -14, -14, -14, -20, -14, -14, -20]))).toEqual([]);
  });

  it('keeps one alert while the value hovers around the threshold, clearing only below the clear level', () => {
    const hover = Array.from({ length: 60 }, (_, i) => (i % 2 ? -14.5 : -15.5));
    const eps = replay(freezer, series([-18, ...hover, -17.5]));
    expect(eps).toHaveLength(1);
    expect(eps[0]!.resolved_at).not.toBeNull();
  });

  it('without hysteresis the same hovering value raises many alerts', () => {
    const bare: ReadingCondition = { type: 'threshold', op: 'above', value: -15, for: 0 };
    const hover = Array.from({ length: 60 }, (_, i) => (i % 2 ? -14.5 : -15.5));
    expect(replay(bare, series(hover)).length).toBe(30);
  });

  it('"below" mirrors "above"', () => {
    const c: ReadingCondition = { type: 'threshold', op: 'below', value: 2, for: 120_000, clear: 3 };
    const eps = replay(c, series([4, 1, 1, 1, 2.5, 1, 3.5]));
    expect(eps).toEqual([{ since: 1_700_000_000_000 + 60_000, fired_at: 1_700_000_000_000 + 180_000, resolved_at: 1_700_000_000_000 + 360_000, peak: 1 }]);
  });

  it('reports pending, firing and ok as separate transitions', () => {
    const s = initialState();
    const c: ReadingCondition = { type: 'threshold', op: 'above', value: 0, for: 1000 };
    expect(step(c, s, 1000, 1).map((t) => t.to)).toEqual(['pending']);
    expect(step(c, s, 1500, 1)).toEqual([]);
    expect(step(c, s, 2000, 2).map((t) => t.to)).toEqual(['firing']);
    expect(step(c, s, 3000, -1)).toMatchObject([{ to: 'ok', wasFiring: true, since: 1000, peak: 2 }]);
  });
});

describe('rate of change', () => {
  const rising: ReadingCondition = { type: 'rate', op: 'rise', delta: 2, window: 10 * 60_000 };

  it('fires when the value rises by delta within the window, dated from the low point', () => {
    const pts = series([-20, -20, -19.5, -19, -18.5, -18, -17.5]);
    const eps = replay(rising, pts);
    expect(eps).toHaveLength(1);
    expect(eps[0]!.since).toBe(pts[1]!.ts);
    expect(eps[0]!.fired_at).toBe(pts[5]!.ts);
  });

  it('ignores the same rise spread over more than the window', () => {
    const pts = series([-20, -19.8, -19.6, -19.4, -19.2, -19, -18.8, -18.6, -18.4, -18.2, -18, -17.8], 2 * 60_000);
    expect(replay(rising, pts)).toEqual([]);
  });
});

describe('rate of change over long windows', () => {
  it('finds the same episodes as a plain scan of the window, for random walks', () => {
    // The obvious definition, O(window) per reading, to check the monotonic queue against.
    const naive = (c: Extract<ReadingCondition, { type: 'rate' }>, pts: Array<{ ts: number; value: number }>) => {
      const out: Array<{ since: number; fired_at: number; resolved_at: number | null }> = [];
      let firing = false;
      for (let i = 0; i < pts.length; i++) {
        const p = pts[i]!;
        let ext = p;
        for (let j = i; j >= 0 && pts[j]!.ts >= p.ts - c.window; j--) if (c.op === 'rise' ? pts[j]!.value < ext.value : pts[j]!.value > ext.value) ext = pts[j]!;
        const change = c.op === 'rise' ? p.value - ext.value : ext.value - p.value;
        if (!firing && change >= c.delta) {
          firing = true;
          out.push({ since: ext.ts, fired_at: p.ts, resolved_at: null });
        } else if (firing && change < c.delta / 2) {
          firing = false;
          out[out.length - 1]!.resolved_at = p.ts;
        }
      }
      return out;
    };
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const op of ['rise', 'fall'] as const) {
      const c = { type: 'rate', op, delta: 1.5, window: 40_000 } as const;
      let v = 0;
      const pts = Array.from({ length: 3000 }, (_, i) => ({ ts: 1_700_000_000_000 + i * 1000, value: (v += Math.round((rnd() - 0.5) * 8) / 10) }));
      const got = replay(c, pts).map(({ since, fired_at, resolved_at }) => ({ since, fired_at, resolved_at }));
      const want = naive(c, pts);
      expect(want.length).toBeGreaterThan(5);
      expect(got).toEqual(want);
    }
  });
});
