import { useEffect, useState } from 'preact/hooks';
import { createSilence, endSilence, listSilences, type RuleView, type SilenceView } from './alerts-api';

/** Silences in force, and a form for a new one ("defrosting the freezer for 2 h"). */
export function Silences({ rules }: { rules: readonly RuleView[] }) {
  const [silences, setSilences] = useState<SilenceView[]>([]);
  const [form, setForm] = useState({ node: '', rule: '', duration: '2h', reason: '' });
  const [error, setError] = useState<string | null>(null);
  const load = () => listSilences().then(setSilences, (e: Error) => setError(e.message));
  useEffect(() => void load(), []);
  const submit = (e: Event) => {
    e.preventDefault();
    setError(null);
    createSilence({ ...(form.node ? { node: form.node } : {}), ...(form.rule ? { rule: Number(form.rule) } : {}), duration: form.duration, reason: form.reason }).then(
      () => { setForm({ ...form, reason: '' }); void load(); },
      (err: Error) => setError(err.message),
    );
  };
  return (
    <section data-testid="alert-silences">
      <h2>Silences</h2>
      <form class="auth-card" onSubmit={submit}>
        <div class="auth-row">
          <label>Node<input data-testid="silence-node" value={form.node} onInput={(e) => setForm({ ...form, node: (e.target as HTMLInputElement).value })} /></label>
          <label>Rule<select data-testid="silence-rule" value={form.rule} onChange={(e) => setForm({ ...form, rule: (e.target as HTMLSelectElement).value })}>
            <option value="">every rule</option>
            {rules.map((r) => <option key={r.id} value={String(r.id)}>{r.name}</option>)}
          </select></label>
          <label>For<input data-testid="silence-duration" value={form.duration} onInput={(e) => setForm({ ...form, duration: (e.target as HTMLInputElement).value })} /></label>
          <label>Why<input data-testid="silence-reason" required value={form.reason} onInput={(e) => setForm({ ...form, reason: (e.target as HTMLInputElement).value })} /></label>
          <button type="submit" data-testid="silence-create">Silence</button>
        </div>
        {error && <p class="form-error" role="alert">{error}</p>}
      </form>
      <table class="auth-table">
        <thead><tr><th>What</th><th>Until</th><th>Why</th><th>By</th><th /></tr></thead>
        <tbody>
          {silences.map((s) => (
            <tr key={s.id} data-testid="silence-row">
              <td>{[s.node ? `node ${s.node}` : '', s.rule_id !== null ? `rule ${rules.find((r) => r.id === s.rule_id)?.name ?? s.rule_id}` : ''].filter(Boolean).join(', ')}</td>
              <td>{new Date(s.ends_at).toLocaleString()}</td><td>{s.reason}</td><td>{s.created_by}</td>
              <td><button type="button" onClick={() => void endSilence(s.id).then(load, (e: Error) => setError(e.message))}>End now</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
