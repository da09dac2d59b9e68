import { useEffect, useState } from 'preact/hooks';
import type { AlertMark } from '../chart/alert-markers';

const MONTH = 31 * 86_400_000;
const REFRESH_MS = 30_000;

interface AlertRow {
  id: number;
  channel_id: number | null;
  since: number;
  resolved_at: number | null;
  severity: AlertMark['severity'];
}

/**
 * The alerts of the charted channels over the last month, refreshed every 30 s, for the chart's
 * markers. Nothing when alerts are off on this server or the request fails: markers are extra.
 */
export function useAlertMarks(channelIds: readonly number[]): AlertMark[] {
  const [marks, setMarks] = useState<AlertMark[]>([]);
  const key = channelIds.join(',');
  useEffect(() => {
    if (channelIds.length === 0) return setMarks([]);
    const ids = new Set(channelIds);
    let ctl = new AbortController();
    const load = () => {
      ctl.abort();
      ctl = new AbortController();
      fetch(`/api/v1/alerts?from=${Date.now() - MONTH}&limit=1000`, { headers: { accept: 'application/json' }, signal: ctl.signal })
        .then((r) => (r.ok ? (r.json() as Promise<{ alerts: AlertRow[] }>) : { alerts: [] }))
        .then(
          ({ alerts }) =>
            setMarks(
              alerts
                .filter((a) => a.channel_id !== null && ids.has(a.channel_id))
                .map((a) => ({ id: a.id, channel: a.channel_id!, since: a.since, until: a.resolved_at, severity: a.severity })),
            ),
          () => undefined,
        );
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      clearInterval(timer);
      ctl.abort();
    };
  }, [key]);
  return marks;
}
