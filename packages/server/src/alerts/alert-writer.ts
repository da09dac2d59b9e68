import type { Logger } from 'pino';
import type { Dispatcher } from '../notify/dispatcher.js';
import type { AlertRow, AlertsStore, NotificationEvent, SilenceRow } from '../store/alerts-store.js';
import type { ChannelRow, NodeRow } from '../store/store.js';
import { decide, newAckToken, silenceFor, summaryFor, toNotifications, type MessageContext, type RecipientPolicy } from './notify-plan.js';
import type { Recipient } from './rule.js';
import { subjectOf, type Subject } from './subject.js';

export interface AlertWriterDeps {
  alerts: AlertsStore;
  dispatcher: Dispatcher;
  log: Logger;
  publicUrl: () => string;
  policy: RecipientPolicy | undefined;
  node(id: number): Promise<NodeRow | undefined>;
  channel(id: number): Promise<ChannelRow | undefined>;
  /** The silences in force or to come. */
  silences(): readonly SilenceRow[];
}

/**
 * Carries out what the engine decided: each state change of an alert is written with the
 * notifications it causes (who is told, who is held back and why) in one transaction, and the
 * dispatcher is woken. The engine decides *when*; this decides *what is written and sent*.
 */
export class AlertWriter {
  constructor(private readonly deps: AlertWriterDeps) {}

  /** Names and links for messages; undefined when the node is gone. */
  async context(s: Subject, now: number): Promise<MessageContext | undefined> {
    const node = await this.deps.node(s.nodeId);
    if (!node) return undefined;
    const channel = s.channelId === null ? undefined : await this.deps.channel(s.channelId);
    return { rule: s.rule, node, channel, publicUrl: this.deps.publicUrl(), now };
  }

  /** The condition began: recorded (no message), so a restart resumes its duration. */
  async pending(s: Subject, since: number, value: number | null, now: number): Promise<void> {
    if (s.alert) return;
    const ctx = await this.context(s, now);
    if (!ctx) return;
    s.alert = await this.deps.alerts.insertAlert({
      rule_id: s.rule.id, subject: subjectOf(s.channelId, s.nodeId), node_id: s.nodeId, channel_id: s.channelId, state: 'pending', severity: s.rule.severity,
      since, fired_at: null, resolved_at: null, detected_at: null, late: false, value, peak: value, summary: summaryFor(s.rule, ctx.channel),
      ack_token: null, notified_at: null, created_at: now,
    });
  }

  /** Fired: persisted with its first messages in one transaction (see AlertsStore). */
  async fire(s: Subject, t: { since: number; at: number; value: number | null; peak: number | null }, now: number, late: boolean, detail = ''): Promise<void> {
    if (s.alert?.state === 'firing') return;
    const ctx = await this.context(s, now);
    if (!ctx) return;
    const decisions = await decide(s.rule.recipients, { rule: s.rule, node: ctx.node, silence: silenceFor(this.deps.silences(), s.rule.id, s.nodeId, now), now, policy: this.deps.policy });
    const notified = decisions.some((d) => d.state === 'queued') ? now : null;
    const patch = { state: 'firing' as const, since: t.since, fired_at: t.at, detected_at: now, late, value: t.value, peak: t.peak, ack_token: newAckToken(), notified_at: notified };
    if (s.alert) {
      const updated: AlertRow = { ...s.alert, ...patch };
      await this.deps.alerts.updateAlert(s.alert.id, patch, toNotifications('firing', decisions, updated, ctx), now);
      s.alert = updated;
    } else {
      s.alert = await this.deps.alerts.insertAlert(
        { rule_id: s.rule.id, subject: subjectOf(s.channelId, s.nodeId), node_id: s.nodeId, channel_id: s.channelId, severity: s.rule.severity, resolved_at: null, summary: summaryFor(s.rule, ctx.channel, detail), created_at: now, ...patch },
        (row) => toNotifications('firing', decisions, row, ctx),
      );
    }
    this.deps.log.warn({ alert: s.alert.id, rule: s.rule.name, node: ctx.node.name, channel: ctx.channel?.key, since: t.since, late }, late ? 'alert firing (late-detected)' : 'alert firing');
    this.deps.dispatcher.kick();
  }

  /** Who was told an alert fired, and so is told it resolved: the first group, and the second if escalated. */
  toldRecipients(s: Subject, a: AlertRow): Recipient[] {
    return [...s.rule.recipients, ...(a.escalated_at !== null && s.rule.escalation ? s.rule.escalation.recipients : [])];
  }

  async resolve(s: Subject, at: number, value: number | null, peak: number | null, now: number): Promise<void> {
    const a = s.alert;
    if (!a) return;
    const ctx = await this.context(s, now);
    const patch = { state: 'resolved' as const, resolved_at: at, value, peak: peak ?? a.peak, ack_token: null };
    const updated: AlertRow = { ...a, ...patch };
    let notes: ReturnType<typeof toNotifications> = [];
    // Nobody was told it fired (silenced, quiet hours), so nobody needs telling it is over.
    if (ctx && a.notified_at !== null) {
      const decisions = await decide(this.toldRecipients(s, a), { rule: s.rule, node: ctx.node, silence: silenceFor(this.deps.silences(), s.rule.id, s.nodeId, now), now, policy: this.deps.policy });
      notes = toNotifications('resolved', decisions, updated, ctx);
    }
    await this.deps.alerts.updateAlert(a.id, patch, notes, now);
    s.alert = null;
    this.deps.log.info({ alert: a.id, rule: s.rule.name, lasted_ms: at - a.since }, 'alert resolved');
    if (notes.length) this.deps.dispatcher.kick();
  }

  /** A whole episode found in a late backlog: raised and resolved at once, both messages sent. */
  async insertPast(s: Subject, ep: { since: number; fired_at: number; resolved_at: number; peak: number }, value: number | null, now: number): Promise<void> {
    const ctx = await this.context(s, now);
    if (!ctx) return;
    const silence = silenceFor(this.deps.silences(), s.rule.id, s.nodeId, now);
    const decisions = await decide(s.rule.recipients, { rule: s.rule, node: ctx.node, silence, now, policy: this.deps.policy });
    const row = await this.deps.alerts.insertAlert(
      {
        rule_id: s.rule.id, subject: subjectOf(s.channelId, s.nodeId), node_id: s.nodeId, channel_id: s.channelId, state: 'resolved', severity: s.rule.severity,
        since: ep.since, fired_at: ep.fired_at, resolved_at: ep.resolved_at, detected_at: now, late: true, value, peak: ep.peak, summary: summaryFor(s.rule, ctx.channel),
        ack_token: null, notified_at: decisions.some((d) => d.state === 'queued') ? now : null, created_at: now,
      },
      (r) => [...toNotifications('firing', decisions, { ...r, state: 'firing', resolved_at: null }, ctx), ...toNotifications('resolved', decisions, r, ctx)],
    );
    this.deps.log.warn({ alert: row.id, rule: s.rule.name, since: ep.since, resolved_at: ep.resolved_at }, 'past alert found in a late backlog');
    this.deps.dispatcher.kick();
  }

  /** A repeat, an escalation, or a firing message held back until now. */
  async notify(s: Subject, a: AlertRow, event: NotificationEvent, recipients: readonly Recipient[], now: number, patch: Partial<AlertRow>): Promise<void> {
    const ctx = await this.context(s, now);
    if (!ctx) return;
    const decisions = await decide(recipients, { rule: s.rule, node: ctx.node, silence: undefined, now, policy: this.deps.policy });
    const updated: AlertRow = { ...a, ...patch };
    // Quiet hours hold back a first message too: it goes out when they end.
    if (event === 'firing' && !decisions.some((d) => d.state === 'queued')) return;
    await this.deps.alerts.updateAlert(a.id, patch, toNotifications(event, decisions, updated, ctx), now);
    s.alert = updated;
    this.deps.log.info({ alert: a.id, event }, 'alert notification queued');
    this.deps.dispatcher.kick();
  }

}
