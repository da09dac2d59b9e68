import { useEffect, useState } from 'preact/hooks';
import '../auth/auth.css';
import { api } from '../auth/session';

interface User {
  name: string;
  role: 'admin' | 'member';
  disabled: boolean;
  totp_enabled: boolean;
}
interface Grant {
  scope: 'node' | 'tag';
  target: string;
  permission: Permission;
}
type Permission = 'view' | 'actuate' | 'ssh' | 'admin';
const PERMISSIONS: Permission[] = ['view', 'actuate', 'ssh', 'admin'];

/** Users (admin): create, disable, reset a password, and each user's grants as a node x permission matrix. */
export function UsersPage() {
  const [users, setUsers] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [form, setForm] = useState({ name: '', password: '', role: 'member' });
  const [notice, setNotice] = useState<string | null>(null);

  const load = () => api<{ users: User[] }>('GET', '/users').then((r) => setUsers(r.users), (e: Error) => setError(e.message));
  useEffect(() => void load(), []);

  const act = async (fn: () => Promise<unknown>, ok: string) => {
    setError(null);
    try {
      await fn();
      setNotice(ok);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <div data-testid="users-page">
      <h1>Users</h1>
      {error && <p class="form-error" role="alert">{error}</p>}
      {notice && <p class="form-ok">{notice}</p>}
      <table class="auth-table">
        <thead>
          <tr><th>Name</th><th>Role</th><th>State</th><th>TOTP</th><th /></tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.name} data-testid="user-row" data-user={u.name}>
              <td>{u.name}</td>
              <td>{u.role}</td>
              <td>{u.disabled ? 'disabled' : 'active'}</td>
              <td>{u.totp_enabled ? 'on' : 'off'}</td>
              <td class="auth-row">
                <button type="button" onClick={() => setSelected(u.name)}>Grants</button>
                <button type="button" onClick={() => { const reason = prompt(`Why ${u.disabled ? 'enable' : 'disable'} ${u.name}?`); if (reason) void act(() => api('PATCH', `/users/${u.name}`, { disabled: !u.disabled, reason }), `${u.name} ${u.disabled ? 'enabled' : 'disabled'}`); }}>
                  {u.disabled ? 'Enable' : 'Disable'}
                </button>
                <button type="button" onClick={() => { const password = prompt(`New password for ${u.name} (at least 10 characters)`); const reason = password && prompt('Why?'); if (password && reason) void act(() => api('POST', `/users/${u.name}/password`, { password, reason }), `password of ${u.name} reset`); }}>
                  Reset password
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="auth-card" onSubmit={(e) => { e.preventDefault(); void act(() => api('POST', '/users', form), `created ${form.name}`).then(() => setForm({ name: '', password: '', role: 'member' })); }}>
        <h2>New user</h2>
        <div class="auth-row">
          <label>Name<input required value={form.name} onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })} /></label>
          <label>Password<input type="password" autocomplete="new-password" required value={form.password} onInput={(e) => setForm({ ...form, password: (e.target as HTMLInputElement).value })} /></label>
          <label>Role<select value={form.role} onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value })}><option value="member">member</option><option value="admin">admin</option></select></label>
          <button type="submit">Create</button>
        </div>
      </form>
      {selected && <GrantsMatrix key={selected} user={selected} />}
    </div>
  );
}

/** One user's grants: a row per node (and per tag granted), a checkbox per permission. */
function GrantsMatrix({ user }: { user: string }) {
  const [nodes, setNodes] = useState<string[]>([]);
  const [grants, setGrants] = useState<Set<string>>(new Set());
  const [tagRows, setTagRows] = useState<string[]>([]);
  const [newTag, setNewTag] = useState('');
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const key = (scope: string, target: string, p: string) => `${scope}\u0000${target}\u0000${p}`;

  useEffect(() => {
    void Promise.all([api<{ nodes: Array<{ name: string }> }>('GET', '/nodes'), api<{ grants: Grant[] }>('GET', `/users/${user}/grants`)]).then(([n, g]) => {
      setNodes(n.nodes.map((x) => x.name));
      setGrants(new Set(g.grants.map((x) => key(x.scope, x.target, x.permission))));
      setTagRows([...new Set(g.grants.filter((x) => x.scope === 'tag').map((x) => x.target))]);
    });
  }, [user]);

  const toggle = (k: string) => {
    const next = new Set(grants);
    if (next.has(k)) next.delete(k);
    else next.add(k);
    setGrants(next);
  };
  const rows: Array<[string, string]> = [...nodes.map((n) => ['node', n] as [string, string]), ...tagRows.map((t) => ['tag', t] as [string, string])];

  async function save(e: Event) {
    e.preventDefault();
    const list = [...grants].map((k) => { const [scope, target, permission] = k.split('\u0000'); return { scope, target, permission }; });
    try {
      await api('PUT', `/users/${user}/grants`, { grants: list, reason });
      setStatus('saved');
    } catch (err) {
      setStatus((err as Error).message);
    }
  }

  return (
    <form class="auth-card" onSubmit={save} data-testid="grants-matrix" data-user={user}>
      <h2>Grants of {user}</h2>
      <table class="auth-table">
        <thead><tr><th>Node or tag</th>{PERMISSIONS.map((p) => <th class="center" key={p}>{p}</th>)}</tr></thead>
        <tbody>
          {rows.map(([scope, target]) => (
            <tr key={`${scope}:${target}`}>
              <td>{scope === 'tag' ? `tag: ${target}` : target}</td>
              {PERMISSIONS.map((p) => (
                <td class="center" key={p}>
                  <input type="checkbox" aria-label={`${p} on ${target}`} data-testid="grant" data-target={target} data-permission={p} checked={grants.has(key(scope, target, p))} onChange={() => toggle(key(scope, target, p))} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <div class="auth-row">
        <label>Add a tag row<input value={newTag} onInput={(e) => setNewTag((e.target as HTMLInputElement).value)} /></label>
        <button type="button" onClick={() => { if (newTag) setTagRows([...new Set([...tagRows, newTag])]); setNewTag(''); }}>Add tag</button>
      </div>
      <div class="auth-row">
        <label>Reason (audit log)<input required value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} /></label>
        <button type="submit" data-testid="grants-save">Save grants</button>
        {status && <span role="status">{status}</span>}
      </div>
    </form>
  );
}
