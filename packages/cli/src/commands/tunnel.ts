import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { printList } from '../print-list.js';

interface ServerConfigResponse {
  user: string;
  authorized_keys_file: string | null;
  authorized_keys: string;
  sshd_config: string;
  port_base: number;
}

interface TunnelRow {
  node: string;
  port: number;
  fingerprint: string | null;
  check: { ok: boolean; error?: string; at: number } | null;
  agent: { state: string; transport: string; last_error?: string } | null;
}

const BEGIN = '# BEGIN ma-tunnel';
const END = '# END ma-tunnel';

/** Replaces the marked block in sshd_config, or appends it (a Match block must come last). */
export function mergeSshdConfig(existing: string, block: string): string {
  const b = existing.indexOf(BEGIN);
  const e = existing.indexOf(END);
  if (b >= 0 && e > b) {
    let after = e + END.length;
    if (existing[after] === '\n') after++;
    return existing.slice(0, b) + block + existing.slice(after);
  }
  return `${existing}${existing.endsWith('\n') || existing === '' ? '' : '\n'}${block}`;
}

export function registerTunnelCommands(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  const tunnel = program.command('tunnel').description('reverse SSH tunnels to the nodes');

  tunnel
    .command('server-config')
    .description("print the control point's sshd_config block and the tunnel account's authorized_keys; --install writes the block into sshd_config")
    .option('--install', 'write the block into --sshd-config (replacing a previous one) instead of printing')
    .option('--sshd-config <file>', 'sshd_config to update with --install', '/etc/ssh/sshd_config')
    .action(async (opts: { install?: boolean; sshdConfig: string }) => {
      const c = await client().request<ServerConfigResponse>('GET', 'api/v1/tunnel/server-config');
      const account = `useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ${c.user} && usermod -p '*' ${c.user}`;
      if (!opts.install) {
        out(`# 1. The tunnel account (no password, no shell; '*' not '!', so sshd accepts its keys without PAM):\n#    ${account}\n`);
        out(`# 2. Append to ${opts.sshdConfig}, then check with \`sshd -t\` and reload sshd:\n${c.sshd_config}`);
        out(
          c.authorized_keys_file
            ? `# 3. The server keeps ${c.authorized_keys_file} up to date itself. Current content:\n${c.authorized_keys}`
            : `# 3. Save as the AuthorizedKeysFile above (or set tunnels.authorized_keys_file in the server config so the server keeps it current):\n${c.authorized_keys}`,
        );
        return;
      }
      const existing = await readFile(opts.sshdConfig, 'utf8');
      const next = mergeSshdConfig(existing, c.sshd_config);
      if (next !== existing) {
        await writeFile(`${opts.sshdConfig}.ma-tmp`, next, { mode: 0o644 });
        await rename(`${opts.sshdConfig}.ma-tmp`, opts.sshdConfig);
      }
      out(`${opts.sshdConfig}: tunnel block ${next === existing ? 'already current' : 'written'}. Next: ${account}; sshd -t && systemctl reload ssh\n`);
    });

  tunnel
    .command('list')
    .option('--json', 'print JSON')
    .description("every node's tunnel: port, key, the server's end-to-end check and what the agent reports")
    .action(async (opts: { json?: boolean }) => {
      const { tunnels } = await client().request<{ tunnels: TunnelRow[] }>('GET', 'api/v1/tunnels');
      if (opts.json) return out(`${JSON.stringify(tunnels, null, 2)}\n`);
      printList(
        out,
        tunnels,
        'no tunnels yet: a node gets one when its agent registers a tunnel key (docs/remote-access.md)',
        (t) => {
          const check = t.fingerprint === null ? 'no key' : t.check === null ? '-' : t.check.ok ? 'ok' : 'fail';
          const agent = t.agent ? `${t.agent.state}/${t.agent.transport}` : '-';
          const detail = (t.check && !t.check.ok ? t.check.error : undefined) ?? t.agent?.last_error ?? '';
          return `${t.node.padEnd(24)} ${String(t.port).padStart(5)}  ${check.padEnd(6)} ${agent.padEnd(16)} ${detail}`;
        },
        `${'NODE'.padEnd(24)} ${'PORT'.padStart(5)}  ${'CHECK'.padEnd(6)} ${'AGENT'.padEnd(16)} DETAIL`,
      );
    });

  tunnel
    .command('revoke')
    .argument('<node>')
    .description("remove a node's tunnel key: the control point refuses it from its next login")
    .action(async (node: string) => {
      await client().request('DELETE', `api/v1/nodes/${encodeURIComponent(node)}/tunnel/key`);
      out(`tunnel key of ${node} revoked\n`);
    });
}
