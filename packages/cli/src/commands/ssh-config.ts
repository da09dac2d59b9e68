import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { mergeSshConfig, renderSshConfigBlock, type SshTarget } from './ssh-config-block.js';

export function registerSshConfigCommand(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  program
    .command('ssh-config')
    .description('write a Host entry for every node you may ssh to into ~/.ssh/config (a marked block, updated in place); then `ssh <node>` works')
    .option('--file <path>', 'ssh config file to update', path.join(os.homedir(), '.ssh', 'config'))
    .option('--jump <[user@]host[:port]>', 'your account on the control point, for ProxyJump (default: the --server host)')
    .option('--user <name>', 'login name on the nodes (default: ssh uses your local user name)')
    .option('--print', 'print the block instead of writing the file')
    .action(async (opts: { file: string; jump?: string; user?: string; print?: boolean }) => {
      const api = client();
      const { targets } = await api.request<{ targets: SshTarget[] }>('GET', 'api/v1/tunnel/ssh-targets');
      const jump = opts.jump ?? new URL(program.opts<{ server: string }>().server).hostname;
      const block = renderSshConfigBlock(targets, { jump, ...(opts.user ? { user: opts.user } : {}) });
      if (opts.print) return out(block);
      const existing = await readFile(opts.file, 'utf8').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return '';
        throw e;
      });
      const next = mergeSshConfig(existing, block);
      if (next !== existing) {
        await mkdir(path.dirname(opts.file), { recursive: true, mode: 0o700 });
        const tmp = `${opts.file}.ma-tmp`;
        await writeFile(tmp, next, { mode: 0o600 });
        await rename(tmp, opts.file);
      }
      out(`${opts.file}: ${targets.length} node${targets.length === 1 ? '' : 's'} (${targets.map((t) => t.node).join(', ') || 'none: ask an admin for the ssh grant'}), via ${jump}\n`);
    });
}
