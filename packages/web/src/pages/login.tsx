import '../auth/auth.css';
import { useEffect, useState } from 'preact/hooks';

/**
 * The login page, and the first-run page while no user exists (it creates the first admin).
 * Rendered outside the app shell: nothing else loads until someone is logged in.
 */
export function LoginPage() {
  const [setup, setSetup] = useState<boolean | null>(null);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = 'Log in · Monitor Actuator';
    void fetch('/api/v1/auth/state')
      .then((r) => r.json() as Promise<{ needs_setup: boolean }>)
      .then((s) => setSetup(s.needs_setup), () => setSetup(false));
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = setup ? { name, password } : { name, password, ...(totp ? { totp } : {}) };
    const r = await fetch(setup ? '/api/v1/auth/setup' : '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    setBusy(false);
    if (r.ok) {
      const next = new URLSearchParams(location.search).get('next');
      // Only a local path: an open redirect would let a link send people elsewhere after logging in.
      location.replace(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
      return;
    }
    const message = ((await r.json().catch(() => null)) as { error?: { message?: string } } | null)?.error?.message ?? `error ${r.status}`;
    if (/one-time code/.test(message)) setNeedTotp(true);
    setError(message);
  }

  if (setup === null) return <div class="login-page" />;
  return (
    <div class="login-page">
      <form class="login-card card" onSubmit={submit} data-testid={setup ? 'setup-form' : 'login-form'}>
        <h1>{setup ? 'Create the first admin' : 'Log in'}</h1>
        {setup && <p>No user exists yet. The account you create here is an admin; this page disappears once it exists.</p>}
        <label>
          User name
          <input data-testid="login-name" autocomplete="username" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Password{setup ? ' (at least 10 characters)' : ''}
          <input data-testid="login-password" type="password" autocomplete={setup ? 'new-password' : 'current-password'} required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        {needTotp && (
          <label>
            One-time code
            <input data-testid="login-totp" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" value={totp} onInput={(e) => setTotp((e.target as HTMLInputElement).value)} />
          </label>
        )}
        {error && (
          <p class="form-error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" data-testid="login-submit" disabled={busy}>
          {setup ? 'Create admin and log in' : 'Log in'}
        </button>
      </form>
    </div>
  );
}
