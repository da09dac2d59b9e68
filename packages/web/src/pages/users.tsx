import { useEffect, useState } from 'preact/hooks';
import { api, currentMe } from '../auth/session';
import { Button } from '../components/ui/button';
import { DataTable } from '../components/ui/data-table';
import { Dialog, useConfirm } from '../components/ui/dialog';
import { Checkbox, FieldRow, FormError, SelectField, TextField } from '../components/ui/field';
import { Badge, PageHeader, Section } from '../components/ui/page-header';
import { TagPicker } from '../components/ui/pickers';
import { useToast } from '../components/ui/toast';
import { plural } from '../lib/format';
import { useNodeTags } from '../state/node-tags';

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
const MIN_PASSWORD = 10;

function NewUserDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (name: string) => void }) {
  const [form, setForm] = useState({ name: '', password: '', role: 'member' as User['role'] });
  const [tried, setTried] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const nameError = tried && !/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(form.name) ? 'letters, digits, dot, dash or underscore' : null;
  const passwordError = tried && form.password.length < MIN_PASSWORD ? `at least ${MIN_PASSWORD} characters` : null;
  const submit = () => {
    setTried(true);
    if (!/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(form.name) || form.password.length < MIN_PASSWORD) return;
    setBusy(true);
    api('POST', '/users', form).then(
      () => {
        setBusy(false);
        onCreated(form.name);
        setForm({ name: '', password: '', role: 'member' });
        setTried(false);
        setError(null);
      },
      (e: Error) => {
        setBusy(false);
        setError(e.message);
      },
    );
  };
  return (
    <Dialog
      open={open}
      title="New user"
      onClose={onClose}
      onSubmit={submit}
      testid="new-user-dialog"
      actions={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={busy} data-testid="new-user-create">
            Create user
          </Button>
        </>
      }
    >
      <TextField label="User name" value={form.name} onValue={(name) => setForm({ ...form, name })} error={nameError} autocomplete="off" data-testid="new-user-name" />
      <TextField label="Password" type="password" autocomplete="new-password" value={form.password} onValue={(password) => setForm({ ...form, password })} error={passwordError} hint={`At least ${MIN_PASSWORD} characters; they change it on the Account page.`} data-testid="new-user-password" />
      <SelectField
        label="Role"
        value={form.role}
        options={[
          { value: 'member', label: 'Member: what their grants allow' },
          { value: 'admin', label: 'Admin: everything, including users' },
        ]}
        onValue={(role) => setForm({ ...form, role })}
      />
      {error && <FormError>{error}</FormError>}
    </Dialog>
  );
}

/** Users (admin): create, disable, reset a password, and each user's grants as a node x permission matrix. */
export function UsersPage() {
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const toast = useToast();
  const [confirm, confirmDialog] = useConfirm();
  const me = currentMe()?.user.name;

  const load = () => api<{ users: User[] }>('GET', '/users').then((r) => (setUsers(r.users), setError(null)), (e: Error) => setError(e.message));
  useEffect(() => void load(), []);

  const act = async (fn: () => Promise<unknown>, ok: string) => {
    try {
      await fn();
      toast.success(ok);
      await load();
    } catch (e) {
      toast.error((e as Error).message);
    }
  };
  const toggleDisabled = async (u: User) => {
    const verb = u.disabled ? 'Enable' : 'Disable';
    const answer = await confirm({
      title: `${verb} ${u.name}?`,
      message: u.disabled ? <p>{u.name} can log in again with their password.</p> : <p>{u.name} is logged out everywhere at once, and their API tokens stop working.</p>,
      confirmLabel: verb,
      danger: !u.disabled,
      reason: { label: 'Reason', hint: 'kept in the audit log' },
    });
    if (answer) await act(() => api('PATCH', `/users/${u.name}`, { disabled: !u.disabled, reason: answer.reason }), `${u.name} ${u.disabled ? 'enabled' : 'disabled'}`);
  };
  const resetPassword = async (u: User) => {
    const answer = await confirm({
      title: `New password for ${u.name}`,
      message: <p>Their sessions end; tell them the new password another way.</p>,
      confirmLabel: 'Reset password',
      secret: { label: `New password (at least ${MIN_PASSWORD} characters)`, autocomplete: 'new-password', minLength: MIN_PASSWORD },
      reason: { label: 'Reason', hint: 'kept in the audit log' },
    });
    if (answer) await act(() => api('POST', `/users/${u.name}/password`, { password: answer.secret, reason: answer.reason }), `Password of ${u.name} reset`);
  };

  const admins = users?.filter((u) => u.role === 'admin').length ?? 0;
  return (
    <div data-testid="users-page">
      <PageHeader
        title="Users"
        summary={users === null ? undefined : `${plural(users.length, 'user')} · ${plural(admins, 'admin')}`}
        actions={
          <Button variant="primary" onClick={() => setCreating(true)} data-testid="new-user">
            New user
          </Button>
        }
      />
      {error && (
        <p class="form-message form-message--error" role="alert">
          {error}
        </p>
      )}
      <Section title="Accounts">
        <DataTable
          caption="Users"
          rows={users ?? []}
          loading={users === null && error === null}
          rowKey={(u) => u.name}
          rowAttrs={(u) => ({ 'data-testid': 'user-row', 'data-user': u.name })}
          initialSort={{ key: 'name', dir: 'asc' }}
          empty={{ title: 'No users', text: 'Create one with “New user”.' }}
          columns={[
            {
              key: 'name',
              header: 'Name',
              primary: true,
              sort: (u) => u.name,
              cell: (u) => (
                <>
                  {u.name} {u.name === me && <Badge tone="accent">you</Badge>}
                </>
              ),
            },
            { key: 'role', header: 'Role', sort: (u) => u.role, cell: (u) => <Badge tone={u.role === 'admin' ? 'accent' : 'idle'}>{u.role}</Badge> },
            { key: 'state', header: 'State', sort: (u) => String(u.disabled), cell: (u) => <Badge tone={u.disabled ? 'danger' : 'ok'}>{u.disabled ? 'disabled' : 'active'}</Badge> },
            { key: 'totp', header: 'Two-factor', sort: (u) => String(u.totp_enabled), cell: (u) => (u.totp_enabled ? 'on' : 'off') },
            {
              key: 'actions',
              header: 'Actions',
              actions: true,
              cell: (u) => (
                <>
                  <Button size="sm" onClick={() => setSelected(u.name)} aria-pressed={selected === u.name} data-testid="user-grants">
                    Grants
                  </Button>
                  <Button size="sm" onClick={() => void resetPassword(u)} data-testid="user-reset-password">
                    Reset password
                  </Button>
                  <Button
                    size="sm"
                    variant={u.disabled ? 'secondary' : 'danger'}
                    disabled={u.name === me}
                    title={u.name === me ? 'You cannot disable your own account' : undefined}
                    onClick={() => void toggleDisabled(u)}
                    data-testid="user-disable"
                  >
                    {u.disabled ? 'Enable' : 'Disable'}
                  </Button>
                </>
              ),
            },
          ]}
        />
      </Section>
      {selected && <GrantsMatrix key={selected} user={selected} />}
      <NewUserDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(name) => {
          setCreating(false);
          toast.success(`User ${name} created`);
          void load();
        }}
      />
      {confirmDialog}
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
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const knownTags = useNodeTags();
  const key = (scope: string, target: string, p: string) => `${scope}\u0000${target}\u0000${p}`;

  useEffect(() => {
    void Promise.all([api<{ nodes: Array<{ name: string }> }>('GET', '/nodes'), api<{ grants: Grant[] }>('GET', `/users/${user}/grants`)]).then(
      ([n, g]) => {
        setNodes(n.nodes.map((x) => x.name));
        setGrants(new Set(g.grants.map((x) => key(x.scope, x.target, x.permission))));
        setTagRows([...new Set(g.grants.filter((x) => x.scope === 'tag').map((x) => x.target))]);
      },
      (e: Error) => setError(e.message),
    );
  }, [user]);

  const toggle = (k: string, on: boolean) => {
    const next = new Set(grants);
    if (on) next.add(k);
    else next.delete(k);
    setGrants(next);
  };
  const rows: Array<{ scope: 'node' | 'tag'; target: string }> = [...nodes.map((n) => ({ scope: 'node' as const, target: n })), ...tagRows.map((t) => ({ scope: 'tag' as const, target: t }))];
  const addTag = () => {
    const tag = newTag.trim().toLowerCase();
    if (tag) setTagRows([...new Set([...tagRows, tag])]);
    setNewTag('');
  };

  async function save(e: Event) {
    e.preventDefault();
    setTried(true);
    if (reason.trim() === '') return;
    const list = [...grants].map((k) => {
      const [scope, target, permission] = k.split('\u0000');
      return { scope, target, permission };
    });
    setBusy(true);
    try {
      await api('PUT', `/users/${user}/grants`, { grants: list, reason: reason.trim() });
      toast.success(`Grants of ${user} saved`);
      setReason('');
      setTried(false);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section title={`Grants of ${user}`} testid="grants-section" description="A grant on a tag covers every node that carries the tag, now and later.">
      <form class="form-stack" onSubmit={save} data-testid="grants-matrix" data-user={user} noValidate>
        <DataTable
          caption={`Grants of ${user}`}
          rows={rows}
          rowKey={(r) => `${r.scope}:${r.target}`}
          empty={{ title: 'No nodes yet', text: 'Add a tag row below to grant on nodes that will carry it.' }}
          columns={[
            { key: 'target', header: 'Node or tag', primary: true, cell: (r) => (r.scope === 'tag' ? <><Badge tone="idle">tag</Badge> {r.target}</> : r.target) },
            ...PERMISSIONS.map((p) => ({
              key: p,
              header: p,
              align: 'center' as const,
              cell: (r: { scope: string; target: string }) => (
                <Checkbox aria-label={`${p} on ${r.target}`} data-testid="grant" data-target={r.target} data-permission={p} checked={grants.has(key(r.scope, r.target, p))} onChecked={(on) => toggle(key(r.scope, r.target, p), on)} />
              ),
            })),
          ]}
        />
        <FieldRow>
          <TagPicker label="Add a tag row" tags={knownTags.filter((t) => !tagRows.includes(t))} value={newTag} onValue={setNewTag} placeholder="e.g. cold-chain" testid="grant-tag" />
          <Button onClick={addTag} disabled={newTag.trim() === ''}>
            Add tag
          </Button>
        </FieldRow>
        <FieldRow>
          <TextField label="Reason" value={reason} onValue={setReason} error={tried && reason.trim() === '' ? 'required: kept in the audit log' : null} placeholder="joins the cold-chain team" data-testid="grants-reason" />
          <Button type="submit" variant="primary" busy={busy} data-testid="grants-save">
            Save grants
          </Button>
        </FieldRow>
        {error && <FormError>{error}</FormError>}
      </form>
    </Section>
  );
}
