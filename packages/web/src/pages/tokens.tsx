import { useEffect, useState } from 'preact/hooks';
import '../auth/auth.css';
import { api } from '../auth/session';

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

const when = (t: number | null) => (t === null ? '-' : new Date(t).toLocaleString());

/** Your API tokens: create (shown once), list, revoke. */
export function TokensPage() {
  const [tokens, setTokens] = useState<TokenView[]>([]);
  const [created, setCreated] = useState<TokenView | null>(null);
  const [form, setForm] = useState({ name: '', scope: 'read', days: 90 });
  const [error, setError] = useState<string | null>(null);
  const load = () => api<{ tokens: TokenView[] }>('GET', '/tokens').then((r) => setTokens(r.tokens), (e: Error) => setError(e.message));
  useEffect(() => void load(), []);

  return (
    <div data-testid="tokens-page">
      <h1>API tokens</h1>
      {error && <p class="form-error" role="alert">{error}</p>}
      <form class="auth-card" onSubmit={(e) => { e.preventDefault(); setError(null); void api<TokenView>('POST', '/tokens', { name: form.name, scope: form.scope, expires_in_days: form.days }).then((t) => { setCreated(t); void load(); }, (err: Error) => setError(err.message)); }}>
        <div class="auth-row">
          <label>What for<input required value={form.name} onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })} /></label>
          <label>Scope<select value={form.scope} onChange={(e) => setForm({ ...form, scope: (e.target as HTMLSelectElement).value })}><option value="read">read only</option><option value="grants">my grants</option></select></label>
          <label>Days<input type="number" min={1} max={365} value={form.days} onInput={(e) => setForm({ ...form, days: Number((e.target as HTMLInputElement).value) })} /></label>
          <button type="submit">Create token</button>
        </div>
        {created?.token && <p>Copy it now, it is not shown again: <span class="secret" data-testid="new-token">{created.token}</span></p>}
      </form>
      <table class="auth-table">
        <thead><tr><th>Id</th><th>Name</th><th>Scope</th><th>Expires</th><th>Last used</th><th>State</th><th /></tr></thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id}>
              <td>{t.id}</td><td>{t.name}</td><td>{t.scope}</td><td>{when(t.expires_at)}</td><td>{when(t.last_used_at)}</td>
              <td>{t.revoked_at ? 'revoked' : 'active'}</td>
              <td>{!t.revoked_at && <button type="button" onClick={() => void api('DELETE', `/tokens/${t.id}`).then(load, (e: Error) => setError(e.message))}>Revoke</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
