import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { printList } from '../print-list.js';

interface SshKeyView {
  id: number;
  type: string;
  fingerprint: string;
  comment: string;
  created_at: number;
}

export function registerSshKeyCommands(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  const key = program.command('ssh-key').description('your SSH public keys: installed on the nodes you hold ssh on (where the agent syncs accounts)');
  key
    .command('add')
    .argument('<file>', 'the .pub file, e.g. ~/.ssh/id_ed25519.pub')
    .action(async (file: string) => {
      const k = await client().request<SshKeyView>('POST', 'api/v1/me/ssh-keys', { public_key: await readFile(file, 'utf8') });
      out(`added key ${k.id}: ${k.type} ${k.fingerprint} ${k.comment}\n`);
    });
  key
    .command('list')
    .action(async () => {
      const { keys } = await client().request<{ keys: SshKeyView[] }>('GET', 'api/v1/me/ssh-keys');
      printList(out, keys, 'you have no SSH keys yet: add one with `ma ssh-key add ~/.ssh/id_ed25519.pub`', (k) => `${String(k.id).padStart(4)}  ${k.type.padEnd(12)} ${k.fingerprint}  ${k.comment}`);
    });
  key
    .command('remove')
    .argument('<id>')
    .action(async (id: string) => {
      await client().request('DELETE', `api/v1/me/ssh-keys/${encodeURIComponent(id)}`);
      out(`removed key ${id}\n`);
    });
}
