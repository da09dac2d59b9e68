import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { printList } from '../print-list.js';

interface Grant {
  scope: 'node' | 'tag';
  target: string;
  permission: 'view' | 'actuate' | 'ssh' | 'admin';
}

const PERMISSIONS = ['view', 'actuate', 'ssh', 'admin'];

/** `node-name` or `tag:<tag>`, with a comma-separated permission list. */
function parseTarget(target: string, perms: string): Grant[] {
  const [scope, name] = target.startsWith('tag:') ? (['tag', target.slice(4)] as const) : (['node', target] as const);
  return perms.split(',').map((p) => {
    if (!PERMISSIONS.includes(p)) throw new Error(`unknown permission ${JSON.stringify(p)}: use ${PERMISSIONS.join(', ')}`);
    return { scope, target: name, permission: p as Grant['permission'] };
  });
}

export function registerGrantCommands(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  const grant = program.command('grant').description("a user's permissions on nodes and node tags (admin)");
  const list = async (user: string) => (await client().request<{ grants: Grant[] }>('GET', `api/v1/users/${encodeURIComponent(user)}/grants`)).grants;
  const save = (user: string, grants: Grant[], reason: string) => client().request<{ grants: Grant[] }>('PUT', `api/v1/users/${encodeURIComponent(user)}/grants`, { grants, reason });
  const key = (g: Grant) => `${g.scope}:${g.target}:${g.permission}`;

  grant
    .command('list')
    .argument('<user>')
    .description("show a user's grants")
    .action(async (user: string) => {
      printList(out, await list(user), `${user} has no grants: add one with \`ma grant add ${user} <node | tag:<tag>> view --reason ...\``, (g) => `${g.scope === 'tag' ? `tag:${g.target}` : g.target}\t${g.permission}`);
    });

  grant
    .command('add')
    .argument('<user>')
    .argument('<target>', 'a node name, or tag:<tag> for every node with that tag')
    .argument('<permissions>', 'comma-separated: view, actuate, ssh, admin')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .description('grant permissions')
    .action(async (user: string, target: string, perms: string, opts: { reason: string }) => {
      const current = await list(user);
      const res = await save(user, [...current, ...parseTarget(target, perms)], opts.reason);
      out(`${user} now holds ${res.grants.length} grant(s)\n`);
    });

  grant
    .command('remove')
    .argument('<user>')
    .argument('<target>')
    .argument('<permissions>')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .description('take permissions away')
    .action(async (user: string, target: string, perms: string, opts: { reason: string }) => {
      const drop = new Set(parseTarget(target, perms).map(key));
      const res = await save(user, (await list(user)).filter((g) => !drop.has(key(g))), opts.reason);
      out(`${user} now holds ${res.grants.length} grant(s)\n`);
    });
}
