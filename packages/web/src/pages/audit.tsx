import { useEffect, useState } from 'preact/hooks';
import '../auth/auth.css';
import { api } from '../auth/session';

interface Entry {
  id: number;
  at: number;
  actor: string;
  ip: string | null;
  action: string;
  target: string | null;
  outcome: string;
  reason: string | null;
}

/** The audit log (admin), filterable; read-only. */
export function AuditPage() {
  const [filter, setFilter] = useState({ actor: '', action: '', target: '', outcome: '' });
  const [entries, setEntries] = useState<Entry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = () => {
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== ''));
    q.set('limit', '200');
    return api<{ entries: Entry[] }>('GET', `/audit?${q.toString()}`).then((r) => { setEntries(r.entries); setError(null); }, (e: Error) => setError(e.message));
  };
  useEffect(() => void load(), []);
  const field = (k: keyof typeof filter, label: string) => (
    <label>{label}<input value={filter[k]} onInput={(e) => setFilter({ ...filter, [k]: (e.target as HTMLInputElement).value })} /></label>
  );
  return (
    <div data-testid="audit-page">
      <h1>Audit log</h1>
      <form class="auth-row" onSubmit={(e) => { e.preventDefault(); void load(); }}>
        {field('actor', 'Who')}{field('action', 'Action (or prefix, e.g. auth.)')}{field('target', 'Target')}
        <label>Outcome<select value={filter.outcome} onChange={(e) => setFilter({ ...filter, outcome: (e.target as HTMLSelectElement).value })}><option value="">any</option><option>ok</option><option>failed</option><option>denied</option></select></label>
        <button type="submit">Filter</button>
      </form>
      {error && <p class="form-error" role="alert">{error}</p>}
      <table class="auth-table">
        <thead><tr><th>When</th><th>Who</th><th>From</th><th>What</th><th>Target</th><th>Outcome</th><th>Reason</th></tr></thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id} data-testid="audit-row">
              <td>{new Date(e.at).toLocaleString()}</td><td>{e.actor}</td><td>{e.ip ?? '-'}</td><td>{e.action}</td><td>{e.target ?? '-'}</td><td>{e.outcome}</td><td>{e.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
