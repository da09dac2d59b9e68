import { useEffect, useState } from 'preact/hooks';
import { getReadings } from '../api/client';
import { bufferFromResponse, gapThreshold, type SeriesBuffer } from '../chart/series-buffer';
import { formatTime } from '../lib/format';

export interface SparklineProps {
  channel: number;
  /** current time on the server's clock (ms), read when (re)loading */
  now: () => number;
  color: string;
  /** re-fetch when this changes (e.g. a new reading arrived) */
  refreshKey?: number;
  label: string;
}

const DAY = 86_400_000;
const POINTS = 96;
const W = 120;
const H = 32;
/** At most one refetch per channel this often, however fast readings arrive. */
const MIN_REFRESH_MS = 60_000;

/** SVG path of the series over [from, to], broken (not bridged) where the series has a gap. */
export function sparkPath(buffer: SeriesBuffer, from: number, to: number, width: number, height: number): string {
  const { t, avg } = buffer;
  if (t.length === 0) return '';
  // One reading: a level line (the value is known, its trend is not yet).
  if (t.length === 1) return `M0 ${(height / 2).toFixed(1)}L${width} ${(height / 2).toFixed(1)}`;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of avg) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi - lo || 1;
  const gap = gapThreshold(buffer);
  const x = (ts: number): number => ((ts - from) / (to - from)) * width;
  const y = (v: number): number => height - 2 - ((v - lo) / span) * (height - 4);
  let d = '';
  for (let i = 0; i < t.length; i++) {
    const broken = i === 0 || (t[i] as number) - (t[i - 1] as number) > gap;
    d += `${broken ? 'M' : 'L'}${x(t[i] as number).toFixed(1)} ${y(avg[i] as number).toFixed(1)}`;
  }
  return d;
}

/** Fewer points than this over 24 h (a fresh node) and the sparkline zooms to the data there is. */
const SPARSE = 24;

/**
 * The last 24 h of one channel as a tiny line. A channel younger than that (a fresh node has one point
 * in a 96-bucket day) is drawn over the time it has data for, bucketed to that span, so the line says
 * something from the first minutes; the label says which span it shows.
 */
export function Sparkline({ channel, now, color, refreshKey = 0, label }: SparklineProps) {
  const [state, setState] = useState<{ path: string; at: number; from: number } | null>(null);
  useEffect(() => {
    if (state !== null && Date.now() - state.at < MIN_REFRESH_MS) return;
    const abort = new AbortController();
    const to = now();
    void (async () => {
      let from = to - DAY;
      let buffer = bufferFromResponse(await getReadings({ channel, from, to, points: POINTS }, abort.signal), 'bucketed');
      const first = buffer.t[0];
      if (first !== undefined && buffer.t.length < SPARSE && to - first > 60_000) {
        // Bucketed to the data there is: the first bucket's start is within one 15 min bucket of the first reading.
        from = first;
        buffer = bufferFromResponse(await getReadings({ channel, from, to, points: POINTS }, abort.signal), 'bucketed');
        from = buffer.t[0] ?? from;
      }
      setState({ path: sparkPath(buffer, from, to, W, H), at: Date.now(), from });
    })().catch(() => undefined);
    return () => abort.abort();
  }, [channel, refreshKey]);
  const span = state === null ? DAY : now() - state.from;
  const spanText = span >= DAY - 60_000 ? 'last 24 hours' : `since ${formatTime(state!.from)}`;
  return (
    <svg class="sparkline" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${label}, ${spanText}`} data-testid="sparkline" data-span={span >= DAY - 60_000 ? '24h' : 'partial'}>
      <title>{`${label}, ${spanText}`}</title>
      {state !== null && state.path !== '' && <path d={state.path} fill="none" stroke={color} stroke-width="1.6" vector-effect="non-scaling-stroke" stroke-linejoin="round" />}
    </svg>
  );
}
