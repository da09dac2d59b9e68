import { useEffect, useState } from 'preact/hooks';
import { API_BASE } from '../api/client';
import { formatDateTime } from '../lib/format';

/** `GET /api/v1/nodes/:node/tunnel` (server/src/http/routes/tunnels.ts). */
interface TunnelView {
  port: number;
  fingerprint: string | null;
  check: { ok: boolean; banner?: string; error?: string; at: number } | null;
  agent: { state: 'up' | 'down' | 'error'; transport: 'direct' | 'websocket'; restarts: number; last_error?: string; last_error_at?: number } | null;
}

/**
 * The node's reverse SSH tunnel: what its agent reports and the server's end-to-end check
 * (the node's own sshd answering through the forwarded port). docs/remote-access.md.
 */
export function TunnelStatus({ node, refreshKey }: { node: string; refreshKey: string }) {
  const [view, setView] = useState<TunnelView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    fetch(`${API_BASE}/nodes/${encodeURIComponent(node)}/tunnel`, { headers: { accept: 'application/json' }, signal: abort.signal })
      .then(async (r) => {
        if (!r.ok) throw new Error(`the server answered ${r.status}`);
        setView((await r.json()) as TunnelView);
        setError(null);
      })
      .catch((e: unknown) => !abort.signal.aborted && setError(e instanceof Error ? e.message : String(e)));
    return () => abort.abort();
  }, [node, refreshKey]);

  if (error !== null) return <p class="notice notice--error">Could not load the tunnel state: {error}</p>;
  if (view === null) return <p class="muted" aria-busy="true">Loading…</p>;
  if (view.fingerprint === null && view.agent === null) return <p class="muted">No tunnel: this node has not registered a tunnel key.</p>;
  const a = view.agent;
  return (
    <dl class="tunnel" data-testid="tunnel-status">
      <dt>Agent</dt>
      <dd>{a ? `${a.state} over ${a.transport}, port ${view.port}${a.restarts ? `, ${a.restarts} restarts` : ''}` : `not reported (port ${view.port})`}</dd>
      <dt>End-to-end check</dt>
      <dd>{view.check === null ? 'not yet' : view.check.ok ? `ok: ${view.check.banner ?? 'SSH answers'}` : `failing: ${view.check.error ?? 'no SSH banner'}`}</dd>
      {a?.last_error && (
        <>
          <dt>Last ssh error</dt>
          <dd>
            {a.last_error}
            {a.last_error_at ? ` (${formatDateTime(a.last_error_at)})` : ''}
          </dd>
        </>
      )}
      {view.fingerprint && (
        <>
          <dt>Node key</dt>
          <dd>
            <code>{view.fingerprint}</code>
          </dd>
        </>
      )}
    </dl>
  );
}
