import type { Condition } from './rule.js';

/**
 * The per-series state machines of the reading rules (threshold, rate of change), as pure
 * functions of (state, reading). Time is the readings' own time (`ts`), never the wall clock,
 * so a backlog replayed hours later gives the same alert, with the same start, as live data;
 * and the rule editor's preview runs the very same code over stored history.
 */

export type Phase = 'ok' | 'pending' | 'firing';

export interface SeriesState {
  phase: Phase;
  /** When the current breach started (reading time); null when ok. */
  since: number | null;
  /** The most extreme value of the current breach. */
  peak: number | null;
  lastTs: number | null;
  lastValue: number | null;
  /**
   * Rate rules: a monotonic queue of the window's readings (from `head`), oldest first, holding
   * only those that can still be the window's extreme, so each reading costs O(1) amortised
   * however many readings the window spans.
   */
  window: Array<[ts: number, value: number]>;
  head: number;
}

export type Transition =
  | { to: 'pending'; since: number; at: number; value: number }
  | { to: 'firing'; since: number; at: number; value: number; peak: number }
  | { to: 'ok'; since: number; at: number; value: number; peak: number; wasFiring: boolean };

export type ReadingCondition = Extract<Condition, { type: 'threshold' | 'rate' }>;

export function initialState(): SeriesState {
  return { phase: 'ok', since: null, peak: null, lastTs: null, lastValue: null, window: [], head: 0 };
}

const worse = (c: ReadingCondition, a: number, b: number): number => {
  if (c.type === 'threshold') return c.op === 'above' ? Math.max(a, b) : Math.min(a, b);
  return c.op === 'rise' ? Math.max(a, b) : Math.min(a, b);
};

/** Feeds one reading (in timestamp order) to the state machine; returns the transitions it caused. */
export function step(c: ReadingCondition, s: SeriesState, ts: number, value: number): Transition[] {
  s.lastTs = ts;
  s.lastValue = value;
  return c.type === 'threshold' ? stepThreshold(c, s, ts, value) : stepRate(c, s, ts, value);
}

function stepThreshold(c: Extract<Condition, { type: 'threshold' }>, s: SeriesState, ts: number, v: number): Transition[] {
  const breach = c.op === 'above' ? v > c.value : v < c.value;
  // Hysteresis: a breach that has begun ends only past the clear level, so a value hovering
  // around the threshold keeps one alert instead of raising dozens.
  const clearLevel = c.clear ?? c.value;
  const cleared = c.op === 'above' ? v <= clearLevel : v >= clearLevel;
  const out: Transition[] = [];
  if (s.phase === 'ok') {
    if (!breach) return out;
    s.since = ts;
    s.peak = v;
    s.phase = 'pending';
    out.push({ to: 'pending', since: ts, at: ts, value: v });
  } else if (cleared) {
    out.push({ to: 'ok', since: s.since!, at: ts, value: v, peak: s.peak!, wasFiring: s.phase === 'firing' });
    s.phase = 'ok';
    s.since = null;
    s.peak = null;
    return out;
  } else {
    s.peak = worse(c, s.peak ?? v, v);
  }
  if (s.phase === 'pending' && ts - s.since! >= c.for) {
    s.phase = 'firing';
    out.push({ to: 'firing', since: s.since!, at: ts, value: v, peak: s.peak! });
  }
  return out;
}

function stepRate(c: Extract<Condition, { type: 'rate' }>, s: SeriesState, ts: number, v: number): Transition[] {
  const w = s.window;
  // Readings no lower (for a rise) than this one can never again be the window's low point;
  // dropping equal ones too keeps the latest of equal lows: the rise began when it left it.
  while (w.length > s.head && (c.op === 'rise' ? w[w.length - 1]![1] >= v : w[w.length - 1]![1] <= v)) w.pop();
  w.push([ts, v]);
  while (w[s.head]![0] < ts - c.window) s.head++;
  if (s.head > 256 && s.head * 2 > w.length) {
    w.splice(0, s.head);
    s.head = 0;
  }
  // The extreme of the window: the lowest point for a rise, the highest for a fall.
  const ext = w[s.head]!;
  const change = c.op === 'rise' ? v - ext[1] : ext[1] - v;
  const out: Transition[] = [];
  if (s.phase !== 'firing') {
    if (change >= c.delta) {
      s.phase = 'firing';
      s.since = ext[0];
      s.peak = v;
      out.push({ to: 'firing', since: ext[0], at: ts, value: v, peak: v });
    }
  } else if (change < c.delta / 2) {
    // Clears only once the change within the window falls under half the trigger (hysteresis).
    out.push({ to: 'ok', since: s.since!, at: ts, value: v, peak: s.peak!, wasFiring: true });
    s.phase = 'ok';
    s.since = null;
    s.peak = null;
  } else {
    s.peak = worse(c, s.peak ?? v, v);
  }
  return out;
}

/** One period during which a rule fired, as found by replaying history. */
export interface Episode {
  /** When the breach began. */
  since: number;
  /** When the rule's duration had elapsed: the alert would have fired then. */
  fired_at: number;
  /** When it cleared; null if still firing at the end of the data. */
  resolved_at: number | null;
  peak: number;
}

/** Runs a reading condition over a series (in timestamp order) and lists when it would have fired. */
export function replay(c: ReadingCondition, points: Iterable<{ ts: number; value: number }>): Episode[] {
  const s = initialState();
  const out: Episode[] = [];
  let open: Episode | null = null;
  for (const p of points) {
    for (const t of step(c, s, p.ts, p.value)) {
      if (t.to === 'firing') {
        open = { since: t.since, fired_at: t.at, resolved_at: null, peak: t.peak };
        out.push(open);
      } else if (t.to === 'ok' && open) {
        open.resolved_at = t.at;
        open.peak = t.peak;
        open = null;
      }
    }
    if (open && s.peak !== null) open.peak = s.peak;
  }
  return out;
}
