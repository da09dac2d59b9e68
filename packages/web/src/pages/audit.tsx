import { useEffect, useState } from 'preact/hooks';
import { api } from '../auth/session';
import { Button } from '../components/ui/button';
import { DataTable } from '../components/ui/data-table';
import { FieldRow, FormError, SelectField, TextField } from '../components/ui/field';
import { Badge, PageHeader, Section } from '../components/ui/page-header';
import { formatDateTime, plural } from '../lib/format';

interface Entry {
  id: number;
  at: number;
  actor: string;
  ip: string | null;
  action: string;
  target: string | null;
  outcome: 'ok' | 'failed' | 'denied';
  reason: string | null;
}

const LIMIT = 200;
const OUTCOME_TONE = { ok: 'ok', failed: 'warn', denied: 'danger' } as const;

/** The audit log (admin), filterable; read-only. */
export function AuditPage() {
  const [filter, setFilter] = useState({ actor: '', action: '', target: '', outcome: '' });
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () => {
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v.trim() !== ''));
    q.set('limit', String(LIMIT));
    setBusy(true);
    return api<{ entries: Entry[] }>('GET', `/audit?${q.toString()}`).then(
      (r) => {
        setEntries(r.entries);
        setError(null);
        setBusy(false);
      },
      (e: Error) => {
        setEntries([]);
        setError(e.message);
        setBusy(false);
      },
    );
  };
  useEffect(() => void load(), []);
  const set = (k: keyof typeof filter) => (v: string) => setFilter({ ...filter, [k]: v });
  return (
    <div data-testid="audit-page">
      <PageHeader title="Audit log" summary={entries === null ? undefined : entries.length >= LIMIT ? `the latest ${LIMIT} entries` : plural(entries.length, 'entry', 'entries')} />
      <Section title="Filter">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void load();
          }}
        >
          <FieldRow>
            <TextField label="Who" value={filter.actor} onValue={set('actor')} placeholder="user:ana" data-testid="audit-actor" />
            <TextField label="Action" value={filter.action} onValue={set('action')} placeholder="auth. or node.tags" hint="an action or a prefix" data-testid="audit-action" />
            <TextField label="Target" value={filter.target} onValue={set('target')} placeholder="node:lab-fridge" data-testid="audit-target" />
            <SelectField
              label="Outcome"
              width="narrow"
              value={filter.outcome}
              options={[
                { value: '', label: 'Any' },
                { value: 'ok', label: 'ok' },
                { value: 'failed', label: 'failed' },
                { value: 'denied', label: 'denied' },
              ]}
              onValue={set('outcome')}
              data-testid="audit-outcome"
            />
            <Button type="submit" variant="primary" busy={busy} data-testid="audit-filter">
              Filter
            </Button>
          </FieldRow>
        </form>
      </Section>
      {error && <FormError>{error}</FormError>}
      <Section title="Entries">
        <DataTable
          caption="Audit log entries"
          rows={entries ?? []}
          loading={entries === null}
          rowKey={(e) => e.id}
          rowAttrs={() => ({ 'data-testid': 'audit-row' })}
          initialSort={{ key: 'when', dir: 'desc' }}
          empty={{ title: 'No entries match', text: 'Loosen the filter, or check back after someone logs in or changes something.' }}
          columns={[
            { key: 'action', header: 'What', primary: true, sort: (e) => e.action, cell: (e) => <span class="mono">{e.action}</span> },
            { key: 'when', header: 'When', sort: (e) => e.at, cell: (e) => <time dateTime={new Date(e.at).toISOString()}>{formatDateTime(e.at)}</time> },
            { key: 'who', header: 'Who', sort: (e) => e.actor, cell: (e) => e.actor },
            { key: 'from', header: 'From', cell: (e) => e.ip ?? '—' },
            { key: 'target', header: 'Target', sort: (e) => e.target ?? '', cell: (e) => e.target ?? '—' },
            { key: 'outcome', header: 'Outcome', sort: (e) => e.outcome, cell: (e) => <Badge tone={OUTCOME_TONE[e.outcome] ?? 'idle'}>{e.outcome}</Badge> },
            { key: 'reason', header: 'Reason', cell: (e) => e.reason ?? '—' },
          ]}
        />
      </Section>
    </div>
  );
}
