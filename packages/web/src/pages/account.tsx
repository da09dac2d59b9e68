import { useState } from 'preact/hooks';
import '../auth/auth.css';
import { api } from '../auth/session';

/** My account: change password, turn TOTP on or off, log out. */
export function AccountPage() {
  const [pw, setPw] = useState({ current_password: '', new_password: '' });
  const [msg, setMsg] = useState<string | null>(null);
  const [totp, setTotp] = useState<{ secret: string; otpauth_url: string } | null>(null);
  const [code, setCode] = useState('');
  const run = (p: Promise<unknown>, ok: string) => p.then(() => setMsg(ok), (e: Error) => setMsg(e.message));

  return (
    <div data-testid="account-page">
      <h1>My account</h1>
      {msg && <p role="status">{msg}</p>}
      <form class="auth-card" onSubmit={(e) => { e.preventDefault(); void run(api('POST', '/auth/password', pw), 'password changed; your other sessions were ended'); }}>
        <h2>Password</h2>
        <label>Current password<input type="password" autocomplete="current-password" required value={pw.current_password} onInput={(e) => setPw({ ...pw, current_password: (e.target as HTMLInputElement).value })} /></label>
        <label>New password (at least 10 characters)<input type="password" autocomplete="new-password" required value={pw.new_password} onInput={(e) => setPw({ ...pw, new_password: (e.target as HTMLInputElement).value })} /></label>
        <button type="submit">Change password</button>
      </form>
      <div class="auth-card">
        <h2>Two-factor (TOTP)</h2>
        {!totp && <button type="button" onClick={() => void api<{ secret: string; otpauth_url: string }>('POST', '/auth/totp/setup').then(setTotp, (e: Error) => setMsg(e.message))}>Set up an authenticator app</button>}
        {totp && (
          <form onSubmit={(e) => { e.preventDefault(); void run(api('POST', '/auth/totp/enable', { code }), 'TOTP is on'); }}>
            <p>Add this secret to your authenticator app: <span class="secret">{totp.secret}</span></p>
            <p><a href={totp.otpauth_url}>Open in an authenticator app</a></p>
            <label>Code shown by the app<input inputMode="numeric" pattern="[0-9]{6}" required value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} /></label>
            <button type="submit">Turn TOTP on</button>
          </form>
        )}
        <button type="button" onClick={() => { const password = prompt('Your password, to turn TOTP off'); if (password) void run(api('POST', '/auth/totp/disable', { password }), 'TOTP is off'); }}>Turn TOTP off</button>
      </div>
      <button type="button" data-testid="logout" onClick={() => void api('POST', '/auth/logout').finally(() => location.assign('/login'))}>Log out</button>
    </div>
  );
}
