import { useEffect, useState } from 'preact/hooks';
import { Button } from '../components/ui/button';
import { TextField } from '../components/ui/field';

function BrandMark() {
  return (
    <div class="login-brand">
      <svg class="login-brand__logo" viewBox="0 0 32 32" width="40" height="40" aria-hidden="true">
        <rect width="32" height="32" rx="7" fill="currentColor" />
        <path d="M6 19h5l3-8 4 12 3-7h5" fill="none" stroke="var(--brand-ink)" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round" />
      </svg>
      <div>
        <p class="login-brand__name">Monitor Actuator</p>
        <p class="login-brand__tag">Your lab's sensors, cameras and equipment in one place</p>
      </div>
    </div>
  );
}

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
    if (name.trim() === '' || password === '') return setError('Enter your user name and password.');
    if (setup && password.length < 10) return setError('Choose a password of at least 10 characters.');
    setBusy(true);
    setError(null);
    const body = setup ? { name, password } : { name, password, ...(totp ? { totp } : {}) };
    try {
      const r = await fetch(setup ? '/api/v1/auth/setup' : '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (r.ok) {
        const next = new URLSearchParams(location.search).get('next');
        // Only a local path: an open redirect would let a link send people elsewhere after logging in.
        location.replace(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
        return;
      }
      const message = ((await r.json().catch(() => null)) as { error?: { message?: string } } | null)?.error?.message ?? `error ${r.status}`;
      if (/one-time code/.test(message)) setNeedTotp(true);
      setError(message);
    } catch {
      setError('The server did not answer; check the connection and try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login-page">
      <div class="login-column">
        <BrandMark />
        {setup !== null && (
          <form class="login-card" onSubmit={submit} data-testid={setup ? 'setup-form' : 'login-form'} noValidate>
            <h1>{setup ? 'Create the first admin' : 'Log in'}</h1>
            {setup && <p class="muted">No user exists yet. The account you create here is an admin; this page disappears once it exists.</p>}
            <TextField label="User name" autocomplete="username" value={name} onValue={setName} data-testid="login-name" autoFocus />
            <TextField
              label="Password"
              type="password"
              autocomplete={setup ? 'new-password' : 'current-password'}
              value={password}
              onValue={setPassword}
              hint={setup ? 'At least 10 characters' : undefined}
              data-testid="login-password"
            />
            {needTotp && <TextField label="One-time code" inputMode="numeric" autocomplete="one-time-code" maxLength={6} value={totp} onValue={setTotp} hint="from your authenticator app" data-testid="login-totp" autoFocus />}
            {error && (
              <p class="form-message form-message--error" role="alert" data-testid="login-error">
                {error}
              </p>
            )}
            <Button type="submit" variant="primary" busy={busy} data-testid="login-submit" class="login-card__submit">
              {setup ? 'Create admin and log in' : 'Log in'}
            </Button>
          </form>
        )}
      </div>
    </main>
  );
}
