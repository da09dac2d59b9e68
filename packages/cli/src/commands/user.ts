import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { printList } from '../print-list.js';

interface User {
  id: number;
  name: string;
  role: 'admin' | 'member';
  disabled: boolean;
  totp_enabled: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** A password from stdin when asked, else a generated one that is printed once. */
async function passwordFrom(opts: { passwordStdin?: boolean }): Promise<{ password: string; generated: boolean }> {
  if (opts.passwordStdin) return { password: await readStdin(), generated: false };
  return { password: randomBytes(15).toString('base64url'), generated: true };
}

export function registerUserCommands(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  const user = program.command('user').description('manage users (admin)');

  user
    .command('add')
    .argument('<name>', 'lowercase letters, digits, dots, dashes, underscores')
    .option('--admin', 'global admin (sees and does everything)')
    .option('--password-stdin', 'read the password from stdin (else one is generated and printed once)')
    .option('--reason <text>', 'why, for the audit log')
    .description('create a user; the first admin can be created with the bootstrap token (MA_TOKEN=<MA_ADMIN_TOKEN>)')
    .action(async (name: string, opts: { admin?: boolean; passwordStdin?: boolean; reason?: string }) => {
      const { password, generated } = await passwordFrom(opts);
      const u = await client().request<User>('POST', 'api/v1/users', { name, password, role: opts.admin ? 'admin' : 'member', ...(opts.reason ? { reason: opts.reason } : {}) });
      out(`created ${u.role} ${u.name}${generated ? `; password (shown once): ${password}` : ''}\n`);
    });

  user
    .command('list')
    .option('--json', 'print JSON')
    .description('list users')
    .action(async (opts: { json?: boolean }) => {
      const { users } = await client().request<{ users: User[] }>('GET', 'api/v1/users');
      if (opts.json) return out(`${JSON.stringify(users, null, 2)}\n`);
      printList(out, users, 'no users yet: add the first admin with `ma user add <name> --admin`', (u) => `${u.name.padEnd(24)} ${u.role.padEnd(7)} ${u.disabled ? 'disabled' : 'active  '} ${u.totp_enabled ? 'totp' : ''}`.trimEnd());
    });

  for (const [cmd, disabled] of [['disable', true], ['enable', false]] as const) {
    user
      .command(cmd)
      .argument('<name>')
      .requiredOption('--reason <text>', 'why, for the audit log')
      .description(`${cmd} a user${disabled ? ' (ends their sessions; their tokens stop working)' : ''}`)
      .action(async (name: string, opts: { reason: string }) => {
        await client().request('PATCH', `api/v1/users/${encodeURIComponent(name)}`, { disabled, reason: opts.reason });
        out(`${name} ${disabled ? 'disabled' : 'enabled'}\n`);
      });
  }

  user
    .command('role')
    .argument('<name>')
    .argument('<role>', 'admin or member')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .description("change a user's role")
    .action(async (name: string, role: string, opts: { reason: string }) => {
      await client().request('PATCH', `api/v1/users/${encodeURIComponent(name)}`, { role, reason: opts.reason });
      out(`${name} is now ${role}\n`);
    });

  user
    .command('reset-password')
    .argument('<name>')
    .option('--password-stdin', 'read the new password from stdin (else one is generated and printed once)')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .description("reset a user's password (ends their sessions, turns their TOTP off)")
    .action(async (name: string, opts: { passwordStdin?: boolean; reason: string }) => {
      const { password, generated } = await passwordFrom(opts);
      await client().request('POST', `api/v1/users/${encodeURIComponent(name)}/password`, { password, reason: opts.reason });
      out(`password of ${name} reset${generated ? `; new password (shown once): ${password}` : ''}\n`);
    });

  user
    .command('delete')
    .argument('<name>')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .description('delete a user with their grants, sessions and tokens')
    .action(async (name: string, opts: { reason: string }) => {
      await client().request('DELETE', `api/v1/users/${encodeURIComponent(name)}?reason=${encodeURIComponent(opts.reason)}`);
      out(`${name} deleted\n`);
    });
}
