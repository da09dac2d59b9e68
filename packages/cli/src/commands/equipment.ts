import { readFile } from 'node:fs/promises';
import { ErrorCode, MaError, type EquipmentView, type PersonView, type SwitchResponse } from '@ma/protocol';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

async function personId(api: ApiClient, name: string): Promise<number> {
  const { people } = await api.request<{ people: PersonView[] }>('GET', '/api/v1/people');
  const p = people.find((x) => x.name === name);
  if (!p) throw new MaError(ErrorCode.NotFound, `no person named ${JSON.stringify(name)}; add them with \`ma person add\``);
  return p.id;
}

/** `ma switch`, `ma equipment`, `ma person`, `ma card`, `ma training`: equipment and access control. */
export function registerEquipmentCommands(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  program
    .command('switch <node> <actuator> <value>')
    .description('switch an actuator on or off (needs the actuate grant); waits for the node to apply it')
    .requiredOption('-r, --reason <text>', 'why (kept in the audit log)')
    .action(async (node: string, actuator: string, value: string, o: { reason: string }) => {
      if (value !== 'on' && value !== 'off') throw new MaError(ErrorCode.InputInvalid, `value: got ${JSON.stringify(value)}, expected on or off`);
      const r = await client().request<SwitchResponse>('POST', `/api/v1/nodes/${encodeURIComponent(node)}/actuators/${encodeURIComponent(actuator)}/switch`, { value, reason: o.reason });
      out(`${node}/${actuator}: ${r.state} (${r.outcome}, ${r.elapsed_ms} ms)\n`);
    });

  const eq = program.command('equipment').description('equipment: state, lock-outs');
  eq.command('list')
    .description('equipment you may see, with state, lock-out and allow-list reach')
    .action(async () => {
      const { equipment } = await client().request<{ equipment: EquipmentView[] }>('GET', '/api/v1/equipment');
      for (const e of equipment) {
        const states = e.actuators.map((a) => `${a.node}/${a.actuator}=${a.state}`).join(' ');
        const lock = e.lockout ? ` LOCKED OUT (${e.lockout.mode}) by ${e.lockout.set_by}: ${e.lockout.reason}` : '';
        const use = e.in_use ? ` in use${e.in_use.person ? ` by ${e.in_use.person}` : ''}` : '';
        out(`${e.name}\t${states}${use}${lock}\treach ${e.reach.reached}/${e.reach.total}\n`);
      }
    });
  eq.command('lockout <equipment>')
    .description('lock equipment out (maintainers and admins): safety switches off now, maintenance at the next idle')
    .requiredOption('-m, --mode <mode>', 'safety or maintenance')
    .requiredOption('-r, --reason <text>', 'shown wherever the equipment appears')
    .action(async (name: string, o: { mode: string; reason: string }) => {
      await client().request('POST', `/api/v1/equipment/${encodeURIComponent(name)}/lockout`, { mode: o.mode, reason: o.reason });
      out(`${name}: locked out (${o.mode})\n`);
    });
  eq.command('unlock <equipment>')
    .description('clear a lock-out (maintainers and admins)')
    .requiredOption('-r, --reason <text>', 'why')
    .action(async (name: string, o: { reason: string }) => {
      await client().request('DELETE', `/api/v1/equipment/${encodeURIComponent(name)}/lockout?reason=${encodeURIComponent(o.reason)}`);
      out(`${name}: lock-out cleared\n`);
    });

  const person = program.command('person').description('people who hold cards (admin)');
  person
    .command('add <name>')
    .option('-g, --group <group>', 'a group (repeatable)', collect, [])
    .option('-u, --user <user>', 'link to this MA login')
    .option('-e, --email <email>')
    .action(async (name: string, o: { group: string[]; user?: string; email?: string }) => {
      const p = await client().request<PersonView>('POST', '/api/v1/people', { name, groups: o.group, ...(o.user ? { user: o.user } : {}), ...(o.email ? { email: o.email } : {}) });
      out(`person ${p.name} added (id ${p.id})\n`);
    });
  person
    .command('import <file>')
    .description('import people, cards and trainings from CSV (columns: name,email,user,groups,card,card_label,equipment,training_expires,lapse_days)')
    .option('--dry-run', 'only check and summarise')
    .action(async (file: string, o: { dryRun?: boolean }) => {
      const csv = await readFile(file, 'utf8');
      const s = await client().request<{ applied: boolean; rows: number; people_created: number; people_updated: number; cards_added: number; cards_unchanged: number; trainings_granted: number; errors: Array<{ line: number; message: string }> }>(
        'POST',
        '/api/v1/people/import',
        { csv, dry_run: Boolean(o.dryRun) },
      );
      out(`${s.rows} rows: ${s.people_created} people new, ${s.people_updated} updated, ${s.cards_added} cards added (${s.cards_unchanged} already enrolled), ${s.trainings_granted} trainings\n`);
      for (const e of s.errors) out(`${file}:${e.line}: ${e.message}\n`);
      if (s.errors.length) throw new MaError(ErrorCode.InputInvalid, `${s.errors.length} error(s) in ${file}; nothing was imported`);
      out(s.applied ? 'imported\n' : 'dry run: nothing was changed\n');
    });

  const card = program.command('card').description('cards (admin): enrol by id or by tapping a reader, revoke');
  card
    .command('enrol <person>')
    .option('-c, --card <id>', 'the card id as the reader gives it')
    .option('--tap <node>', 'bind the next card tapped on this node')
    .option('--reader <reader>', 'only a tap on this reader')
    .option('--seconds <n>', 'how long to wait for the tap', '30')
    .option('-l, --label <label>')
    .action(async (name: string, o: { card?: string; tap?: string; reader?: string; seconds: string; label?: string }) => {
      const api = client();
      const id = await personId(api, name);
      if (!o.tap && o.card === undefined) throw new MaError(ErrorCode.InputInvalid, 'give --card <id> or --tap <node>');
      if (o.tap) out(`tap the card on ${o.tap}${o.reader ? ` (${o.reader})` : ''} within ${o.seconds} s...\n`);
      const body = o.tap ? { tap: { node: o.tap, ...(o.reader ? { reader: o.reader } : {}), seconds: Number(o.seconds) } } : { card_id: o.card };
      const c = await api.request<{ id: number; last4: string }>('POST', `/api/v1/people/${id}/cards`, { ...body, ...(o.label ? { label: o.label } : {}) });
      out(`card …${c.last4} enrolled to ${name} (card id ${c.id})\n`);
    });
  card
    .command('revoke <card-id>')
    .option('-r, --reason <text>')
    .action(async (cardId: string, o: { reason?: string }) => {
      const c = await client().request<{ last4: string }>('DELETE', `/api/v1/cards/${encodeURIComponent(cardId)}${o.reason ? `?reason=${encodeURIComponent(o.reason)}` : ''}`);
      out(`card …${c.last4} revoked\n`);
    });

  program
    .command('training')
    .description('grant a training on equipment (its trainers and admins)')
    .command('grant <equipment> <person>')
    .option('--days <n>', 'expires after this many days (default: never)')
    .option('--until <date>', 'expires on this date')
    .option('--lapse-days <n>', 'lapses after this many days without use')
    .requiredOption('-r, --reason <text>')
    .action(async (equipment: string, name: string, o: { days?: string; until?: string; lapseDays?: string; reason: string }) => {
      const t = await client().request<{ status: string; valid_until: number | null }>('PUT', `/api/v1/equipment/${encodeURIComponent(equipment)}/trainings/${encodeURIComponent(name)}`, {
        reason: o.reason,
        ...(o.days ? { expires_in_days: Number(o.days) } : {}),
        ...(o.until ? { expires_at: o.until } : {}),
        ...(o.lapseDays ? { lapse_days: Number(o.lapseDays) } : {}),
      });
      out(`${name} trained on ${equipment}, ${t.valid_until ? `valid until ${new Date(t.valid_until).toISOString()}` : 'without expiry'}\n`);
    });
}
