/**
 * The chart's state as a URL query (`ch=3,5&range=24h` or `ch=3&from=…&to=…`), so a view is a link: shared,
 * bookmarked, or saved by name. Pure functions.
 */
import { type ChartWindow, DEFAULT_RANGE, rangeByKey, relative } from './time-ranges';

export interface ChartUrlState {
  /** null: the default selection (every temperature channel) */
  channels: number[] | null;
  window: ChartWindow;
}

export function parseChartQuery(search: string): ChartUrlState {
  const q = new URLSearchParams(search);
  const ch = q.get('ch');
  const channels =
    ch === null
      ? null
      : [...new Set(ch.split(',').map((s) => Number(s)).filter((n) => Number.isInteger(n) && n > 0))];
  const from = Number(q.get('from'));
  const to = Number(q.get('to'));
  if (q.has('from') && q.has('to') && Number.isFinite(from) && Number.isFinite(to) && from < to) {
    return { channels, window: { kind: 'fixed', from, to } };
  }
  return { channels, window: relative(rangeByKey(q.get('range')) ?? DEFAULT_RANGE) };
}

/** The query string for a state; `extra` keeps unrelated parameters (kiosk, theme). */
export function chartQuery(state: ChartUrlState, extra: URLSearchParams = new URLSearchParams()): string {
  const q = new URLSearchParams(extra);
  for (const key of ['ch', 'range', 'from', 'to']) q.delete(key);
  if (state.channels !== null) q.set('ch', state.channels.join(','));
  if (state.window.kind === 'relative') {
    if (state.window.range.key !== DEFAULT_RANGE.key) q.set('range', state.window.range.key);
  } else {
    q.set('from', String(Math.round(state.window.from)));
    q.set('to', String(Math.round(state.window.to)));
  }
  // Commas stay readable in the link.
  return q.toString().replace(/%2C/g, ',');
}
