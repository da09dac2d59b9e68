import { useState } from 'preact/hooks';
import type { ChannelSummary } from '@ma/protocol';
import { ApiError, setChannelLabel } from '../api/client';
import { formatDateTime, formatValue } from '../lib/format';

const TOKEN_KEY = 'ma.adminToken';

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/**
 * Saving needs admin rights on the node. Until user sessions exist that means an admin API token, asked for
 * when the server says so and kept for this tab only (sessionStorage).
 */
function LabelEditor({ channel, onDone }: { channel: ChannelSummary; onDone: () => void }) {
  const [label, setLabel] = useState(channel.label);
  const [token, setToken] = useState(storedToken() ?? '');
  const [needToken, setNeedToken] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const value = label.trim();
      await setChannelLabel(channel.id, value === '' || value === channel.key ? null : value, token === '' ? null : token);
      if (token !== '') sessionStorage.setItem(TOKEN_KEY, token);
      onDone();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        setNeedToken(true);
        setError(err.status === 401 ? 'Changing labels needs admin rights: enter an admin API token.' : 'This token has no admin rights on this node.');
      } else setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="label-editor" onSubmit={(e) => void save(e)} data-testid="label-editor">
      <input
        type="text"
        class="input"
        maxLength={80}
        value={label}
        aria-label={`Label of ${channel.key}`}
        onInput={(e) => setLabel(e.currentTarget.value)}
        data-testid="label-input"
        ref={(el) => el?.focus()}
      />
      {needToken && (
        <input type="password" class="input" placeholder="Admin API token" aria-label="Admin API token" value={token} onInput={(e) => setToken(e.currentTarget.value)} data-testid="admin-token" autocomplete="off" />
      )}
      <button type="submit" class="button button--primary" disabled={busy} data-testid="label-save">
        Save
      </button>
      <button type="button" class="link-button" onClick={onDone}>
        Cancel
      </button>
      {error !== null && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** A node's channels: label (editable), key, kind, current value, state. */
export function ChannelTable({ channels }: { channels: readonly ChannelSummary[] }) {
  const [editing, setEditing] = useState<number | null>(null);
  if (channels.length === 0) return <p class="muted">No channels reported yet.</p>;
  return (
    <div class="table-wrap">
      <table class="table" data-testid="channel-table">
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col">Value</th>
            <th scope="col" class="hide-narrow">
              Key
            </th>
            <th scope="col" class="hide-narrow">
              Updated
            </th>
          </tr>
        </thead>
        <tbody>
          {channels.map((c) => (
            <tr key={c.id} data-testid="channel-row" data-channel={c.id}>
              <td>
                {editing === c.id ? (
                  <LabelEditor channel={c} onDone={() => setEditing(null)} />
                ) : (
                  <span class="channel-label">
                    <span data-testid="channel-label">{c.label}</span>
                    {c.kind === 'actuator' && <span class="tag">actuator</span>}
                    <button type="button" class="link-button" onClick={() => setEditing(c.id)} data-testid="label-edit" aria-label={`Rename ${c.label}`}>
                      Rename
                    </button>
                  </span>
                )}
              </td>
              <td class={`num${c.available ? '' : ' is-bad'}`} title={c.error ?? undefined}>
                {c.available ? formatValue(c.last_value, c.unit) : (c.error ?? 'unavailable')}
              </td>
              <td class="hide-narrow mono">{c.key}</td>
              <td class="hide-narrow muted">{c.last_ts === null ? '—' : formatDateTime(c.last_ts)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
