import type { NodeEvent, Status } from '@ma/protocol';
import type { Logger } from 'pino';
import type { Dispatcher } from '../notify/dispatcher.js';
import type { AlertsStore, SilenceRow } from '../store/alerts-store.js';
import type { ChannelRow, NodeRow, ReadingInput, Store } from '../store/store.js';
import { initialState, step, type ReadingCondition, type Transition } from './evaluators.js';
import { silenceFor, type RecipientPolicy } from './notify-plan.js';
import { parseRuleSpec, type AlertRule, type FaultKind } from './rule.js';
import { RuleIndex, ruleMatchesChannel, ruleWatchesNode } from './rule-index.js';
import { replayBackfill } from './backfill.js';
import { AlertWriter } from './alert-writer.js';
import { subjectOf, type Subject } from './subject.js';

export interface EngineOptions {
  /** How often the timer looks for silent channels and nodes, repeats and escalations. */
  evaluateEveryMs: number;
  /** A firing detected this long after the reading that caused it is marked late-detected. */
  lateAfterMs: number;
  /** Base URL for links in messages (chart, acknowledge); known once the server listens. */
  publicUrl: () => string;
  /** Whether a recipient's `user` may view a node; without it such recipients are never sent to. */
  policy?: RecipientPolicy | undefined;
  /** Node name -> its tags, for rules that target a tag; re-read every `tagsEveryMs`. */
  nodeTags?: (() => Promise<Map<string, string[]>>) | undefined;
  tagsEveryMs?: number;
}

interface NodeRef {
  id: number;
  name: string;
}

/**
 * Evaluates alert rules on ingest and on a timer, and keeps each alert's state machine
 * (pending → firing → resolved) in the database, so a restart resumes where it stopped:
 * a firing alert is neither raised again nor forgotten, and its resolve is still sent.
 *
 * Ingest hands readings, events and status over synchronously; the engine works through
 * them one at a time on its own queue, so ingest (and the node's PUBACK) never waits on rules.
 */
export class AlertEngine {
  readonly #index = new RuleIndex();
  readonly #subjects = new Map<string, Subject>();
  readonly #channels = new Map<number, ChannelRow>();
  readonly #nodes = new Map<number, NodeRow>();
  /** Wall-clock time each channel / node was last heard from, for no-data rules. */
  readonly #channelHeard = new Map<number, number>();
  readonly #nodeHeard = new Map<number, number>();
  /** Last outbox drop count per node, to notice drops. */
  readonly #dropped = new Map<number, number>();
  #silences: SilenceRow[] = [];
  #tags = new Map<string, string[]>();
  #tagsReadAt = 0;
  readonly #writer: AlertWriter;
  #queue: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #stopped = false;

  constructor(
    private readonly store: Store,
    readonly alerts: AlertsStore,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
    private readonly options: EngineOptions,
  ) {
    this.#writer = new AlertWriter({
      alerts,
      dispatcher,
      log,
      publicUrl: options.publicUrl,
      policy: options.policy,
      node: (id) => this.#node(id),
      channel: (id) => this.#channel(id),
      silences: () => this.#silences,
    });
  }

  async start(now = Date.now()): Promise<void> {
    this.#startedAt = now;
    for (const n of await this.store.listNodes()) this.#nodes.set(n.id, n);
    for (const c of await this.store.listChannels()) this.#channels.set(c.id, c);
    await this.reloadRules();
    await this.#readTags(now);
    this.#silences = await this.alerts.activeSilences(now);
    for (const a of await this.alerts.openAlerts()) {
      const rule = this.#index.rules.find((r) => r.id === a.rule_id);
      if (!rule) {
        // Its rule was disabled while the server was down: closed, untold, as when disabled live.
        await this.alerts.updateAlert(a.id, { state: 'resolved', resolved_at: now, ack_token: null });
        continue;
      }
      const s = this.#subject(rule, a.node_id, a.channel_id);
      s.alert = a;
      s.series.phase = a.state === 'resolved' ? 'ok' : a.state;
      s.series.since = a.since;
      s.series.peak = a.peak;
      s.lastFaultAt = a.since;
    }
    this.#timer = setInterval(() => this.#enqueue(() => this.#tick(Date.now())), this.options.evaluateEveryMs);
    this.#timer.unref();
    this.log.info({ rules: this.#index.rules.length, open_alerts: [...this.#subjects.values()].filter((s) => s.alert).length }, 'alert engine started');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#queue;
  }

  /** Resolves once everything handed over so far has been evaluated (tests, bench). */
  idle(): Promise<void> {
    return this.#queue;
  }

  #tagsOf(name: string): string[] {
    return this.#tags.get(name) ?? [];
  }

  async #readTags(now: number): Promise<void> {
    if (!this.options.nodeTags) return;
    this.#tagsReadAt = now;
    const tags = await this.options.nodeTags();
    const sig = (m: Map<string, string[]>) => JSON.stringify([...m].sort());
    if (sig(tags) !== sig(this.#tags)) {
      this.#tags = tags;
      this.#index.forgetAll();
    }
  }

  get ruleCount(): number {
    return this.#index.rules.length;
  }

  /** Re-reads the rules (after one is created, changed or deleted). Alerts of a deleted rule go with it. */
  async reloadRules(): Promise<void> {
    const rows = await this.alerts.listRules();
    const rules: AlertRule[] = [];
    for (const r of rows) {
      try {
        rules.push({ ...parseRuleSpec(JSON.parse(r.spec_json)), id: r.id, created_at: r.created_at, updated_at: r.updated_at });
      } catch (err) {
        this.log.error({ err, rule: r.id }, 'stored alert rule is invalid; skipped');
      }
    }
    this.#index.setRules(rules);
    const byId = new Map(rules.filter((r) => r.enabled).map((r) => [r.id, r]));
    for (const [key, s] of this.#subjects) {
      const rule = byId.get(s.rule.id);
      // A changed condition starts its state machine afresh; the open alert (if any) stays open.
      if (!rule) {
        // Disabled (a deleted rule's alerts are deleted with it): its open alert ends, untold.
        if (s.alert) await this.alerts.updateAlert(s.alert.id, { state: 'resolved', resolved_at: Date.now(), ack_token: null });
        this.#subjects.delete(key);
      }
      else if (JSON.stringify(rule.condition) !== JSON.stringify(s.rule.condition)) {
        s.rule = rule;
        s.series = initialState();
        if (s.alert) Object.assign(s.series, { phase: s.alert.state === 'resolved' ? 'ok' : s.alert.state, since: s.alert.since, peak: s.alert.peak });
      } else s.rule = rule;
    }
  }

  async silencesChanged(now = Date.now()): Promise<void> {
    this.#silences = await this.alerts.activeSilences(now);
  }

  /** Records an acknowledgement: repeats and escalation stop. Returns false if already acknowledged. */
  async acknowledge(id: number, by: string, note: string | null, now = Date.now()): Promise<boolean> {
    const ok = await this.alerts.acknowledge(id, by, note, now);
    if (ok) {
      for (const s of this.#subjects.values()) if (s.alert?.id === id) s.alert = { ...s.alert, acked_at: now, acked_by: by, ack_note: note };
      this.log.info({ alert: id, by }, 'alert acknowledged');
    }
    return ok;
  }

  // --- ingest hooks (synchronous hand-over) --------------------------------------------------

  readings(node: NodeRef, rows: readonly ReadingInput[], now = Date.now()): void {
    if (rows.length === 0) return;
    const copy = rows.slice();
    this.#enqueue(() => this.#onReadings(node, copy, now));
  }

  events(node: NodeRef, events: readonly NodeEvent[], now = Date.now()): void {
    const copy = events.slice();
    this.#enqueue(() => this.#onEvents(node, copy, now));
  }

  status(node: NodeRef, status: Status, now = Date.now()): void {
    this.#enqueue(() => this.#onStatus(node, status, now));
  }

  #enqueue(fn: () => Promise<void>): void {
    if (this.#stopped) return;
    this.#queue = this.#queue.then(fn).catch((err: unknown) => this.log.error({ err }, 'alert evaluation failed'));
  }

  // --- lookups -------------------------------------------------------------------------------

  async #node(id: number): Promise<NodeRow | undefined> {
    let n = this.#nodes.get(id);
    if (!n) {
      n = await this.store.getNodeById(id);
      if (n) this.#nodes.set(id, n);
    }
    return n;
  }

  async #channel(id: number): Promise<ChannelRow | undefined> {
    let c = this.#channels.get(id);
    if (!c) {
      c = await this.store.getChannel(id);
      if (c) this.#channels.set(id, c);
    }
    return c;
  }

  /** A channel's metadata or label changed: rules are matched against it afresh. */
  refreshChannel(id: number): void {
    this.#enqueue(async () => {
      const c = await this.store.getChannel(id);
      if (c) this.#channels.set(id, c);
      this.#index.forgetChannel(id);
    });
  }

  #subject(rule: AlertRule, nodeId: number, channelId: number | null): Subject {
    const key = `${rule.id}|${subjectOf(channelId, nodeId)}`;
    let s = this.#subjects.get(key);
    if (!s) {
      s = { key, rule, nodeId, channelId, series: initialState(), alert: null, lastFaultAt: 0 };
      this.#subjects.set(key, s);
    }
    return s;
  }

  // --- evaluation ----------------------------------------------------------------------------

  async #onReadings(ref: NodeRef, rows: ReadingInput[], now: number): Promise<void> {
    await this.#node(ref.id);
    this.#nodeHeard.set(ref.id, now);
    await this.#resolveNoData(ref.id, null, now);
    const byChannel = new Map<number, ReadingInput[]>();
    for (const r of rows) (byChannel.get(r.channel_id) ?? byChannel.set(r.channel_id, []).get(r.channel_id)!).push(r);
    for (const [channelId, list] of byChannel) {
      const channel = await this.#channel(channelId);
      if (!channel) continue;
      this.#channelHeard.set(channelId, now);
      await this.#resolveNoData(ref.id, channelId, now);
      list.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
      for (const rule of this.#index.forChannel(channel, ref, this.#tagsOf(ref.name))) {
        if (rule.condition.type !== 'threshold' && rule.condition.type !== 'rate') continue;
        const cond: ReadingCondition = rule.condition;
        const s = this.#subject(rule, ref.id, channelId);
        let backfillFrom: number | undefined;
        for (const r of list) {
          if (s.series.lastTs !== null && r.ts < s.series.lastTs) {
            // Older than what this rule has seen: a backlog arriving behind live readings.
            backfillFrom = Math.min(backfillFrom ?? r.ts, r.ts);
            continue;
          }
          const ts = step(cond, s.series, r.ts, r.value);
          if (ts.length) await this.#apply(s, ts, now);
        }
        if (backfillFrom !== undefined) await replayBackfill(this.#backfillDeps(), s, cond, backfillFrom, now);
      }
    }
  }

  #backfillDeps(): Parameters<typeof replayBackfill>[0] {
    return {
      store: this.store,
      alerts: this.alerts,
      open: (s, at, since, value, peak, late, now) => this.#writer.fire(s as Subject, { since, at, value, peak }, now, late),
      resolve: (s, at, value, peak, now) => this.#writer.resolve(s as Subject, at, value, peak, now),
      insertPast: (s, ep, value, now) => this.#writer.insertPast(s as Subject, ep, value, now),
    };
  }

  /** Applies the transitions one reading caused, persisting each. */
  async #apply(s: Subject, ts: Transition[], now: number): Promise<void> {
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      if (t.to === 'pending') {
        // Straight to firing (a zero duration) needs no pending row.
        if (ts[i + 1]?.to === 'firing') continue;
        await this.#writer.pending(s, t.since, t.value, now);
      } else if (t.to === 'firing') {
        await this.#writer.fire(s, t, now, now - t.at > this.options.lateAfterMs);
      } else if (s.alert) {
        if (s.alert.state === 'pending') {
          await this.alerts.deleteAlert(s.alert.id);
          s.alert = null;
        } else await this.#writer.resolve(s, t.at, t.value, t.peak, now);
      }
    }
  }

  async #resolveNoData(nodeId: number, channelId: number | null, now: number): Promise<void> {
    for (const s of this.#subjects.values()) {
      if (s.alert && s.rule.condition.type === 'no_data' && s.nodeId === nodeId && s.channelId === channelId) {
        await this.#writer.resolve(s, now, null, null, now);
        s.series = initialState();
      }
    }
  }

  async #onEvents(ref: NodeRef, events: NodeEvent[], now: number): Promise<void> {
    await this.#node(ref.id);
    this.#nodeHeard.set(ref.id, now);
    await this.#resolveNoData(ref.id, null, now);
    const channels = [...this.#channels.values()].filter((c) => c.node_id === ref.id);
    for (const ev of events) {
      const channel = ev.ch === undefined ? undefined : channels.find((c) => c.key === ev.ch);
      if (ev.type === 'channel_available') {
        if (channel) await this.#clearFault(ref.id, channel.id, 'channel_unavailable', ev.ts, now);
      } else if (ev.type === 'channel_unavailable' || ev.type === 'agent_fault' || ev.type === 'disk_low') {
        const onChannel = ev.type === 'channel_unavailable' && channel !== undefined;
        await this.#raiseFault(ref, ev.type, onChannel ? channel : undefined, ev.ts, ev.message ?? null, now);
      }
    }
  }

  async #onStatus(ref: NodeRef, status: Status, now: number): Promise<void> {
    if (status.state !== 'online') return;
    await this.#node(ref.id);
    this.#nodeHeard.set(ref.id, now);
    await this.#resolveNoData(ref.id, null, now);
    const dropped = status.outbox?.dropped;
    if (dropped !== undefined) {
      const before = this.#dropped.get(ref.id);
      this.#dropped.set(ref.id, dropped);
      if (before !== undefined && dropped > before) await this.#raiseFault(ref, 'outbox_dropping', undefined, now, `${dropped - before} readings dropped by the node's full outbox`, now);
    }
    for (const [key, health] of Object.entries(status.channels ?? {})) {
      const c = [...this.#channels.values()].find((x) => x.node_id === ref.id && x.key === key);
      if (c && health.available) await this.#clearFault(ref.id, c.id, 'channel_unavailable', now, now);
    }
  }

  #faultRules(ref: NodeRef, kind: FaultKind, channel: ChannelRow | undefined): AlertRule[] {
    return this.#index.rules.filter((r) => {
      if (r.condition.type !== 'fault' || !r.condition.faults.includes(kind)) return false;
      const tags = this.#tagsOf(ref.name);
      return channel ? ruleMatchesChannel(r, channel, ref, tags) || ruleWatchesNode(r, ref, tags) : ruleWatchesNode(r, ref, tags);
    });
  }

  async #raiseFault(ref: NodeRef, kind: FaultKind, channel: ChannelRow | undefined, at: number, message: string | null, now: number): Promise<void> {
    for (const rule of this.#faultRules(ref, kind, channel)) {
      const s = this.#subject(rule, ref.id, channel?.id ?? null);
      s.lastFaultAt = now;
      if (s.alert) continue;
      await this.#writer.fire(s, { since: at, at, value: null, peak: null }, now, now - at > this.options.lateAfterMs, `: ${kind}${message ? `: ${message}` : ''}`);
    }
  }

  async #clearFault(nodeId: number, channelId: number, kind: FaultKind, at: number, now: number): Promise<void> {
    for (const s of this.#subjects.values()) {
      if (s.alert && s.rule.condition.type === 'fault' && s.rule.condition.faults.includes(kind) && s.nodeId === nodeId && s.channelId === channelId) {
        await this.#writer.resolve(s, at, null, null, now);
      }
    }
  }

  // --- the timer -----------------------------------------------------------------------------

  async #tick(now: number): Promise<void> {
    if (now - this.#tagsReadAt >= (this.options.tagsEveryMs ?? 30_000)) await this.#readTags(now);
    if (this.#silences.some((x) => x.ends_at <= now)) this.#silences = this.#silences.filter((x) => x.ends_at > now);
    await this.#checkNoData(now);
    for (const s of [...this.#subjects.values()]) {
      const a = s.alert;
      if (!a || a.state !== 'firing') continue;
      const c = s.rule.condition;
      if (c.type === 'fault' && now - Math.max(s.lastFaultAt, a.since) >= c.clear_after && !(s.channelId !== null && c.faults.includes('channel_unavailable') && !(await this.#channel(s.channelId))?.available)) {
        await this.#writer.resolve(s, now, null, null, now);
        continue;
      }
      if (a.acked_at !== null || silenceFor(this.#silences, s.rule.id, s.nodeId, now)) continue;
      if (a.notified_at === null) {
        // It fired while silenced (or in quiet hours): now that it may be told, tell it once.
        await this.#writer.notify(s, a, 'firing', s.rule.recipients, now, { notified_at: now });
        continue;
      }
      const esc = s.rule.escalation;
      if (esc && a.escalated_at === null && now - (a.detected_at ?? now) >= esc.after) {
        await this.#writer.notify(s, a, 'escalation', esc.recipients, now, { escalated_at: now, notified_at: now });
        continue;
      }
      if (s.rule.repeat_every !== undefined && now - a.notified_at >= s.rule.repeat_every) {
        await this.#writer.notify(s, a, 'repeat', this.#writer.toldRecipients(s, a), now, { notified_at: now });
      }
    }
  }

  async #checkNoData(now: number): Promise<void> {
    for (const rule of this.#index.rules) {
      if (rule.condition.type !== 'no_data') continue;
      const forMs = rule.condition.for;
      // After a restart silence counts from the restart at the earliest: the server's own
      // downtime is not the node's fault (its backlog arrives within seconds).
      const heard = (t: number | undefined | null) => Math.max(t ?? 0, this.#startedAt);
      if (rule.target.channel === undefined && rule.target.label === undefined) {
        for (const node of this.#nodes.values()) {
          if (!ruleWatchesNode(rule, node, this.#tagsOf(node.name))) continue;
          const last = heard(this.#nodeHeard.get(node.id) ?? node.last_seen);
          const s = this.#subject(rule, node.id, null);
          if (!s.alert && now - last >= forMs) await this.#writer.fire(s, { since: last, at: now, value: null, peak: null }, now, false);
        }
        continue;
      }
      for (const c of this.#channels.values()) {
        const node = this.#nodes.get(c.node_id);
        if (!node || !ruleMatchesChannel(rule, c, node, this.#tagsOf(node.name))) continue;
        const last = heard(this.#channelHeard.get(c.id) ?? c.last_ts);
        const s = this.#subject(rule, node.id, c.id);
        if (!s.alert && now - last >= forMs) await this.#writer.fire(s, { since: last, at: now, value: c.last_value, peak: null }, now, false);
      }
    }
  }
}
