import type { CreateNodeResponse, NodeDetail, NodeListResponse } from '@ma/protocol';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { printList } from '../print-list.js';

function ago(ts: number | null, now = Date.now()): string {
  if (ts === null) return 'never';
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function registerNodeCommands(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  const node = program.command('node').description('manage nodes');

  node
    .command('add')
    .argument('<name>', 'node name: lowercase letters, digits and dashes, e.g. freezer-room-2')
    .option('--display-name <text>', 'human name shown on the dashboard')
    .option('--agent-config', 'also issue the node credential now and print its agent.yaml (instead of enrolling)')
    .option('--reason <text>', 'why, for the audit log')
    .option('--json', 'print the full response as JSON')
    .description('create a node; prints a one-time enrollment token for `ma-agent enroll` (or, with --agent-config, its agent.yaml)')
    .action(async (name: string, opts: { displayName?: string; agentConfig?: boolean; reason?: string; json?: boolean }) => {
      const res = await client().request<CreateNodeResponse>('POST', 'api/v1/nodes', {
        name,
        ...(opts.displayName ? { display_name: opts.displayName } : {}),
        ...(opts.agentConfig ? { credential: true } : {}),
        ...(opts.reason ? { reason: opts.reason } : {}),
      });
      if (opts.json) return out(`${JSON.stringify(res, null, 2)}\n`);
      if (opts.agentConfig && res.agent_config) {
        process.stderr.write(`created node ${res.node.name} (id ${res.node.id}, tunnel port ${res.node.tunnel_port}). Save this agent.yaml on the node; the credential is not shown again:\n`);
        return out(res.agent_config);
      }
      process.stderr.write(`created node ${res.node.name} (id ${res.node.id}). On the node, run (the token works once, until ${new Date(res.enrollment.expires_at).toISOString()}):\n`);
      out(`${res.enrollment.command}\n`);
    });

  node
    .command('list')
    .option('--json', 'print JSON')
    .description('list nodes with online state and last contact')
    .action(async (opts: { json?: boolean }) => {
      const { nodes } = await client().request<NodeListResponse>('GET', 'api/v1/nodes');
      if (opts.json) return out(`${JSON.stringify(nodes, null, 2)}\n`);
      printList(
        out,
        nodes,
        'no nodes you may view yet: add one with `ma node add <name>` (admin), or ask an admin for a grant',
        (n) => `${String(n.id).padStart(4)}  ${n.name.padEnd(24)} ${(n.online ? 'online' : 'offline').padEnd(8)} ${ago(n.last_seen).padEnd(10)} ${String(n.stats.readings_stored).padStart(8)}  ${String(n.stats.messages_rejected).padStart(8)}`,
        `${'ID'.padStart(4)}  ${'NAME'.padEnd(24)} ${'STATE'.padEnd(8)} ${'LAST SEEN'.padEnd(10)} READINGS  REJECTED`,
      );
    });

  node
    .command('show')
    .argument('<name>')
    .option('--json', 'print JSON')
    .description('show a node, its channels and ingest statistics')
    .action(async (name: string, opts: { json?: boolean }) => {
      const n = await client().request<NodeDetail>('GET', `api/v1/nodes/${encodeURIComponent(name)}`);
      if (opts.json) return out(`${JSON.stringify(n, null, 2)}\n`);
      out(`${n.name} (${n.display_name}), id ${n.id}: ${n.online ? 'online' : 'offline'}, last seen ${ago(n.last_seen)}\n`);
      out(`agent ${n.agent_version ?? '?'} on ${n.hostname ?? '?'} (${n.ip ?? '?'}), tunnel port ${n.tunnel_port}\n`);
      out(`stats: ${n.stats.readings_stored} stored, ${n.stats.readings_duplicate} duplicates ignored, ${n.stats.messages_rejected} rejected, ${n.stats.publishes_refused} refused, ${n.stats.auth_failures} auth failures, ${n.stats.client_ids_refused} client-id takeovers refused\n`);
      if (n.stats.last_reject_reason) out(`last rejection: ${n.stats.last_reject_reason}\n`);
      if (n.channels.length === 0) out('no channels yet: the node has not reported any readings\n');
      for (const c of n.channels) {
        const value = c.last_value === null ? '-' : `${c.last_value} ${c.unit}`;
        out(`  ${String(c.id).padStart(4)} ${c.key.padEnd(36)} ${c.label.padEnd(16)} ${value.padEnd(14)} ${c.available ? '' : `UNAVAILABLE: ${c.error ?? ''}`}\n`);
      }
    });
}

/** Enrollment tokens and revocation: registered beside the other node commands. */
export function registerNodeCredentialCommands(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  const node = program.commands.find((c) => c.name() === 'node')!;
  node
    .command('enroll-token')
    .argument('<name>')
    .option('--json', 'print JSON')
    .description('issue a new one-time enrollment token for a node (earlier unused ones stop working)')
    .action(async (name: string, opts: { json?: boolean }) => {
      const res = await client().request<{ token: string; expires_at: number; command: string }>('POST', `api/v1/nodes/${encodeURIComponent(name)}/enrollment`);
      if (opts.json) return out(`${JSON.stringify(res, null, 2)}\n`);
      process.stderr.write(`on the node, run (works once, until ${new Date(res.expires_at).toISOString()}):\n`);
      out(`${res.command}\n`);
    });
  node
    .command('revoke')
    .argument('<name>')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .description("revoke a node's credential: it is disconnected at once and refused until enrolled again")
    .action(async (name: string, opts: { reason: string }) => {
      await client().request('POST', `api/v1/nodes/${encodeURIComponent(name)}/revoke`, { reason: opts.reason });
      out(`node ${name} revoked and disconnected; enroll it again with \`ma node enroll-token ${name}\`\n`);
    });
  node
    .command('tag')
    .argument('<name>')
    .argument('[tags...]', 'the node\'s tags (replaces the current ones); grants on a tag cover every node carrying it')
    .description("set a node's tags")
    .action(async (name: string, tags: string[]) => {
      const res = await client().request<{ tags: string[] }>('PUT', `api/v1/nodes/${encodeURIComponent(name)}/tags`, { tags });
      out(`${name}: ${res.tags.join(', ') || '(no tags)'}\n`);
    });
}
