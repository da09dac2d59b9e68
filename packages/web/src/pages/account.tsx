import { useMemo, useState } from 'preact/hooks';
import { api, currentMe } from '../auth/session';
import { Button } from '../components/ui/button';
import { useConfirm } from '../components/ui/dialog';
import { FieldRow, FormError, SelectField, TextField } from '../components/ui/field';
import { Badge, PageHeader, Section } from '../components/ui/page-header';
import { SearchPicker } from '../components/ui/search-picker';
import { useToast } from '../components/ui/toast';
import { browserTimeZone, formatDateTime, formatValue } from '../lib/format';
import { savePreferences, usePreferences, type Preferences } from '../state/preferences';

const MIN_PASSWORD = 10;

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.('timeZone') ?? ['UTC'];
}

function PasswordSection() {
  const [pw, setPw] = useState({ current_password: '', new_password: '' });
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const tooShort = pw.new_password.length < MIN_PASSWORD;
  const submit = (e: Event) => {
    e.preventDefault();
    setTried(true);
    if (pw.current_password === '' || tooShort) return;
    setBusy(true);
    api('POST', '/auth/password', pw).then(
      () => {
        setBusy(false);
        setPw({ current_password: '', new_password: '' });
        setTried(false);
        setError(null);
        toast.success('Password changed; your other sessions were ended');
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };
  return (
    <Section title="Password">
      <form class="form-stack" onSubmit={submit} noValidate>
        <FieldRow>
          <TextField label="Current password" type="password" autocomplete="current-password" value={pw.current_password} onValue={(v) => setPw({ ...pw, current_password: v })} error={tried && pw.current_password === '' ? 'required' : null} />
          <TextField
            label="New password"
            type="password"
            autocomplete="new-password"
            value={pw.new_password}
            onValue={(v) => setPw({ ...pw, new_password: v })}
            hint={`At least ${MIN_PASSWORD} characters`}
            error={tried && tooShort ? `at least ${MIN_PASSWORD} characters` : null}
          />
          <Button type="submit" variant="primary" busy={busy}>
            Change password
          </Button>
        </FieldRow>
        {error && <FormError>{error}</FormError>}
      </form>
    </Section>
  );
}

/** Two-factor: shows what is true now (on or off) and offers only what makes sense from there. */
function TotpSection() {
  const me = currentMe();
  const [enabled, setEnabled] = useState(me?.user.totp_enabled ?? false);
  const [setup, setSetup] = useState<{ secret: string; otpauth_url: string } | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const toast = useToast();
  const [confirm, confirmDialog] = useConfirm();
  const noAccount = me === null || me.via === 'bootstrap';

  const start = () => api<{ secret: string; otpauth_url: string }>('POST', '/auth/totp/setup').then(setSetup, (e: Error) => setError(e.message));
  const enable = (e: Event) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(code)) return setError('the 6-digit code your app shows');
    setBusy(true);
    api('POST', '/auth/totp/enable', { code }).then(
      () => {
        setBusy(false);
        setEnabled(true);
        setSetup(null);
        setCode('');
        setError(null);
        toast.success('Two-factor is on');
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };
  const disable = async () => {
    const answer = await confirm({
      title: 'Turn two-factor off?',
      message: <p>Logging in then needs only your password.</p>,
      confirmLabel: 'Turn off',
      danger: true,
      secret: { label: 'Your password', autocomplete: 'current-password' },
    });
    if (!answer) return;
    api('POST', '/auth/totp/disable', { password: answer.secret }).then(
      () => {
        setEnabled(false);
        toast.success('Two-factor is off');
      },
      (err: Error) => toast.error(err.message),
    );
  };

  return (
    <Section
      title="Two-factor authentication"
      testid="totp-section"
      actions={<Badge tone={enabled ? 'ok' : 'idle'} testid="totp-state">{enabled ? 'On' : 'Off'}</Badge>}
      description={enabled ? 'Logging in asks for a code from your authenticator app.' : 'Add a one-time code from an authenticator app to your password.'}
    >
      {noAccount ? (
        <p class="muted">The bootstrap token has no account; log in as a user to set this up.</p>
      ) : enabled ? (
        <Button variant="danger" onClick={() => void disable()} data-testid="totp-disable">
          Turn two-factor off
        </Button>
      ) : setup === null ? (
        <Button variant="primary" onClick={() => void start()} data-testid="totp-setup">
          Set up an authenticator app
        </Button>
      ) : (
        <form class="form-stack" onSubmit={enable} noValidate>
          <p>
            Add this secret to your authenticator app, or <a href={setup.otpauth_url}>open it in the app</a>:
          </p>
          <code class="secret" data-testid="totp-secret">
            {setup.secret}
          </code>
          <FieldRow>
            <TextField label="Code shown by the app" width="narrow" inputMode="numeric" autocomplete="one-time-code" maxLength={6} value={code} onValue={setCode} data-testid="totp-code" />
            <Button type="submit" variant="primary" busy={busy} data-testid="totp-enable">
              Turn two-factor on
            </Button>
            <Button variant="ghost" onClick={() => setSetup(null)}>
              Cancel
            </Button>
          </FieldRow>
        </form>
      )}
      {error && <FormError>{error}</FormError>}
      {confirmDialog}
    </Section>
  );
}

function PreferencesSection() {
  const prefs = usePreferences();
  const toast = useToast();
  const zones = useMemo(() => timeZones().map((z) => ({ value: z, label: z.replace(/_/g, ' ') })), []);
  const save = (change: Partial<Pick<Preferences, 'time_zone' | 'hour_cycle' | 'temperature_unit'>>) =>
    savePreferences(change).then(
      () => toast.success('Preferences saved'),
      (e: Error) => toast.error(e.message),
    );
  const sample = Date.now();
  return (
    <Section title="Display" testid="preferences-section" description={`How times and values look for you, on every device you log in from. Now: ${formatDateTime(sample)}, ${formatValue(4.5, '°C')}.`}>
      {!prefs.stored && <p class="muted">The bootstrap token has no account; these are the defaults.</p>}
      <FieldRow>
        <SearchPicker
          label="Time zone"
          value={prefs.time_zone ?? ''}
          options={zones}
          emptyLabel={`Browser default (${browserTimeZone()})`}
          onValue={(v) => v !== (prefs.time_zone ?? '') && void save({ time_zone: v === '' ? null : v })}
          testid="pref-time-zone"
        />
        <SelectField
          label="Clock"
          width="auto"
          value={prefs.hour_cycle}
          options={[
            { value: 'auto', label: 'Browser default' },
            { value: 'h23', label: '24 hour (14:05)' },
            { value: 'h12', label: '12 hour (2:05 pm)' },
          ]}
          onValue={(hour_cycle) => void save({ hour_cycle })}
          disabled={!prefs.stored}
          data-testid="pref-hour-cycle"
        />
        <SelectField
          label="Temperature"
          width="auto"
          value={prefs.temperature_unit}
          options={[
            { value: 'C', label: 'Celsius (°C)' },
            { value: 'F', label: 'Fahrenheit (°F)' },
          ]}
          onValue={(temperature_unit) => void save({ temperature_unit })}
          disabled={!prefs.stored}
          data-testid="pref-temperature"
        />
      </FieldRow>
    </Section>
  );
}

/** My account: display preferences, password, two-factor, log out. */
export function AccountPage() {
  const me = currentMe();
  return (
    <div data-testid="account-page">
      <PageHeader
        title="My account"
        summary={me ? `${me.user.name} · ${me.user.role}` : undefined}
        actions={
          <Button onClick={() => void api('POST', '/auth/logout').finally(() => location.assign('/login'))} data-testid="logout">
            Log out
          </Button>
        }
      />
      <PreferencesSection />
      <PasswordSection />
      <TotpSection />
    </div>
  );
}
