import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { printList } from '../print-list.js';
import { integerFlag } from '../options.js';

interface TokenView {
  id: number;
  user: string;
  name: string;
  scope: 'read' | 'grants';
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  token?: string;
}

export function registerTokenCommands(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  const token = program.command('token').description('API tokens for scripts (log in as a user: MA_TOKEN must be a user token)');

  token
    .command('create')
    .argument('<name>', 'what the token is for')
    .option('--read-only', 'the token may only view, whatever your grants')
    .option('--days <n>', 'expires after this many days (1-365)', '90')
    .description('create a token for yourself; it is printed once')
    .action(async (name: string, opts: { readOnly?: boolean; days: string }) => {
      const t = await client().request<TokenView>('POST', 'api/v1/tokens', { name, scope: opts.readOnly ? 'read' : 'grants', expires_in_days: integerFlag('--days', opts.days, 1, 365) });
      process.stderr.write(`token ${t.id} (${t.scope}), expires ${t.expires_at ? new Date(t.expires_at).toISOString() : 'never'}; shown once:\n`);
      out(`${t.token}\n`);
    });

  token
    .command('list')
    .option('--all', "everyone's tokens (admin)")
    .description('list tokens (never their values)')
    .action(async (opts: { all?: boolean }) => {
      const { tokens } = await client().request<{ tokens: TokenView[] }>('GET', `api/v1/tokens${opts.all ? '?all=true' : ''}`);
      printList(out, tokens, opts.all ? 'no API tokens yet: create one with `ma token create <name>`' : 'you have no API tokens yet: create one with `ma token create <name>`; everyone\'s: `ma token list --all` (admin)', (t) => {
        const state = t.revoked_at ? 'revoked' : t.expires_at !== null && t.expires_at <= Date.now() ? 'expired' : 'active';
        return `${String(t.id).padStart(4)}  ${t.user.padEnd(16)} ${t.name.padEnd(24)} ${t.scope.padEnd(6)} ${state}`;
      });
    });

  token
    .command('revoke')
    .argument('<id>')
    .option('--reason <text>', 'why, for the audit log')
    .description('revoke a token at once')
    .action(async (id: string, opts: { reason?: string }) => {
      await client().request('DELETE', `api/v1/tokens/${encodeURIComponent(id)}${opts.reason ? `?reason=${encodeURIComponent(opts.reason)}` : ''}`);
      out(`token ${id} revoked\n`);
    });
}
