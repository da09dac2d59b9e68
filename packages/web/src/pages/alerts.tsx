import { useEffect, useState } from 'preact/hooks';
import '../auth/auth.css';
import './alerts.css';
import { ackAlert, deleteRule, formatDuration, listAlerts, listRules, type AlertView, type RuleView } from './alerts-api';
import { RuleEditor } from './alerts-rule-editor';
import { Silences } from './alerts-silences';

const when = (t: number | null) => (t === null ? '-' : new Date(t).toLocaleString());

function chartLink(a: AlertView): string {
  if (a.channel_id === null) return `/nodes/${encodeURIComponent(a.node)}`;
  const pad = 30 * 60_000;
  return `/charts?ch=${a.channel_id}&from=${a.since - pad}&to=${(a.resolved_at ?? Date.now()) + pad}`;
}

function AlertRow({ a, onAck }: { a: AlertView; onAck?: (a: AlertView, note: string) => void }) {
  const [note, setNote] = useState('');
  return (
    <tr data-testid="alert-row" data-state={a.state}>
      <td class={`alert-sev-${a.severity}`}>{a.severity}</td>
      <td>{a.state}{a.late && <> <span class="alert-late" title="detected after the fact, from a late backlog">late</span></>}</td>
      <td>{a.node}</td>
      <td><a href={chartLink(a)}>{a.summary}</a></td>
      <td>{when(a.since)}</td>
      <td data-testid="alert-duration">{formatDuration(a.duration_ms)}</td>
      <td>{a.value ?? '-'}</td>
      <td>
        {a.acked_at !== null ? (
          <span title={a.ack_note ?? ''}>acknowledged by {a.acked_by}{a.ack_note ? `: ${a.ack_note}` : ''}</span>
        ) : onAck && a.state !== 'resolved' ? (
          <form class="auth-row" onSubmit={(e) => { e.preventDefault(); onAck(a, note); }}>
            <input aria-label="note" placeholder="note" value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
            <button type="submit" data-testid="alert-ack">Acknowledge</button>
          </form>
        ) : null}
      </td>
    </tr>
  );
}

function AlertTable({ alerts, onAck, testid }: { alerts: AlertView[]; onAck?: (a: AlertView, note: string) => void; testid: string }) {
  return (
    <table class="auth-table" data-testid={testid}>
      <thead><tr><th>Severity</th><th>State</th><th>Node</th><th>What</th><th>Since</th><th>For</th><th>Value</th><th /></tr></thead>
      <tbody>{alerts.map((a) => <AlertRow key={a.id} a={a} {...(onAck ? { onAck } : {})} />)}</tbody>
    </table>
  );
}

/** Alerts: what is firing or pending now, the last week's history, and the rules (with an editor). */
export function AlertsPage() {
  const [open, setOpen] = useState<AlertView[]>([]);
  const [history, setHistory] = useState<AlertView[]>([]);
  const [rules, setRules] = useState<RuleView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    Promise.all([listAlerts('state=firing,pending'), listAlerts(`state=resolved&from=${Date.now() - 7 * 86_400_000}&limit=200`), listRules()]).then(
      ([o, h, r]) => { setOpen(o); setHistory(h); setRules(r); setError(null); },
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, []);
  const onAck = (a: AlertView, note: string) => void ackAlert(a.id, note).then(load, (e: Error) => setError(e.message));
  return (
    <div data-testid="alerts-page">
      <h1>Alerts</h1>
      {error && <p class="form-error" role="alert">{error}</p>}
      <h2>Firing and pending ({open.length})</h2>
      {open.length ? <AlertTable alerts={open} onAck={onAck} testid="alerts-open" /> : <p data-testid="alerts-none">Nothing is firing.</p>}
      <h2>Last 7 days</h2>
      <AlertTable alerts={history} testid="alerts-history" />
      <h2>Rules</h2>
      <table class="auth-table" data-testid="alert-rules">
        <thead><tr><th>Id</th><th>Name</th><th>Severity</th><th>Target</th><th>Condition</th><th /></tr></thead>
        <tbody>
          {rules.map((r) => (
            <tr key={r.id}>
              <td>{r.id}</td><td>{r.name}</td><td>{r.severity}</td>
              <td>{[r.target.tag && `tag ${r.target.tag}`, r.target.node, r.target.channel, r.target.label && `label ${r.target.label}`].filter(Boolean).join(' / ')}</td>
              <td>{r.condition.type}</td>
              <td><button type="button" onClick={() => { if (confirm(`Delete rule ${r.name} and its alerts?`)) void deleteRule(r.id).then(load, (e: Error) => setError(e.message)); }}>Delete</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <RuleEditor onSaved={() => void load()} />
      <Silences rules={rules} />
    </div>
  );
}
