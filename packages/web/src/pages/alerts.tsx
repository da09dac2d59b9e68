import type { ChannelSummary } from '@ma/protocol';
import { useEffect, useMemo, useState } from 'preact/hooks';
import './alerts.css';
import { Button } from '../components/ui/button';
import { DataTable, type Column } from '../components/ui/data-table';
import { useConfirm } from '../components/ui/dialog';
import { Badge, PageHeader, Section, type BadgeTone } from '../components/ui/page-header';
import { useToast } from '../components/ui/toast';
import { formatDateTime, formatDuration, formatValue, plural } from '../lib/format';
import { Link } from '../lib/router';
import { refreshFiringAlerts } from '../state/firing-alerts';
import { useNodeTags } from '../state/node-tags';
import { useDashboard } from '../state/services';
import { ackAlert, deleteRule, listAlerts, listRules, type AlertView, type RuleView } from './alerts-api';
import { RuleEditor } from './alerts-rule-editor';
import { Silences } from './alerts-silences';

const SEVERITY_TONE: Record<AlertView['severity'], BadgeTone> = { critical: 'danger', warning: 'warn', info: 'accent' };
const STATE_TONE: Record<AlertView['state'], BadgeTone> = { firing: 'danger', pending: 'warn', resolved: 'ok' };

function chartLink(a: AlertView): string {
  if (a.channel_id === null) return `/nodes/${encodeURIComponent(a.node)}`;
  const pad = 30 * 60_000;
  return `/charts?ch=${a.channel_id}&from=${a.since - pad}&to=${(a.resolved_at ?? Date.now()) + pad}`;
}

/** The columns shared by the open and the history table; `ack` adds the acknowledge action. */
function alertColumns(units: ReadonlyMap<number, string>, ack?: (a: AlertView) => void): Column<AlertView>[] {
  const unit = (a: AlertView) => (a.channel_id === null ? '' : units.get(a.channel_id) ?? '');
  const cols: Column<AlertView>[] = [
    { key: 'what', header: 'What', primary: true, sort: (a) => a.summary, cell: (a) => <Link href={chartLink(a)}>{a.summary}</Link> },
    { key: 'severity', header: 'Severity', sort: (a) => ['critical', 'warning', 'info'].indexOf(a.severity), cell: (a) => <Badge tone={SEVERITY_TONE[a.severity]}>{a.severity}</Badge> },
    {
      key: 'state',
      header: 'State',
      sort: (a) => a.state,
      cell: (a) => (
        <>
          <Badge tone={STATE_TONE[a.state]}>{a.state}</Badge>
          {a.late && (
            <span class="alert-late" title="detected after the fact, from a late backlog">
              late
            </span>
          )}
        </>
      ),
    },
    { key: 'node', header: 'Node', sort: (a) => a.node, cell: (a) => <Link href={`/nodes/${encodeURIComponent(a.node)}`}>{a.node}</Link> },
    { key: 'since', header: 'Since', sort: (a) => a.since, cell: (a) => <time dateTime={new Date(a.since).toISOString()}>{formatDateTime(a.since)}</time> },
    { key: 'for', header: 'For', numeric: true, sort: (a) => a.duration_ms, cell: (a) => <span data-testid="alert-duration">{formatDuration(a.duration_ms)}</span> },
    { key: 'value', header: 'Value', numeric: true, sort: (a) => a.value ?? -Infinity, cell: (a) => <span data-testid="alert-value">{formatValue(a.value, unit(a))}</span> },
  ];
  if (ack) {
    cols.push({
      key: 'ack',
      header: 'Acknowledged',
      cell: (a) =>
        a.acked_at !== null ? (
          <span class="alert-acked" title={a.acked_at === null ? undefined : formatDateTime(a.acked_at)}>
            acknowledged by {a.acked_by}
            {a.ack_note ? `: ${a.ack_note}` : ''}
          </span>
        ) : a.state !== 'resolved' ? (
          <Button size="sm" onClick={() => ack(a)} data-testid="alert-ack">
            Acknowledge
          </Button>
        ) : (
          '—'
        ),
    });
  }
  return cols;
}

function describeTarget(r: RuleView): string {
  return [r.target.tag && `nodes tagged ${r.target.tag}`, r.target.node, r.target.channel, r.target.label && `label “${r.target.label}”`].filter(Boolean).join(' / ') || 'every channel';
}

/** The unit of what a rule watches, when its channels share one (rule values are in the channel's unit). */
function ruleUnit(r: RuleView, channels: readonly ChannelSummary[]): string {
  const units = new Set(
    channels
      .filter((c) => (!r.target.node || c.node === r.target.node) && (!r.target.channel || c.key === r.target.channel) && (!r.target.label || c.label === r.target.label))
      .map((c) => c.unit),
  );
  return units.size === 1 ? ([...units][0] ?? '') : '';
}

function describeCondition(r: RuleView, unit: string): string {
  const c = r.condition as Record<string, unknown>;
  const withUnit = (v: unknown) => (unit ? `${String(v)} ${unit}` : String(v));
  if (c.type === 'threshold') return `${String(c.op)} ${withUnit(c.value)}${c.for ? ` for ${String(c.for)}` : ''}`;
  if (c.type === 'rate') return `${c.op === 'rise' ? 'rises' : 'falls'} by ${withUnit(c.delta)} within ${String(c.window)}`;
  return String(c.type).replace(/_/g, ' ');
}

/** Alerts: what is firing or pending now, the last week's history, the rules (with an editor), silences. */
export function AlertsPage() {
  const { channels } = useDashboard();
  const units = useMemo(() => new Map(channels.map((c: ChannelSummary) => [c.id, c.unit])), [channels]);
  const [open, setOpen] = useState<AlertView[] | null>(null);
  const [history, setHistory] = useState<AlertView[] | null>(null);
  const [rules, setRules] = useState<RuleView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const tags = useNodeTags();
  const [confirm, confirmDialog] = useConfirm();
  const load = () =>
    Promise.all([listAlerts('state=firing,pending'), listAlerts(`state=resolved&from=${Date.now() - 7 * 86_400_000}&limit=200`), listRules()]).then(
      ([o, h, r]) => {
        setOpen(o);
        setHistory(h);
        setRules(r);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, []);

  const onAck = async (a: AlertView) => {
    const answer = await confirm({
      title: 'Acknowledge the alert',
      message: (
        <p>
          <strong>{a.summary}</strong> on {a.node}. Notifications stop repeating; the alert stays open until it clears.
        </p>
      ),
      confirmLabel: 'Acknowledge',
      reason: { label: 'Note (optional)', hint: 'What you are doing about it; shown to everyone and kept in the audit log' },
      reasonOptional: true,
    });
    if (answer === null) return;
    try {
      await ackAlert(a.id, answer.reason);
      toast.success('Alert acknowledged');
      await Promise.all([load(), refreshFiringAlerts()]);
    } catch (e) {
      toast.error((e as Error).message);
    }
  };
  const onDelete = async (r: RuleView) => {
    const answer = await confirm({ title: `Delete rule “${r.name}”?`, message: <p>The rule and the history of its alerts are deleted. This cannot be undone.</p>, confirmLabel: 'Delete rule', danger: true });
    if (answer === null) return;
    deleteRule(r.id).then(
      () => {
        toast.success(`Rule “${r.name}” deleted`);
        void load();
      },
      (e: Error) => toast.error(e.message),
    );
  };

  const firing = open?.filter((a) => a.state === 'firing').length ?? 0;
  const pending = open?.filter((a) => a.state === 'pending').length ?? 0;
  const ruleColumns: Column<RuleView>[] = [
    { key: 'name', header: 'Name', primary: true, sort: (r) => r.name, cell: (r) => r.name },
    { key: 'severity', header: 'Severity', sort: (r) => r.severity, cell: (r) => <Badge tone={SEVERITY_TONE[r.severity as AlertView['severity']] ?? 'idle'}>{r.severity}</Badge> },
    { key: 'target', header: 'Target', cell: describeTarget },
    { key: 'condition', header: 'Condition', cell: (r) => describeCondition(r, ruleUnit(r, channels)) },
    { key: 'enabled', header: 'State', cell: (r) => <Badge tone={r.enabled ? 'ok' : 'idle'}>{r.enabled ? 'enabled' : 'disabled'}</Badge> },
    {
      key: 'actions',
      header: 'Actions',
      actions: true,
      cell: (r) => (
        <Button size="sm" variant="ghost" onClick={() => void onDelete(r)} aria-label={`Delete rule ${r.name}`} data-testid="rule-delete">
          Delete
        </Button>
      ),
    },
  ];

  return (
    <div data-testid="alerts-page">
      <PageHeader
        title="Alerts"
        summary={open === null ? 'Loading…' : `${firing} firing · ${pending} pending · ${plural(rules?.length ?? 0, 'rule')}`}
        actions={
          <a class="button button--primary" href="#new-rule">
            New rule
          </a>
        }
      />
      {error && (
        <p class="form-message form-message--error" role="alert">
          Could not load the alerts: {error}
        </p>
      )}
      <Section title="Firing and pending">
        <DataTable
          testid="alerts-open"
          caption="Alerts firing or pending now"
          rows={open ?? []}
          loading={open === null}
          rowKey={(a) => a.id}
          columns={alertColumns(units, (a) => void onAck(a))}
          initialSort={{ key: 'severity', dir: 'asc' }}
          rowAttrs={(a) => ({ 'data-testid': 'alert-row', 'data-state': a.state })}
          empty={{ title: 'Nothing is firing', text: 'Alerts appear here as soon as a rule’s condition holds.' }}
        />
      </Section>
      <Section title="Last 7 days">
        <DataTable
          testid="alerts-history"
          caption="Alerts resolved in the last 7 days"
          rows={history ?? []}
          loading={history === null}
          rowKey={(a) => a.id}
          columns={alertColumns(units)}
          initialSort={{ key: 'since', dir: 'desc' }}
          rowAttrs={(a) => ({ 'data-testid': 'alert-row', 'data-state': a.state })}
          empty={{ title: 'No alert in the last 7 days', text: 'Resolved alerts stay here for a week.' }}
        />
      </Section>
      <Section title="Rules" testid="alert-rules">
        <DataTable
          caption="Alert rules"
          rows={rules ?? []}
          loading={rules === null}
          rowKey={(r) => r.id}
          columns={ruleColumns}
          initialSort={{ key: 'name', dir: 'asc' }}
          rowAttrs={(r) => ({ 'data-testid': 'rule-row', 'data-rule': r.name })}
          empty={{ title: 'No rules yet', text: 'Create one below: a threshold on a channel, a rate of change, or a label or tag for many channels at once.' }}
        />
      </Section>
      <RuleEditor
        tags={[...new Set([...tags, ...(rules ?? []).flatMap((r) => (r.target.tag ? [r.target.tag] : []))])]}
        onSaved={(name) => {
          toast.success(`Rule “${name}” saved`);
          void load();
        }}
      />
      <Silences rules={rules ?? []} />
      {confirmDialog}
    </div>
  );
}
