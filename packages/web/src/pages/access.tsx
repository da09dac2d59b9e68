import type { LiveMessage } from '@ma/protocol';
import { useEffect, useState } from 'preact/hooks';
import { Button } from '../components/ui/button';
import { DataTable } from '../components/ui/data-table';
import { useConfirm, Dialog } from '../components/ui/dialog';
import { Checkbox, FieldRow, TextAreaField, TextField } from '../components/ui/field';
import { NodePicker } from '../components/ui/pickers';
import { Badge, PageHeader, Section } from '../components/ui/page-header';
import { useToast } from '../components/ui/toast';
import { formatDateTime } from '../lib/format';
import { Link } from '../lib/router';
import { useServices } from '../state/services';
import * as eqApi from './equipment-api';
import type { PersonView, TrainingView } from './equipment-api';
import type { PageProps } from './routes';
import './equipment.css';

function AccessNav({ here }: { here: string }) {
  const links = [
    ['/access', 'People and cards'],
    ['/access/trainings', 'Trainings'],
    ['/access/usage', 'Usage'],
    ['/access/events', 'Live events'],
  ] as const;
  return (
    <nav class="form-actions" aria-label="Access sections">
      {links.map(([href, label]) => (href === here ? <strong key={href}>{label}</strong> : <Link key={href} href={href}>{label}</Link>))}
    </nav>
  );
}

/** People and their cards (admin): add people, enrol a card by tapping it on a reader, revoke, import CSV. */
export function AccessPage(_: PageProps) {
  const [people, setPeople] = useState<PersonView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [form, setForm] = useState({ name: '', groups: 'members' });
  const [enrol, setEnrol] = useState<{ person: PersonView; node: string; waiting: boolean } | null>(null);
  const [csv, setCsv] = useState({ text: 'name,groups,card,equipment,training_expires\n', dry: true, result: '' });
  const [confirm, dialog] = useConfirm();
  const toast = useToast();
  const load = () => eqApi.listPeople().then((p) => { setPeople(p); setError(null); }, (e: Error) => setError(e.message));
  useEffect(() => void load(), []);
  const act = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      toast.success(done);
      await load();
    } catch (e) {
      toast.error((e as Error).message);
    }
  };
  const tap = async () => {
    if (!enrol) return;
    setEnrol({ ...enrol, waiting: true });
    try {
      const c = await eqApi.enrolByTap(enrol.person.id, enrol.node, 30);
      toast.success(`Card …${c.last4} enrolled to ${enrol.person.name}`);
      setEnrol(null);
      await load();
    } catch (e) {
      toast.error((e as Error).message);
      setEnrol({ ...enrol, waiting: false });
    }
  };
  return (
    <div data-testid="access-page">
      {dialog}
      <PageHeader title="People and cards" summary={people ? `${people.length} people, ${people.reduce((n, p) => n + p.cards.filter((c) => !c.revoked_at).length, 0)} active cards` : undefined} />
      <AccessNav here="/access" />
      {error && <p class="form-error" role="alert">{error}</p>}
      <Section title="People">
        <DataTable
          rows={people ?? []}
          loading={people === null}
          rowKey={(p) => p.id}
          caption="People"
          testid="people-table"
          rowAttrs={(p) => ({ 'data-testid': `person-${p.name}` })}
          empty={{ title: 'No people yet', text: 'Add someone below, or import a CSV.' }}
          columns={[
            { key: 'n', header: 'Name', primary: true, sort: (p) => p.name, cell: (p) => (p.disabled ? <s>{p.name}</s> : p.name) },
            { key: 'g', header: 'Groups', cell: (p) => p.groups.join(', ') || '-' },
            { key: 'u', header: 'Login', cell: (p) => p.user ?? '-' },
            {
              key: 'c',
              header: 'Cards',
              cell: (p) =>
                p.cards.length === 0
                  ? 'none'
                  : p.cards.map((c) => (
                      <span key={c.id} class="lockout" data-testid="card">
                        …{c.last4}
                        {c.revoked_at ? <Badge tone="idle">revoked</Badge> : <Button size="sm" variant="ghost" onClick={() => void confirm({ title: `Revoke card …${c.last4}`, message: 'Every node refuses it as soon as it has the new list.', confirmLabel: 'Revoke', danger: true, reason: { label: 'Why (lost, left…)' } }).then((a) => a && act(() => eqApi.revokeCard(c.id, a.reason), 'Card revoked'))}>revoke</Button>}{' '}
                      </span>
                    )),
            },
            { key: 'x', header: '', actions: true, cell: (p) => <Button size="sm" data-testid="enrol-card" onClick={() => setEnrol({ person: p, node: '', waiting: false })}>Enrol card</Button> },
          ]}
        />
        <form onSubmit={(e) => { e.preventDefault(); void act(() => eqApi.addPerson({ name: form.name, groups: form.groups.split(',').map((g) => g.trim()).filter(Boolean) }), `${form.name} added`); }}>
          <FieldRow>
            <TextField label="Name" value={form.name} onValue={(v) => setForm({ ...form, name: v })} data-testid="person-name" required />
            <TextField label="Groups" hint="comma separated" value={form.groups} onValue={(v) => setForm({ ...form, groups: v })} />
            <Button type="submit" variant="primary" data-testid="add-person">Add person</Button>
          </FieldRow>
        </form>
      </Section>
      <Section title="Import CSV" description="Columns: name, email, user, groups (a;b), card, card_label, equipment, training_expires (never, a date or 365d), lapse_days. Any error imports nothing.">
        <TextAreaField label="CSV" value={csv.text} onValue={(v) => setCsv({ ...csv, text: v })} rows={5} />
        <FieldRow>
          <Checkbox label="Dry run (only check and summarise)" checked={csv.dry} onChecked={(v) => setCsv({ ...csv, dry: v })} />
          <Button onClick={() => void eqApi.importPeople(csv.text, csv.dry).then((s) => { setCsv({ ...csv, result: `${s.rows} rows: ${s.people_created} new people, ${s.cards_added} cards, ${s.trainings_granted} trainings${s.errors.length ? `; ${s.errors.length} errors: ${s.errors.map((e) => `line ${e.line}: ${e.message}`).join('; ')}` : ''}${s.applied ? ' (imported)' : ' (nothing changed)'}` }); if (s.applied) void load(); }, (e: Error) => toast.error(e.message))}>
            Import
          </Button>
        </FieldRow>
        {csv.result && <p data-testid="import-result">{csv.result}</p>}
      </Section>
      <Dialog open={enrol !== null} title={`Enrol a card for ${enrol?.person.name ?? ''}`} onClose={() => setEnrol(null)} testid="enrol-dialog" onSubmit={() => void tap()} actions={<Button type="submit" variant="primary" busy={enrol?.waiting ?? false} disabled={!enrol?.node} data-testid="tap-now">{enrol?.waiting ? 'Tap the card now…' : 'Tap now'}</Button>}>
        <p>Choose the reader's node, press "Tap now", then hold the card to the reader within 30 seconds.</p>
        <NodePicker label="Node with the reader" value={enrol?.node ?? ''} onValue={(v) => enrol && setEnrol({ ...enrol, node: v })} testid="enrol-node" />
      </Dialog>
    </div>
  );
}

/** Everyone's trainings that the caller may see (admins: all; trainers: on their equipment; others: their own). */
export function TrainingsPage(_: PageProps) {
  const [rows, setRows] = useState<TrainingView[] | null>(null);
  useEffect(() => void eqApi.listTrainings().then(setRows, () => setRows([])), []);
  return (
    <div data-testid="trainings-page">
      <PageHeader title="Trainings" summary={rows ? `${rows.filter((t) => t.status === 'valid').length} valid of ${rows.length}` : undefined} />
      <AccessNav here="/access/trainings" />
      <DataTable
        rows={rows ?? []}
        loading={rows === null}
        rowKey={(t) => `${t.person.id}:${t.equipment}`}
        caption="Trainings"
        empty={{ title: 'No trainings', text: 'Trainers grant them on the equipment page.' }}
        columns={[
          { key: 'p', header: 'Person', primary: true, sort: (t) => t.person.name, cell: (t) => t.person.name },
          { key: 'e', header: 'Equipment', sort: (t) => t.equipment, cell: (t) => <Link href={`/equipment/${t.equipment}`}>{t.equipment}</Link> },
          { key: 's', header: 'Status', cell: (t) => <Badge tone={t.status === 'valid' ? 'ok' : 'warn'}>{t.status}</Badge> },
          { key: 'u', header: 'Valid until', sort: (t) => t.valid_until ?? Infinity, cell: (t) => (t.valid_until ? formatDateTime(t.valid_until) : 'no expiry') },
          { key: 'l', header: 'Last used', cell: (t) => (t.last_used_at ? formatDateTime(t.last_used_at) : '-') },
          { key: 'g', header: 'Granted by', cell: (t) => t.granted_by },
        ]}
      />
    </div>
  );
}

type EquipmentLive = Extract<LiveMessage, { type: 'equipment' }>;

function describe(m: EquipmentLive): string {
  const e = m.event;
  if (e.kind === 'decision') return `${e.decision.equipment ?? '?'}: card …${e.decision.card_last4 || '?'} ${e.decision.allow ? 'allowed' : 'denied'} (${e.decision.reason}, ${e.decision.source}${e.decision.latency_ms !== undefined ? `, ${e.decision.latency_ms} ms` : ''})${e.decision.person ? ` ${e.decision.person}` : ''}`;
  if (e.kind === 'state') return `${m.node}/${e.state.actuator}: ${e.state.state}${e.state.power_w !== undefined ? ` ${e.state.power_w} W` : ''}${e.state.lockout ? ` lock-out ${e.state.lockout.mode}${e.state.lockout.pending ? ' (pending)' : ''}` : ''}`;
  if (e.kind === 'lockout') return `${e.equipment}: ${e.lockout ? `locked out (${e.lockout.mode}): ${e.lockout.reason}` : 'lock-out cleared'}`;
  return `${m.node}: ${e.event.type} ${JSON.stringify({ ...e.event, type: undefined, ts: undefined })}`;
}

/** The live stream of equipment events: decisions, actuator states, lock-outs, sessions. */
export function AccessEventsPage(_: PageProps) {
  const { live } = useServices();
  const [events, setEvents] = useState<Array<{ at: number; text: string; id: number }>>([]);
  useEffect(() => {
    let n = 0;
    return live.subscribe((m) => {
      if (m.type !== 'equipment') return;
      setEvents((prev) => [{ at: Date.now(), text: describe(m), id: ++n }, ...prev].slice(0, 200));
    });
  }, [live]);
  return (
    <div data-testid="access-events-page">
      <PageHeader title="Live events" summary="Card decisions, actuator changes, lock-outs and sessions as they happen" />
      <AccessNav here="/access/events" />
      {events.length === 0 ? <p class="muted">Waiting for events…</p> : (
        <ul class="event-list" aria-live="polite" data-testid="event-list">
          {events.map((e) => <li key={e.id}>{new Date(e.at).toLocaleTimeString()} {e.text}</li>)}
        </ul>
      )}
    </div>
  );
}

export { AccessNav };
