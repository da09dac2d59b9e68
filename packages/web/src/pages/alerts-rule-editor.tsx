import { useEffect, useMemo, useState } from 'preact/hooks';
import { Button } from '../components/ui/button';
import { FieldRow, FormError, SelectField, TextAreaField, TextField } from '../components/ui/field';
import { Section } from '../components/ui/page-header';
import { ChannelKeyPicker, LabelPicker, NodePicker, TagPicker } from '../components/ui/pickers';
import { formatDateTime, formatDuration, plural } from '../lib/format';
import { createRule, previewRule, type PreviewChannel } from './alerts-api';

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
    <div data-testid="rule-preview" class="rule-preview" aria-live="polite">
      <p class="rule-preview__title">Over the last 7 days this rule would have fired:</p>
      {channels.map((c) => (
        <div key={c.channel} class="alert-preview-row">
          <div>
            {c.node} / {c.key}: <strong data-testid="preview-count">{c.episodes.length}</strong> {c.episodes.length === 1 ? 'alert' : 'alerts'}{' '}
            <span class="muted">({plural(c.readings, 'reading')})</span>
          </div>
          <div class="alert-preview-track" role="img" aria-label={`${plural(c.episodes.length, 'alert')} on ${c.node} / ${c.key} in 7 days`}>
            {c.episodes.map((e) => (
              <span
                key={e.since}
                class="alert-preview-episode"
                title={`${formatDateTime(e.since)}: ${e.resolved_at === null ? 'still firing' : `for ${formatDuration(e.resolved_at - e.since)}`}, peak ${e.peak}`}
                style={{ left: pct(Math.max(from, e.since)), width: `max(2px, calc(${pct(e.resolved_at ?? to)} - ${pct(Math.max(from, e.since))}))` }}
              />
            ))}
          </div>
        </div>
      ))}
      {channels.length === 0 && <p class="muted">The target matches no channel you may view.</p>}
    </div>
  );
}

const SEVERITIES = [
  { value: 'info', label: 'Info' },
  { value: 'warning', label: 'Warning' },
  { value: 'critical', label: 'Critical' },
] as const;

/** The rule editor: a form with a live preview over the last 7 days of stored readings. */
export function RuleEditor({ onSaved, tags = [] }: { onSaved: (name: string) => void; tags?: readonly string[] }) {
  const [form, setForm] = useState<Form>(EMPTY);
  const [preview, setPreview] = useState<PreviewChannel[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [tried, setTried] = useState(false);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));
  const recipientsError = useMemo(() => {
    try {
      parseRecipients(form.recipients);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }, [form.recipients]);
  const valueError = form.value.trim() !== '' && !Number.isFinite(Number(form.value)) ? 'a number, e.g. 8 or -12.5' : tried && form.value.trim() === '' ? 'required' : null;
  const clearError = form.clear.trim() !== '' && !Number.isFinite(Number(form.clear)) ? 'a number, or empty' : null;
  const targetError = tried && !form.channel && !form.label && !form.tag ? 'pick a channel, a label or a tag' : null;
  const rule = useMemo(() => {
    try {
      return { ok: true as const, rule: toRule(form) };
    } catch (e) {
      return { ok: false as const, error: (e as Error).message };
    }
  }, [form]);

  useEffect(() => {
    if (!rule.ok || valueError || clearError) return;
    if (form.value.trim() === '' || (!form.channel && !form.label && !form.tag)) return setPreview(null);
    const ctl = new AbortController();
    // Waits for typing to pause; each change cancels the previous preview.
    const timer = setTimeout(() => {
      previewRule(rule.rule, ctl.signal).then(
        (p) => {
          setPreview(p);
          setProblem(null);
        },
        (e: Error) => {
          if (e.name !== 'AbortError') setProblem(e.message);
        },
      );
    }, 300);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [rule]);

  const submit = (e: Event) => {
    e.preventDefault();
    setTried(true);
    if (!rule.ok || valueError || clearError || recipientsError || form.value.trim() === '' || (!form.channel && !form.label && !form.tag)) return;
    setBusy(true);
    createRule(rule.rule).then(
      (r) => {
        setBusy(false);
        setForm(EMPTY);
        setPreview(null);
        setTried(false);
        setProblem(null);
        onSaved(String((r as { name?: string }).name ?? form.name));
      },
      (err: Error) => {
        setBusy(false);
        setProblem(err.message);
      },
    );
  };
  const threshold = form.type === 'threshold';
  return (
    <Section title="New rule" testid="rule-editor-section">
      <form class="form-stack" data-testid="rule-editor" id="new-rule" onSubmit={submit} noValidate>
        <FieldRow>
          <TextField label="Name" value={form.name} onValue={(v) => set('name', v)} placeholder="Vaccine fridge too warm" data-testid="rule-name" maxLength={120} />
          <SelectField label="Severity" width="narrow" value={form.severity} options={SEVERITIES} onValue={(v) => set('severity', v)} data-testid="rule-severity" />
        </FieldRow>
        <fieldset class="fieldset">
          <legend>Applies to</legend>
          <FieldRow>
            <NodePicker label="Node" value={form.node} onValue={(v) => set('node', v)} emptyLabel="Any node" testid="rule-node" />
            <ChannelKeyPicker label="Channel" node={form.node} value={form.channel} onValue={(v) => set('channel', v)} emptyLabel="Any channel" testid="rule-channel" error={targetError} />
            <LabelPicker label="or label" value={form.label} onValue={(v) => set('label', v)} placeholder="e.g. freezer" hint="every channel with this label" testid="rule-label" />
            <TagPicker label="or node tag" tags={tags} value={form.tag} onValue={(v) => set('tag', v)} placeholder="e.g. cold-chain" hint="every node with this tag" testid="rule-tag" />
          </FieldRow>
        </fieldset>
        <fieldset class="fieldset">
          <legend>Condition</legend>
          <FieldRow>
            <SelectField
              label="Type"
              width="auto"
              value={form.type}
              options={[
                { value: 'threshold', label: 'Threshold' },
                { value: 'rate', label: 'Rate of change' },
              ]}
              onValue={(type) => setForm((f) => ({ ...f, type, op: type === 'threshold' ? 'above' : 'rise' }))}
              data-testid="rule-type"
            />
            <SelectField
              label="Direction"
              width="auto"
              value={form.op}
              options={threshold ? [{ value: 'above', label: 'above' }, { value: 'below', label: 'below' }] : [{ value: 'rise', label: 'rises' }, { value: 'fall', label: 'falls' }]}
              onValue={(v) => set('op', v)}
              data-testid="rule-op"
            />
            <TextField label={threshold ? 'Value' : 'By at least'} width="narrow" inputMode="decimal" value={form.value} onValue={(v) => set('value', v)} error={valueError} hint="in the channel’s unit" data-testid="rule-value" />
            <TextField label={threshold ? 'For' : 'Within'} width="narrow" value={form.forDuration} onValue={(v) => set('forDuration', v)} hint="e.g. 10m, 1h" data-testid="rule-forDuration" />
            {threshold && <TextField label="Clears past" width="narrow" inputMode="decimal" value={form.clear} onValue={(v) => set('clear', v)} error={clearError} hint="hysteresis; optional" data-testid="rule-clear" />}
          </FieldRow>
        </fieldset>
        <TextAreaField
          label="Recipients"
          rows={3}
          value={form.recipients}
          onValue={(v) => set('recipients', v)}
          error={recipientsError}
          placeholder={'email oncall@lab.org\nwebhook https://hooks.example/ma'}
          hint={
            <>
              One per line, starting with <code>email</code>, <code>webhook</code>, <code>slack</code>, <code>mattermost</code>, <code>discord</code> or <code>ntfy</code>, then the address or URL.
            </>
          }
          data-testid="rule-recipients"
        />
        <FieldRow>
          <TextField label="Remind every" width="narrow" value={form.repeat} onValue={(v) => set('repeat', v)} placeholder="30m" hint="until acknowledged" data-testid="rule-repeat" />
        </FieldRow>
        {problem && <FormError>{problem}</FormError>}
        {preview && <PreviewBars channels={preview} />}
        <div class="form-actions">
          <Button type="submit" variant="primary" busy={busy} data-testid="rule-save">
            Save rule
          </Button>
        </div>
      </form>
    </Section>
  );
}
