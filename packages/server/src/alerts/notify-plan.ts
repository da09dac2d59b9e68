import { randomBytes } from 'node:crypto';
import { formatDuration, type AlertMessage } from '../notify/message.js';
import { inQuietHours } from '../notify/quiet-hours.js';
import type { AlertRow, NewNotification, NotificationEvent, SilenceRow } from '../store/alerts-store.js';
import type { ChannelRow, NodeRow } from '../store/store.js';
import { describeCondition } from './describe.js';
import type { AlertRule, Recipient } from './rule.js';

/**
 * May this user be told about this node? The users issue's grants decide; see
 * recipient-policy.ts. Recipients without a `user` are explicit targets set by an admin.
 */
export type RecipientPolicy = (user: string, node: NodeRow) => Promise<boolean>;

export interface Decision {
  recipient: Recipient;
  state: 'queued' | 'suppressed';
  reason: string | null;
}

export function newAckToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The silence covering this rule or node at `now`, if any. */
export function silenceFor(silences: readonly SilenceRow[], ruleId: number, nodeId: number, now: number): SilenceRow | undefined {
  return silences.find((s) => s.starts_at <= now && s.ends_at > now && (s.rule_id === null || s.rule_id === ruleId) && (s.node_id === null || s.node_id === nodeId));
}

/**
 * Decides, per recipient, whether a notification goes out or is only logged: silenced
 * (maintenance), quiet hours (except critical alerts), or a user no longer allowed to view the node.
 */
export async function decide(
  recipients: readonly Recipient[],
  ctx: { rule: AlertRule; node: NodeRow; silence: SilenceRow | undefined; now: number; policy: RecipientPolicy | undefined },
): Promise<Decision[]> {
  const out: Decision[] = [];
  for (const r of recipients) {
    let reason: string | null = null;
    if (ctx.silence) reason = `silenced until ${new Date(ctx.silence.ends_at).toISOString()}: ${ctx.silence.reason}`;
    else if (r.quiet_hours && ctx.rule.severity !== 'critical' && inQuietHours(r.quiet_hours, ctx.now)) reason = `quiet hours ${r.quiet_hours.from}-${r.quiet_hours.to} ${r.quiet_hours.tz}`;
    else if (r.user !== undefined) {
      const allowed = ctx.policy ? await ctx.policy(r.user, ctx.node) : false;
      if (!allowed) reason = `user ${r.user} may not view node ${ctx.node.name}`;
    }
    out.push({ recipient: r, state: reason === null ? 'queued' : 'suppressed', reason });
  }
  return out;
}

export interface MessageContext {
  rule: AlertRule;
  node: NodeRow;
  channel: ChannelRow | undefined;
  publicUrl: string;
  now: number;
}

const channelName = (c: ChannelRow): string => c.user_label ?? c.label ?? c.key;

export function renderMessage(event: NotificationEvent, alert: AlertRow, m: MessageContext): AlertMessage {
  const resolved = alert.state === 'resolved';
  const end = resolved ? (alert.resolved_at ?? m.now) : m.now;
  const unit = m.channel?.unit ?? '';
  const pad = 30 * 60_000;
  const chart_url = m.channel
    ? `${m.publicUrl}/charts?ch=${m.channel.id}&from=${alert.since - pad}&to=${end + pad}`
    : `${m.publicUrl}/nodes/${encodeURIComponent(m.node.name)}`;
  return {
    alert_id: alert.id,
    rule_id: m.rule.id,
    rule: m.rule.name,
    event,
    severity: m.rule.severity,
    state: resolved ? 'resolved' : 'firing',
    late: alert.late,
    what: `${m.channel ? `${channelName(m.channel)} ` : ''}${alert.summary}`,
    node: m.node.display_name || m.node.name,
    channel: m.channel ? channelName(m.channel) : null,
    value: alert.value,
    unit,
    since: alert.since,
    fired_at: alert.fired_at,
    resolved_at: alert.resolved_at,
    duration_ms: Math.max(0, end - alert.since),
    chart_url,
    ack_url: !resolved && alert.ack_token && alert.acked_at === null ? `${m.publicUrl}/alerts/ack/${alert.id}?t=${alert.ack_token}` : null,
  };
}

export function toNotifications(event: NotificationEvent, decisions: readonly Decision[], alert: AlertRow, m: MessageContext): NewNotification[] {
  const message = JSON.stringify(renderMessage(event, alert, m));
  return decisions.map((d) => ({ event, recipient_json: JSON.stringify(d.recipient), message_json: message, state: d.state, last_error: d.reason }));
}

export function summaryFor(rule: AlertRule, channel: ChannelRow | undefined, extra = ''): string {
  return `${describeCondition(rule.condition, channel?.unit ?? '')}${extra}`;
}

export { formatDuration };
