import { useEffect, useMemo, useState } from 'preact/hooks';
import { createRule, formatDuration, previewRule, type PreviewChannel } from './alerts-api';

interface Form {
  name: string;
  severity: 'info' | 'warning' | 'critical';
  node: string;
  channel: string;
  label: string;
  tag: string;
  type: 'threshold' | 'rate';
  op: string;
  value: string;
  forDuration: string;
  clear: string;
  recipients: string;
  repeat: string;
}

const EMPTY: Form = { name: '', severity: 'warning', node: '', channel: '', label: '', tag: '', type: 'threshold', op: 'above', value: '', forDuration: '10m', clear: '', recipients: '', repeat: '' };

/** One recipient per line: `email a@b`, `webhook https://…`, `slack|mattermost|discord https://…`, `ntfy https://…`. */
export function parseRecipients(text: string): unknown[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [kind = '', target = ''] = line.split(/\s+/, 2);
      if (kind === 'email') return { type: 'email', to: target };
      if (kind === 'webhook') return { type: 'webhook', url: target };
      if (kind === 'ntfy') return { type: 'ntfy', url: target };
      if (['slack', 'mattermost', 'discord'].includes(kind)) return { type: 'chat', url: target, flavor: kind };
      throw new Error(`recipient "${line}": start with email, webhook, slack, mattermost, discord or ntfy`);
    });
}

function toRule(f: Form): Record<string, unknown> {
  const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
  const target = { ...(f.node ? { node: f.node } : {}), ...(f.channel ? { channel: f.channel } : {}), ...(f.label ? { label: f.label } : {}), ...(f.tag ? { tag: f.tag } : {}) };
  const condition =
    f.type === 'threshold'
      ? { type: 'threshold', op: f.op, value: num(f.value), for: f.forDuration || 0, ...(num(f.clear) !== undefined ? { clear: num(f.clear) } : {}) }
      : { type: 'rate', op: f.op, delta: num(f.value), window: f.forDuration };
  return { name: f.name || 'untitled rule', severity: f.severity, target, condition, recipients: parseRecipients(f.recipients), ...(f.repeat ? { repeat_every: f.repeat } : {}) };
}

/** When the rule would have fired over the last 7 days, as one bar per channel. */
function PreviewBars({ channels }: { channels: PreviewChannel[] }) {
  const to = Date.now();
  const from = to - 7 * 86_400_000;
  const pct = (t: number) => `${(((t - from) / (to - from)) * 100).toFixed(2)}%`;
  return (
    <div data-testid="rule-preview">
      {channels.map((c) => (
        <div key={c.channel} class="alert-preview-row">
          <div>
            {c.node} / {c.key}: <strong data-testid="preview-count">{c.episodes.length}</strong> alert{c.episodes.length === 1 ? '' : 's'} in 7 days ({c.readings} readings)
          </div>
          <div class="alert-preview-track">
            {c.episodes.map((e) => (
              <span
                key={e.since}
                class="alert-preview-episode"
                title={`${new Date(e.since).toLocaleString()}: ${e.resolved_at === null ? 'still firing' : `for ${formatDuration(e.resolved_at - e.since)}`}, peak ${e.peak}`}
                style={{ left: pct(Math.max(from, e.since)), width: `max(2px, calc(${pct(e.resolved_at ?? to)} - ${pct(Math.max(from, e.since))}))` }}
              />
            ))}
          </div>
        </div>
      ))}
      {channels.length === 0 && <p>The target matches no channel you may view.</p>}
    </div>
  );
}

/** The rule editor: a form with a live preview over the last 7 days of stored readings. */
export function RuleEditor({ onSaved }: { onSaved: () => void }) {
  const [form, setForm] = useState<Form>(EMPTY);
  const [preview, setPreview] = useState<PreviewChannel[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const rule = useMemo(() => {
    try {
      return { ok: true as const, rule: toRule(form) };
    } catch (e) {
      return { ok: false as const, error: (e as Error).message };
    }
  }, [form]);

  useEffect(() => {
    if (!rule.ok) return setProblem(rule.error);
    if (form.value.trim() === '' || (!form.channel && !form.label && !form.tag)) return setPreview(null);
    const ctl = new AbortController();
    // Waits for typing to pause; each change cancels the previous preview.
    const timer = setTimeout(() => {
      previewRule(rule.rule, ctl.signal).then(
        (p) => { setPreview(p); setProblem(null); },
        (e: Error) => { if (e.name !== 'AbortError') setProblem(e.message); },
      );
    }, 300);
    return () => { clearTimeout(timer); ctl.abort(); };
  }, [rule]);

  const field = (k: keyof Form, label: string, attrs: Record<string, unknown> = {}) => (
    <label>{label}<input data-testid={`rule-${k}`} value={form[k]} onInput={(e) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value })} {...attrs} /></label>
  );
  return (
    <form class="auth-card" data-testid="rule-editor" onSubmit={(e) => {
      e.preventDefault();
      if (!rule.ok) return;
      createRule(rule.rule).then((r) => { setSaved(`Rule ${r.id} saved`); setForm(EMPTY); setPreview(null); onSaved(); }, (err: Error) => setProblem(err.message));
    }}>
      <h2>New rule</h2>
      <div class="auth-row">
        {field('name', 'Name', { required: true })}
        <label>Severity<select value={form.severity} onChange={(e) => setForm({ ...form, severity: (e.target as HTMLSelectElement).value as Form['severity'] })}><option>info</option><option>warning</option><option>critical</option></select></label>
      </div>
      <div class="auth-row">
        {field('node', 'Node')}{field('channel', 'Channel key')}{field('label', 'or label (e.g. freezer)')}{field('tag', 'or node tag')}
      </div>
      <div class="auth-row">
        <label>Condition<select data-testid="rule-type" value={form.type} onChange={(e) => { const type = (e.target as HTMLSelectElement).value as Form['type']; setForm({ ...form, type, op: type === 'threshold' ? 'above' : 'rise' }); }}><option value="threshold">threshold</option><option value="rate">rate of change</option></select></label>
        <label>Direction<select data-testid="rule-op" value={form.op} onChange={(e) => setForm({ ...form, op: (e.target as HTMLSelectElement).value })}>{(form.type === 'threshold' ? ['above', 'below'] : ['rise', 'fall']).map((o) => <option key={o}>{o}</option>)}</select></label>
        {field('value', form.type === 'threshold' ? 'Value' : 'By at least', { inputMode: 'decimal' })}
        {field('forDuration', form.type === 'threshold' ? 'For' : 'Within')}
        {form.type === 'threshold' && field('clear', 'Clears past (hysteresis)', { inputMode: 'decimal' })}
      </div>
      <label>Recipients, one per line: <code>email a@lab.org</code>, <code>webhook https://…</code>, <code>slack https://…</code>, <code>ntfy https://…</code>
        <textarea data-testid="rule-recipients" rows={3} value={form.recipients} onInput={(e) => setForm({ ...form, recipients: (e.target as HTMLTextAreaElement).value })} />
      </label>
      {field('repeat', 'Repeat every (while firing, not acknowledged)')}
      {problem && <p class="form-error" role="alert">{problem}</p>}
      {preview && <PreviewBars channels={preview} />}
      <div class="auth-row"><button type="submit" data-testid="rule-save">Save rule</button>{saved && <span role="status">{saved}</span>}</div>
    </form>
  );
}
