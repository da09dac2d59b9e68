import { useEffect, useState } from 'preact/hooks';
import { Button } from '../components/ui/button';
import { DataTable } from '../components/ui/data-table';
import { useConfirm } from '../components/ui/dialog';
import { SelectField, TextField, FieldRow } from '../components/ui/field';
import { Badge, EmptyState, PageHeader, Section, type BadgeTone } from '../components/ui/page-header';
import { useToast } from '../components/ui/toast';
import { formatAgo, formatDateTime } from '../lib/format';
import { Link } from '../lib/router';
import { useNow } from '../lib/use-now';
import { useServices } from '../state/services';
import * as eqApi from './equipment-api';
import type { EquipmentView, TrainingView } from './equipment-api';
import type { PageProps } from './routes';
import './equipment.css';

const stateTone: Record<string, BadgeTone> = { on: 'ok', off: 'idle', unknown: 'warn', unreachable: 'danger' };

export function StateBadge({ state }: { state: string }) {
  return (
    <Badge tone={stateTone[state] ?? 'warn'} testid="actuator-state">
      {state}
    </Badge>
  );
}

export function LockoutBadge({ eq }: { eq: EquipmentView }) {
  if (!eq.lockout) return null;
  const pending = eq.actuators.some((a) => a.node_lockout?.pending);
  return (
    <span class="lockout" data-testid="lockout">
      <Badge tone="danger">locked out ({eq.lockout.mode}{pending ? ', waiting for idle' : ''})</Badge> {eq.lockout.reason}
    </span>
  );
}

/** Reloads the equipment when the live feed says something about it changed. */
function useEquipment(load: () => Promise<void>, deps: unknown[]) {
  const { live } = useServices();
  useEffect(() => {
    void load();
    let timer: number | undefined;
    const off = live.subscribe((m) => {
      if (m.type !== 'equipment') return;
      clearTimeout(timer);
      timer = window.setTimeout(() => void load(), 150);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, deps);
}

/** Equipment cards for the overview and a node's page: state, who is using it, lock-out. */
export function EquipmentStrip({ node }: { node?: string }) {
  const [list, setList] = useState<EquipmentView[] | null>(null);
  useEquipment(() => eqApi.listEquipment().then(setList, () => setList([])), [node]);
  const shown = (list ?? []).filter((e) => node === undefined || e.actuators.some((a) => a.node === node));
  if (shown.length === 0) return null;
  return (
    <Section title="Equipment" testid="equipment-strip">
      <ul class="equipment-strip">
        {shown.map((e) => (
          <li key={e.name} data-testid="equipment-card">
            <Link href={`/equipment/${e.name}`}>{e.display_name}</Link> {e.actuators.map((a) => <StateBadge key={`${a.node}/${a.actuator}`} state={a.state} />)}
            {e.in_use && <span class="muted"> in use{e.in_use.person ? ` by ${e.in_use.person}` : ''}</span>} <LockoutBadge eq={e} />
          </li>
        ))}
      </ul>
    </Section>
  );
}

/** All equipment: state, who is using it, lock-out with reason, revocation reach. */
export function EquipmentListPage(_: PageProps) {
  const [list, setList] = useState<EquipmentView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEquipment(() => eqApi.listEquipment().then(setList, (e: Error) => setError(e.message)), []);
  const now = useNow(10_000);
  return (
    <div data-testid="equipment-page">
      <PageHeader title="Equipment" summary={list ? `${list.length} piece${list.length === 1 ? '' : 's'} of equipment, ${list.filter((e) => e.lockout).length} locked out` : undefined} actions={<Link href="/access">People and cards</Link>} />
      {error && <p class="form-error" role="alert">{error}</p>}
      <DataTable
        rows={list ?? []}
        loading={list === null}
        rowKey={(e) => e.name}
        caption="Equipment"
        testid="equipment-table"
        rowAttrs={(e) => ({ 'data-testid': `equipment-row-${e.name}` })}
        empty={{ title: 'No equipment yet', text: 'An admin defines equipment (its actuators and rule) through the API or `ma`; see docs/equipment.md.' }}
        columns={[
          { key: 'name', header: 'Equipment', primary: true, sort: (e) => e.display_name, cell: (e) => <Link href={`/equipment/${e.name}`}>{e.display_name}</Link> },
          { key: 'state', header: 'State', cell: (e) => e.actuators.map((a) => <span key={a.actuator}><StateBadge state={a.state} /> {a.power_w !== null ? `${Math.round(a.power_w)} W` : ''} </span>) },
          { key: 'use', header: 'In use', cell: (e) => (e.in_use ? `${e.in_use.person ?? 'someone'} since ${formatAgo(e.in_use.since, now)}` : '-') },
          { key: 'lockout', header: 'Lock-out', cell: (e) => (e.lockout ? <LockoutBadge eq={e} /> : 'none') },
          { key: 'reach', header: 'Revocation reach', cell: (e) => <span data-testid="reach">{`${e.reach.reached} of ${e.reach.total} node${e.reach.total === 1 ? '' : 's'}`}</span> },
        ]}
      />
    </div>
  );
}

/** One piece of equipment: switch, lock out, schedule, trainers and maintainers, trained people, reach. */
export function EquipmentPage({ params }: PageProps) {
  const name = params.name ?? '';
  const [eq, setEq] = useState<EquipmentView | null>(null);
  const [trainings, setTrainings] = useState<TrainingView[]>([]);
  const [reach, setReach] = useState<Awaited<ReturnType<typeof eqApi.getReach>> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [mode, setMode] = useState<'safety' | 'maintenance'>('maintenance');
  const [grant, setGrant] = useState({ person: '', days: '365' });
  const [confirm, dialog] = useConfirm();
  const toast = useToast();
  const load = async () => {
    try {
      setEq(await eqApi.getEquipment(name));
      setTrainings(await eqApi.listTrainings(name).catch(() => []));
      setReach(await eqApi.getReach(name).catch(() => null));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEquipment(load, [name]);
  const act = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      toast.success(done);
      await load();
    } catch (e) {
      toast.error((e as Error).message);
    }
  };
  if (error) return <EmptyState title="Equipment unavailable">{error}</EmptyState>;
  if (!eq) return <p class="muted">Loading…</p>;
  const sw = async (node: string, actuator: string, value: 'on' | 'off') => {
    const a = await confirm({ title: `Switch ${eq.display_name} ${value}`, message: `${node}/${actuator} will be switched ${value}. This is audited.`, confirmLabel: `Switch ${value}`, danger: value === 'on', reason: { label: 'Why' } });
    if (a) await act(() => eqApi.switchActuator(node, actuator, value, a.reason), `${eq.display_name} switched ${value}`);
  };
  return (
    <div data-testid="equipment-detail">
      {dialog}
      <PageHeader title={eq.display_name} breadcrumb={[{ label: 'Equipment', href: '/equipment' }]} summary={eq.in_use ? `in use${eq.in_use.person ? ` by ${eq.in_use.person}` : ''} since ${formatDateTime(eq.in_use.since)}` : 'not in use'} />
      {eq.lockout && (
        <div class="lockout-banner" role="status" data-testid="lockout-banner">
          <LockoutBadge eq={eq} /> <span class="muted">set by {eq.lockout.set_by}, {formatDateTime(eq.lockout.set_at)}</span>
        </div>
      )}
      <Section title="Actuators">
        <DataTable
          rows={eq.actuators}
          rowKey={(a) => `${a.node}/${a.actuator}`}
          caption="Actuators"
          empty={{ title: 'No actuators' }}
          columns={[
            { key: 'a', header: 'Actuator', primary: true, cell: (a) => <Link href={`/nodes/${a.node}`}>{`${a.node}/${a.actuator}`}</Link> },
            { key: 's', header: 'State', cell: (a) => <StateBadge state={a.state} /> },
            { key: 'p', header: 'Power', numeric: true, cell: (a) => (a.power_w === null ? '-' : `${a.power_w.toFixed(1)} W`) },
            { key: 'f', header: 'Fault', cell: (a) => a.fault?.message ?? '-' },
            {
              key: 'x',
              header: 'Switch',
              actions: true,
              cell: (a) => (
                <>
                  <Button size="sm" onClick={() => void sw(a.node, a.actuator, 'on')} data-testid="switch-on" disabled={eq.lockout !== null}>On</Button>{' '}
                  <Button size="sm" onClick={() => void sw(a.node, a.actuator, 'off')} data-testid="switch-off">Off</Button>
                </>
              ),
            },
          ]}
        />
      </Section>
      <Section title="Lock-out / tag-out" description="Maintainers of this equipment and admins set and clear it. Safety switches off at once; maintenance waits for the next idle.">
        {eq.lockout ? (
          <Button variant="secondary" data-testid="clear-lockout" onClick={() => void confirm({ title: 'Clear the lock-out', message: eq.lockout!.reason, confirmLabel: 'Clear', reason: { label: 'Why it is safe again' } }).then((a) => a && act(() => eqApi.clearLockout(eq.name, a.reason), 'Lock-out cleared'))}>
            Clear lock-out
          </Button>
        ) : (
          <FieldRow>
            <SelectField label="Mode" value={mode} onValue={(v) => setMode(v)} options={[{ value: 'maintenance', label: 'Maintenance (at next idle)' }, { value: 'safety', label: 'Safety (at once)' }]} width="auto" />
            <Button variant="danger" data-testid="set-lockout" onClick={() => void confirm({ title: `Lock out ${eq.display_name}`, message: `A ${mode} lock-out refuses every card and command to switch on.`, confirmLabel: 'Lock out', danger: true, reason: { label: 'Reason (shown on the tag)' } }).then((a) => a && act(() => eqApi.setLockout(eq.name, mode, a.reason), 'Locked out'))}>
              Lock out
            </Button>
          </FieldRow>
        )}
      </Section>
      <Section title="Rule">
        <dl class="rule" data-testid="rule">
          <dt>Who</dt>
          <dd>{[...eq.rule.access.groups.map((g) => `group ${g}`), ...eq.rule.access.people, ...eq.rule.access.users.map((u) => `user ${u}`)].join(', ') || 'every card holder'}{eq.rule.access.trained ? ', trained on it' : ''}</dd>
          <dt>Schedule</dt>
          <dd>{eq.rule.schedule ? eq.rule.schedule.windows.map((w) => `${w.groups.length ? `${w.groups.join(', ')}: ` : ''}${w.days.join(' ')} ${w.from}–${w.to}`).join('; ') + (eq.rule.schedule.timezone ? ` (${eq.rule.schedule.timezone})` : '') : 'always'}</dd>
          <dt>Session</dt>
          <dd>{eq.rule.session.model === 'timed' ? `on for ${eq.rule.session.minutes} min, extended by use` : eq.rule.session.model === 'while_present' ? 'on while the card is on the reader' : 'each tap toggles'}</dd>
          <dt>Trainers</dt>
          <dd>{eq.trainers.map((p) => p.name).join(', ') || 'none'}</dd>
          <dt>Maintainers</dt>
          <dd>{eq.maintainers.map((p) => p.name).join(', ') || 'none'}</dd>
          <dt>Offline</dt>
          <dd>{eq.rule.fail_secure ? 'fail-secure when the allow-list expires' : 'keeps unexpired entries when the list expires'}; entries live {Math.round(eq.rule.entry_ttl / 3_600_000)} h</dd>
        </dl>
      </Section>
      <Section title="Trained people" testid="trained-people">
        <DataTable
          rows={trainings}
          rowKey={(t) => t.person.id}
          caption="Trained people"
          empty={{ title: 'Nobody trained yet', text: 'Trainers grant trainings below.' }}
          columns={[
            { key: 'p', header: 'Person', primary: true, sort: (t) => t.person.name, cell: (t) => t.person.name },
            { key: 's', header: 'Status', cell: (t) => <Badge tone={t.status === 'valid' ? 'ok' : 'warn'}>{t.status}</Badge> },
            { key: 'u', header: 'Valid until', cell: (t) => (t.valid_until ? formatDateTime(t.valid_until) : 'no expiry') },
            { key: 'g', header: 'Granted by', cell: (t) => t.granted_by },
            { key: 'x', header: '', actions: true, cell: (t) => t.status !== 'revoked' && <Button size="sm" variant="ghost" onClick={() => void confirm({ title: `Revoke ${t.person.name}'s training`, message: 'Their cards stop working here at once.', confirmLabel: 'Revoke', danger: true, reason: { label: 'Why' } }).then((a) => a && act(() => eqApi.revokeTraining(eq.name, t.person.name, a.reason), 'Training revoked'))}>Revoke</Button> },
          ]}
        />
        <form class="form-actions" onSubmit={(e) => { e.preventDefault(); void act(() => eqApi.grantTraining(eq.name, grant.person, { expires_in_days: Number(grant.days), reason: 'trained in person' }), `${grant.person} trained`); }}>
          <FieldRow>
            <TextField label="Person" value={grant.person} onValue={(v) => setGrant({ ...grant, person: v })} data-testid="grant-person" />
            <TextField label="Valid for (days)" type="number" width="narrow" value={grant.days} onValue={(v) => setGrant({ ...grant, days: v })} />
            <Button type="submit" variant="primary" data-testid="grant-training">Grant training</Button>
          </FieldRow>
        </form>
      </Section>
      <Section title="Revocation reach" description="How many of this equipment's nodes hold the current signed allow-list.">
        <p data-testid="reach-detail">{reach ? `reached ${reach.reached} of ${reach.total} node${reach.total === 1 ? '' : 's'}` : '-'}</p>
        <ul>{reach?.nodes.map((n) => <li key={n.node}>{n.node}: published v{n.version ?? '-'}, holds v{n.reported_version ?? '-'}</li>)}</ul>
      </Section>
    </div>
  );
}
