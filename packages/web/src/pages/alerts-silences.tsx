import { useEffect, useState } from 'preact/hooks';
import { Button } from '../components/ui/button';
import { DataTable } from '../components/ui/data-table';
import { FieldRow, FormError, SelectField, TextField } from '../components/ui/field';
import { Section } from '../components/ui/page-header';
import { NodePicker } from '../components/ui/pickers';
import { useToast } from '../components/ui/toast';
import { formatDateTime } from '../lib/format';
import { createSilence, endSilence, listSilences, type RuleView, type SilenceView } from './alerts-api';

/** Silences in force, and a form for a new one ("defrosting the freezer for 2 h"). */
export function Silences({ rules }: { rules: readonly RuleView[] }) {
  const [silences, setSilences] = useState<SilenceView[] | null>(null);
  const [form, setForm] = useState({ node: '', rule: '', duration: '2h', reason: '' });
  const [error, setError] = useState<string | null>(null);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const toast = useToast();
  const load = () => listSilences().then(setSilences, (e: Error) => setError(e.message));
  useEffect(() => void load(), []);
  const durationError = /^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)\s*$/.test(form.duration) ? null : 'a duration such as 30m, 2h or 1d';
  const reasonError = tried && form.reason.trim() === '' ? 'say why, for the others and the audit log' : null;
  const submit = (e: Event) => {
    e.preventDefault();
    setTried(true);
    setError(null);
    if (durationError || form.reason.trim() === '') return;
    setBusy(true);
    createSilence({ ...(form.node ? { node: form.node } : {}), ...(form.rule ? { rule: Number(form.rule) } : {}), duration: form.duration.trim(), reason: form.reason.trim() }).then(
      () => {
        setBusy(false);
        setTried(false);
        setForm({ ...form, reason: '' });
        toast.success(`Silenced for ${form.duration.trim()}`);
        void load();
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };
  const what = (s: SilenceView) => [s.node ? `node ${s.node}` : 'every node', s.rule_id !== null ? `rule ${rules.find((r) => r.id === s.rule_id)?.name ?? s.rule_id}` : 'every rule'].join(', ');
  return (
    <Section title="Silences" testid="alert-silences" description="No notification goes out for what a silence covers while it lasts; alerts still open and close.">
      <form class="form-stack silence-form" onSubmit={submit} noValidate>
        <FieldRow>
          <NodePicker label="Node" value={form.node} onValue={(node) => setForm({ ...form, node })} emptyLabel="Every node" testid="silence-node" />
          <SelectField
            label="Rule"
            value={form.rule}
            options={[{ value: '', label: 'Every rule' }, ...rules.map((r) => ({ value: String(r.id), label: r.name }))]}
            onValue={(rule) => setForm({ ...form, rule })}
            data-testid="silence-rule"
          />
          <TextField label="For" width="narrow" value={form.duration} onValue={(duration) => setForm({ ...form, duration })} error={durationError} hint="e.g. 30m, 2h, 1d" data-testid="silence-duration" />
          <TextField label="Why" value={form.reason} onValue={(reason) => setForm({ ...form, reason })} error={reasonError} placeholder="defrosting the freezer" data-testid="silence-reason" />
          <Button type="submit" variant="primary" busy={busy} data-testid="silence-create">
            Silence
          </Button>
        </FieldRow>
        {error && <FormError>{error}</FormError>}
      </form>
      <DataTable
        caption="Silences in force"
        rows={silences ?? []}
        loading={silences === null}
        rowKey={(s) => s.id}
        rowAttrs={() => ({ 'data-testid': 'silence-row' })}
        initialSort={{ key: 'until', dir: 'asc' }}
        empty={{ title: 'No silence in force', text: 'Silence a node or a rule during maintenance so nobody is paged for it.' }}
        columns={[
          { key: 'what', header: 'What', primary: true, cell: what },
          { key: 'until', header: 'Until', sort: (s) => s.ends_at, cell: (s) => formatDateTime(s.ends_at) },
          { key: 'why', header: 'Why', cell: (s) => s.reason },
          { key: 'by', header: 'By', sort: (s) => s.created_by, cell: (s) => s.created_by },
          {
            key: 'end',
            header: 'Actions',
            actions: true,
            cell: (s) => (
              <Button
                size="sm"
                onClick={() =>
                  void endSilence(s.id).then(
                    () => {
                      toast.success('Silence ended');
                      void load();
                    },
                    (e: Error) => toast.error(e.message),
                  )
                }
              >
                End now
              </Button>
            ),
          },
        ]}
      />
    </Section>
  );
}
