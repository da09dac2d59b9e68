import { useEffect, useState } from 'preact/hooks';
import { api } from '../auth/session';
import { Button } from '../components/ui/button';
import { DataTable } from '../components/ui/data-table';
import { useConfirm } from '../components/ui/dialog';
import { FieldRow, FormError, SelectField, TextField } from '../components/ui/field';
import { Badge, PageHeader, Section } from '../components/ui/page-header';
import { useToast } from '../components/ui/toast';
import { formatDateTime, plural } from '../lib/format';

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

const when = (t: number | null) => (t === null ? '—' : formatDateTime(t));
const tokenState = (t: TokenView): { text: string; tone: 'ok' | 'danger' | 'idle' } =>
  t.revoked_at !== null ? { text: 'revoked', tone: 'danger' } : t.expires_at !== null && t.expires_at < Date.now() ? { text: 'expired', tone: 'idle' } : { text: 'active', tone: 'ok' };

/** Your API tokens: create (shown once), list, revoke. */
export function TokensPage() {
  const [tokens, setTokens] = useState<TokenView[] | null>(null);
  const [created, setCreated] = useState<TokenView | null>(null);
  const [form, setForm] = useState({ name: '', scope: 'read' as TokenView['scope'], days: '90' });
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const [confirm, confirmDialog] = useConfirm();
  const load = () => api<{ tokens: TokenView[] }>('GET', '/tokens').then((r) => setTokens(r.tokens), (e: Error) => (setTokens([]), setError(e.message)));
  useEffect(() => void load(), []);
  const days = Number(form.days);
  const daysError = !Number.isInteger(days) || days < 1 || days > 365 ? 'a whole number of days, 1 to 365' : null;
  const nameError = tried && form.name.trim() === '' ? 'say what the token is for' : null;

  const create = (e: Event) => {
    e.preventDefault();
    setTried(true);
    setError(null);
    if (daysError || form.name.trim() === '') return;
    setBusy(true);
    api<TokenView>('POST', '/tokens', { name: form.name.trim(), scope: form.scope, expires_in_days: days }).then(
      (t) => {
        setBusy(false);
        setCreated(t);
        setTried(false);
        setForm({ ...form, name: '' });
        void load();
      },
      (err: Error) => {
        setBusy(false);
        setError(err.message);
      },
    );
  };
  const revoke = async (t: TokenView) => {
    const answer = await confirm({ title: `Revoke “${t.name}”?`, message: <p>Scripts using it stop working at once, including open connections.</p>, confirmLabel: 'Revoke', danger: true });
    if (answer)
      api('DELETE', `/tokens/${t.id}`).then(
        () => {
          toast.success(`Token “${t.name}” revoked`);
          void load();
        },
        (e: Error) => toast.error(e.message),
      );
  };
  const active = tokens?.filter((t) => tokenState(t).text === 'active').length ?? 0;

  return (
    <div data-testid="tokens-page">
      <PageHeader title="API tokens" summary={tokens === null ? undefined : `${active} active · ${plural(tokens.length, 'token')} in all`} />
      <Section title="New token" description="For scripts and the ma CLI. The token is shown once; it is stored only as a hash.">
        <form class="form-stack" onSubmit={create} noValidate>
          <FieldRow>
            <TextField label="What for" value={form.name} onValue={(name) => setForm({ ...form, name })} error={nameError} placeholder="nightly export" maxLength={80} data-testid="token-name" />
            <SelectField
              label="Scope"
              width="auto"
              value={form.scope}
              options={[
                { value: 'read', label: 'Read only' },
                { value: 'grants', label: 'Everything my grants allow' },
              ]}
              onValue={(scope) => setForm({ ...form, scope })}
              data-testid="token-scope"
            />
            <TextField label="Expires after (days)" width="narrow" type="number" min={1} max={365} value={form.days} onValue={(d) => setForm({ ...form, days: d })} error={daysError} data-testid="token-days" />
            <Button type="submit" variant="primary" busy={busy} data-testid="token-create">
              Create token
            </Button>
          </FieldRow>
          {error && <FormError>{error}</FormError>}
          {created?.token && (
            <div class="secret-box" role="status">
              <p>Copy it now, it is not shown again:</p>
              <code class="secret" data-testid="new-token">
                {created.token}
              </code>
              <Button size="sm" onClick={() => void navigator.clipboard?.writeText(created.token ?? '').then(() => toast.success('Token copied'), () => undefined)}>
                Copy
              </Button>
            </div>
          )}
        </form>
      </Section>
      <Section title="Your tokens">
        <DataTable
          caption="Your API tokens"
          rows={tokens ?? []}
          loading={tokens === null}
          rowKey={(t) => t.id}
          rowAttrs={(t) => ({ 'data-testid': 'token-row', 'data-token': t.id })}
          initialSort={{ key: 'id', dir: 'desc' }}
          empty={{ title: 'No tokens yet', text: 'Create one above for a script or the ma CLI.' }}
          columns={[
            { key: 'name', header: 'Name', primary: true, sort: (t) => t.name, cell: (t) => t.name },
            { key: 'id', header: 'Id', numeric: true, sort: (t) => t.id, cell: (t) => t.id },
            { key: 'scope', header: 'Scope', sort: (t) => t.scope, cell: (t) => (t.scope === 'read' ? 'read only' : 'my grants') },
            { key: 'expires', header: 'Expires', sort: (t) => t.expires_at ?? Infinity, cell: (t) => when(t.expires_at) },
            { key: 'used', header: 'Last used', sort: (t) => t.last_used_at ?? 0, cell: (t) => when(t.last_used_at) },
            { key: 'state', header: 'State', sort: (t) => tokenState(t).text, cell: (t) => <Badge tone={tokenState(t).tone}>{tokenState(t).text}</Badge> },
            {
              key: 'actions',
              header: 'Actions',
              actions: true,
              cell: (t) =>
                t.revoked_at === null ? (
                  <Button size="sm" variant="danger" onClick={() => void revoke(t)} data-testid="token-revoke">
                    Revoke
                  </Button>
                ) : null,
            },
          ]}
        />
      </Section>
      {confirmDialog}
    </div>
  );
}
