import { useEffect, useState } from 'preact/hooks';
import { getReadings } from '../api/client';
import { bufferFromResponse, gapThreshold, type SeriesBuffer } from '../chart/series-buffer';

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

/** The last 24 h of one channel as a tiny line. */
export function Sparkline({ channel, now, color, refreshKey = 0, label }: SparklineProps) {
  const [state, setState] = useState<{ path: string; at: number } | null>(null);
  useEffect(() => {
    if (state !== null && Date.now() - state.at < MIN_REFRESH_MS) return;
    const abort = new AbortController();
    const to = now();
    getReadings({ channel, from: to - DAY, to, points: POINTS }, abort.signal)
      .then((r) => setState({ path: sparkPath(bufferFromResponse(r, 'bucketed'), to - DAY, to, W, H), at: Date.now() }))
      .catch(() => undefined);
    return () => abort.abort();
  }, [channel, refreshKey]);
  return (
    <svg class="sparkline" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${label}, last 24 hours`} data-testid="sparkline">
      {state !== null && state.path !== '' && <path d={state.path} fill="none" stroke={color} stroke-width="1.6" vector-effect="non-scaling-stroke" stroke-linejoin="round" />}
    </svg>
  );
}
