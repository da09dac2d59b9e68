/**
 * The block `ma ssh-config` keeps in ~/.ssh/config, between markers, so running it again
 * replaces the block in place (and leaves everything else in the file alone).
 */
export const SSH_CONFIG_BEGIN = '# BEGIN ma ssh-config (managed by `ma ssh-config`: edits between these lines are overwritten)';
export const SSH_CONFIG_END = '# END ma ssh-config';

export interface SshTarget {
  node: string;
  port: number;
}

export interface SshConfigOptions {
  /** `[user@]host[:port]` of the control point, for ProxyJump. */
  jump: string;
  /** Login name on the nodes; default: ssh's own (the local user name). */
  user?: string;
}

export function renderSshConfigBlock(targets: readonly SshTarget[], o: SshConfigOptions): string {
  const lines = [SSH_CONFIG_BEGIN];
  for (const t of [...targets].sort((a, b) => a.node.localeCompare(b.node))) {
    lines.push(
      `Host ${t.node}`,
      // The tunnel lands on the control point's loopback; ProxyJump gets there.
      '    HostName 127.0.0.1',
      `    Port ${t.port}`,
      `    ProxyJump ${o.jump}`,
      // Every node is 127.0.0.1 seen from the jump host: pin each node's host key under its own name.
      `    HostKeyAlias ma-node-${t.node}`,
      ...(o.user ? [`    User ${o.user}`] : []),
    );
  }
  lines.push(SSH_CONFIG_END, '');
  return lines.join('\n');
}

/** Puts the block into an ssh config file's text: replaces the previous one, or appends. */
export function mergeSshConfig(existing: string, block: string): string {
  const begin = existing.indexOf(SSH_CONFIG_BEGIN);
  const end = existing.indexOf(SSH_CONFIG_END);
  if (begin >= 0 && end > begin) {
    let after = end + SSH_CONFIG_END.length;
    if (existing[after] === '\n') after++;
    return existing.slice(0, begin) + block + existing.slice(after);
  }
  // Host blocks run to the next Host line: ours goes at the end, after a blank line.
  const sep = existing === '' || existing.endsWith('\n\n') ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  return existing + sep + block;
}
