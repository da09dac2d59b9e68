import { useEffect, useState } from 'preact/hooks';
import type { ConnectionInterval } from '@ma/protocol';
import { getConnections } from '../api/client';
import { formatDateTime } from '../lib/format';
import { formatDuration } from '../lib/node-health';

const WEEK = 7 * 86_400_000;

/** Online/offline intervals of the last 7 days: a timeline bar, then the list, newest first. */
export function ConnectionHistory({ node, now, refreshKey }: { node: string; now: () => number; refreshKey: string }) {
  const [data, setData] = useState<{ from: number; to: number; intervals: ConnectionInterval[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    getConnections(node, now() - WEEK, null, abort.signal)
      .then((r) => {
        setData({ from: r.from, to: r.to, intervals: r.intervals });
        setError(null);
      })
      .catch((e: unknown) => !abort.signal.aborted && setError(e instanceof Error ? e.message : String(e)));
    return () => abort.abort();
  }, [node, refreshKey]);

  if (error !== null) return <p class="notice notice--error">Could not load the connection history: {error}</p>;
  if (data === null) return <div class="timeline timeline--loading" aria-busy="true" />;
  if (data.intervals.length === 0) return <p class="muted">No connection recorded in the last 7 days.</p>;
  const span = data.to - data.from;
  const end = (i: ConnectionInterval): number => i.to ?? data.to;
  return (
    <div data-testid="connection-history">
      <div class="timeline" role="img" aria-label="Online and offline over the last 7 days">
        {data.intervals.map((i) => (
          <span
            key={i.from}
            class={`timeline__seg timeline__seg--${i.online ? 'online' : 'offline'}`}
            style={{ left: `${((i.from - data.from) / span) * 100}%`, width: `${Math.max(0.3, ((end(i) - i.from) / span) * 100)}%` }}
            title={`${i.online ? 'Online' : 'Offline'} ${formatDateTime(i.from)} – ${i.to === null ? 'now' : formatDateTime(i.to)}`}
          />
        ))}
      </div>
      <div class="timeline__axis muted">
        <span>7 days ago</span>
        <span>now</span>
      </div>
      <ul class="intervals">
        {[...data.intervals]
          .reverse()
          .slice(0, 12)
          .map((i) => (
            <li key={i.from} class="intervals__item" data-testid="connection-interval" data-online={String(i.online)}>
              <span class={`dot dot--${i.online ? 'online' : 'offline'}`} aria-hidden="true" />
              <span class="intervals__state">{i.online ? 'Online' : 'Offline'}</span>
              <span class="muted">
                {formatDateTime(i.from)} → {i.to === null ? 'now' : formatDateTime(i.to)}
              </span>
              <span class="intervals__len">{formatDuration(end(i) - i.from)}</span>
            </li>
          ))}
      </ul>
    </div>
  );
}
