import { readFile } from 'node:fs/promises';
import { ErrorCode, MaError } from '@ma/protocol';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { ApiClient } from '../api-client.js';
import { printList } from '../print-list.js';
import { durationFlag, integerFlag } from '../options.js';

interface AlertView {
  id: number;
  rule_id: number;
  node: string;
  state: 'pending' | 'firing' | 'resolved';
  severity: string;
  summary: string;
  since: number;
  duration_ms: number;
  late: boolean;
  acked_by: string | null;
}

interface RuleView {
  id: number;
  name: string;
  enabled: boolean;
  severity: string;
  target: { node?: string; channel?: string; label?: string; tag?: string };
  condition: { type: string };
}

interface SilenceView {
  id: number;
  rule_id: number | null;
  node: string | null;
  ends_at: number;
  reason: string;
  created_by: string;
}

interface DeliveryView {
  id: number;
  event: string;
  recipient: string;
  state: string;
  attempts: number;
  last_error: string | null;
  sent_at: number | null;
}

const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}

/** `ma alert …`: alerts, rules, acknowledgements and silences through the server's API. */
export function registerAlertCommands(program: Command, client: () => ApiClient, out: (s: string) => void): void {
  const alert = program.command('alert').description('alerts: list, acknowledge, silence; rules');

  alert
    .command('list')
    .option('--state <states>', 'comma-separated: pending,firing,resolved', 'pending,firing')
    .option('--node <name>', 'only this node')
    .option('--limit <n>', 'at most this many', '50')
    .description('alerts on the nodes you may view, newest first')
    .action(async (opts: { state: string; node?: string; limit: string }) => {
      const q = new URLSearchParams({ state: opts.state, limit: String(integerFlag('--limit', opts.limit, 1, 1000)), ...(opts.node ? { node: opts.node } : {}) });
      const { alerts } = await client().request<{ alerts: AlertView[] }>('GET', `api/v1/alerts?${q}`);
      const states = opts.state.split(',').map((s) => s.trim()).filter(Boolean);
      const none = `no alerts ${states.join(' or ')}${opts.node ? ` on ${opts.node}` : ''}`;
      printList(out, alerts, `${none}${states.includes('resolved') ? '' : ' (resolved ones: --state resolved)'}`, (a) => {
        const flags = [a.late ? 'late' : '', a.acked_by ? `acked by ${a.acked_by}` : ''].filter(Boolean).join(', ');
        return `${String(a.id).padStart(5)}  ${a.state.padEnd(8)} ${a.severity.padEnd(8)} ${a.node.padEnd(16)} since ${iso(a.since)} (${minutes(a.duration_ms)})  ${a.summary}${flags ? `  [${flags}]` : ''}`;
      });
    });

  alert
    .command('ack')
    .argument('<id>', 'alert id')
    .option('--note <text>', 'what is being done about it')
    .description('acknowledge an alert: repeats and escalation stop')
    .action(async (id: string, opts: { note?: string }) => {
      await client().request('POST', `api/v1/alerts/${encodeURIComponent(id)}/ack`, opts.note ? { note: opts.note } : {});
      out(`alert ${id} acknowledged\n`);
    });

  alert
    .command('silence')
    .option('--node <name>', 'silence this node (needs actuate on it)')
    .option('--rule <id>', 'silence this rule (on --node only, if given; rule-wide needs admin)')
    .requiredOption('--for <duration>', 'how long, e.g. 2h')
    .requiredOption('--reason <text>', 'why, e.g. "defrosting the freezer"')
    .description('hold back notifications for a while (maintenance); alerts are still recorded')
    .action(async (opts: { node?: string; rule?: string; for: string; reason: string }) => {
      if (!opts.node && !opts.rule) throw new MaError(ErrorCode.InputInvalid, 'give --node, --rule, or both');
      const s = await client().request<SilenceView>('POST', 'api/v1/alert-silences', {
        ...(opts.node ? { node: opts.node } : {}),
        ...(opts.rule ? { rule: integerFlag('--rule', opts.rule, 1, 2_147_483_647) } : {}),
        duration: durationFlag('--for', opts.for),
        reason: opts.reason,
      });
      out(`silence ${s.id} until ${iso(s.ends_at)}\n`);
    });

  alert
    .command('unsilence')
    .argument('<id>', 'silence id')
    .description('end a silence now')
    .action(async (id: string) => {
      await client().request('DELETE', `api/v1/alert-silences/${encodeURIComponent(id)}`);
      out(`silence ${id} ended\n`);
    });

  alert
    .command('silences')
    .description('silences in force')
    .action(async () => {
      const { silences } = await client().request<{ silences: SilenceView[] }>('GET', 'api/v1/alert-silences');
      printList(out, silences, 'no silences in force', (s) => `${String(s.id).padStart(4)}  ${s.node ? `node ${s.node}` : ''}${s.rule_id !== null ? ` rule ${s.rule_id}` : ''} until ${iso(s.ends_at)} by ${s.created_by}: ${s.reason}`);
    });

  alert
    .command('deliveries')
    .argument('<id>', 'alert id')
    .description("an alert's delivery log: each notification, recipient, state and last error")
    .action(async (id: string) => {
      const { deliveries } = await client().request<{ deliveries: DeliveryView[] }>('GET', `api/v1/alert-deliveries?alert=${encodeURIComponent(id)}`);
      printList(out, deliveries, `no notifications for alert ${id} yet (none are sent while it is pending, silenced, or when its rule has no recipients)`, (d) => `${d.event.padEnd(10)} ${d.recipient.padEnd(32)} ${d.state.padEnd(10)} attempts ${d.attempts}${d.last_error ? `  ${d.last_error}` : ''}`);
    });

  const rule = alert.command('rule').description('alert rules');
  rule
    .command('list')
    .description('rules on the nodes you may view')
    .action(async () => {
      const { rules } = await client().request<{ rules: RuleView[] }>('GET', 'api/v1/alert-rules');
      printList(out, rules, 'no alert rules yet: add one with `ma alert rule add <rule.yaml>` (docs/alerts.md)', (r) => {
        const target = [r.target.tag ? `tag ${r.target.tag}` : undefined, r.target.node, r.target.channel, r.target.label ? `label ${r.target.label}` : undefined].filter(Boolean).join(' / ');
        return `${String(r.id).padStart(4)}  ${r.enabled ? 'on ' : 'off'} ${r.severity.padEnd(8)} ${r.condition.type.padEnd(9)} ${target.padEnd(32)} ${r.name}`;
      });
    });
  rule
    .command('add')
    .argument('<file>', 'the rule as YAML or JSON (see docs/alerts.md)')
    .description('create a rule (admin)')
    .action(async (file: string) => {
      const created = await client().request<{ id: number; name: string }>('POST', 'api/v1/alert-rules', await readRule(file));
      out(`rule ${created.id} created: ${created.name}\n`);
    });
  rule
    .command('set')
    .argument('<id>')
    .argument('<file>', 'the whole rule as YAML or JSON')
    .description('replace a rule (admin)')
    .action(async (id: string, file: string) => {
      await client().request('PUT', `api/v1/alert-rules/${encodeURIComponent(id)}`, await readRule(file));
      out(`rule ${id} replaced\n`);
    });
  rule
    .command('rm')
    .argument('<id>')
    .description('delete a rule and its alerts (admin)')
    .action(async (id: string) => {
      await client().request('DELETE', `api/v1/alert-rules/${encodeURIComponent(id)}`);
      out(`rule ${id} deleted\n`);
    });
  rule
    .command('preview')
    .argument('<file>', 'a threshold or rate rule as YAML or JSON')
    .option('--days <n>', 'how far back', '7')
    .description('when the rule would have fired over stored readings')
    .action(async (file: string, opts: { days: string }) => {
      const r = await client().request<{ channels: Array<{ node: string; key: string; readings: number; episodes: Array<{ since: number; fired_at: number; resolved_at: number | null; peak: number }> }> }>(
        'POST',
        'api/v1/alert-rules/preview',
        { rule: await readRule(file), days: integerFlag('--days', opts.days, 1, 31) },
      );
      if (r.channels.length === 0) out(`no channels match this rule's target, so nothing to preview\n`);
      for (const c of r.channels) {
        out(`${c.node} / ${c.key}: ${c.readings} readings, ${c.episodes.length} alert(s)\n`);
        for (const e of c.episodes) out(`  from ${iso(e.since)}, firing ${iso(e.fired_at)}, ${e.resolved_at === null ? 'still firing' : `resolved ${iso(e.resolved_at)}`}, peak ${e.peak}\n`);
      }
    });
}

async function readRule(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new MaError(ErrorCode.InputInvalid, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
  try {
    return parseYaml(text) as unknown;
  } catch (e) {
    throw new MaError(ErrorCode.InputInvalid, `${file} is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
}
