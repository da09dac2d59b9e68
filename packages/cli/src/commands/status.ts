import type { Status } from '@ma/protocol';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';

interface NodeStatusResponse {
  node: string;
  online: boolean;
  last_seen: number | null;
  status: Partial<Status>;
}

const when = (ts: number | null | undefined): string => (ts ? new Date(ts).toISOString() : 'never');

/** ", as of <time> (<age> ago)": the moment a status was sampled, for counts that move. */
function sampledAt(ts: number | undefined, now: number): string {
  if (!ts) return ' (sample time unknown)';
  return `, as of ${new Date(ts).toISOString()} (${age(now - ts)})`;
}

function age(ms: number): string {
  if (ms < 1000) return 'just now';
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min ago`;
  return `${Math.round(m / 60)} h ago`;
}

/** The node's last status as a person reads it: what `tail -f` and `netstat` on the node would have told. */
export function formatNodeStatus(r: NodeStatusResponse, now: number = Date.now()): string {
  const s = r.status;
  const lines = [`${r.node}: ${r.online ? 'online' : 'OFFLINE'} (last seen ${when(r.last_seen)})`];
  if (s.agent_version) lines.push(`  agent      ${s.agent_version} on ${s.hostname ?? '?'}${s.ip ? ` (${s.ip})` : ''}, started ${when(s.started_at)}`);
  if (s.outbox) {
    // The agent samples these counts when it publishes its status (on connect and each
    // heartbeat), so they can be a heartbeat old: say when they were taken.
    const o = s.outbox;
    lines.push(`  outbox     ${o.pending} unsent, ${o.dropped} dropped${o.degraded ? `, ${o.degraded}` : ''}${sampledAt(s.ts, now)}`);
  }
  if (s.clock_synced !== undefined) lines.push(`  clock      ${s.clock_synced ? 'synchronised' : 'NOT synchronised (readings are mapped later)'}`);
  if (s.tunnel) {
    const t = s.tunnel;
    lines.push(`  tunnel     ${t.state} over ${t.transport} on port ${t.remote_port ?? '(not yet known)'} since ${when(t.since)}, ${t.restarts} restart${t.restarts === 1 ? '' : 's'}`);
    if (t.last_error) lines.push(`             last ssh error: ${t.last_error} (${when(t.last_error_at)})`);
  } else lines.push('  tunnel     not enabled');
  if (s.last_fault) lines.push(`  last fault ${s.last_fault.state}: ${s.last_fault.message} (${when(s.last_fault.since)}${s.last_fault.until ? ` .. ${when(s.last_fault.until)}` : ', ongoing'})`);
  const channels = Object.entries(s.channels ?? {});
  const down = channels.filter(([, h]) => !h.available);
  lines.push(channels.length ? `  channels   ${channels.length - down.length}/${channels.length} available` : '  channels   none reported yet');
  for (const [key, h] of down) lines.push(`             ${key}: ${h.error ?? 'unavailable'}`);
  return `${lines.join('\n')}\n`;
}

export function registerStatusCommand(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  program
    .command('status')
    .argument('<node>')
    .option('--json', 'print JSON')
    .description("a node's last reported status: connection, outbox depth, clock, tunnel (with the last ssh error), faults, channel health")
    .action(async (node: string, opts: { json?: boolean }) => {
      const r = await client().request<NodeStatusResponse>('GET', `api/v1/nodes/${encodeURIComponent(node)}/status`);
      out(opts.json ? `${JSON.stringify(r, null, 2)}\n` : formatNodeStatus(r));
    });
}
