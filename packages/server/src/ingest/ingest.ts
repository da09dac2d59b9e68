import {
  actuatorStateSchema,
  commandResultSchema,
  eventBatchSchema,
  type ActuatorState,
  type CommandResult,
  type EquipmentEvent,
  statusSchema,
  telemetryBatchSchema,
  type ChannelMeta,
  type ChannelSummary,
  type NodeEvent,
  type NodeTopicKind,
  type Status,
  type TelemetryAck,
} from '@ma/protocol';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { LiveHub } from '../live/live-hub.js';
import type { ChannelRow, ReadingInput, Store } from '../store/store.js';
import { toChannelSummary } from '../http/views.js';
import { plainTelemetryBatch } from './fast-telemetry.js';
import { RejectLog } from './reject-log.js';
import { explainImplausibility, implausibility, type Implausibility } from './plausibility.js';

export interface NodeIdentity {
  id: number;
  name: string;
}

export { PLAUSIBLE_SINCE } from './plausibility.js';

/**
 * What became of a message. `ack` names the telemetry batch for the node's application-level
 * acknowledgement: present whenever the batch is settled (stored, duplicate, or refused for
 * good), so a node never resends a batch that cannot succeed.
 */
export type IngestOutcome = ({ accepted: true } | { accepted: false; reason: string }) & { ack?: TelemetryAck };

/** The seq range a telemetry payload claims, read leniently so even a refused batch is acked. */
function ackFor(json: unknown): TelemetryAck | undefined {
  const readings = (json as { readings?: unknown } | null)?.readings;
  if (!Array.isArray(readings) || readings.length === 0) return undefined;
  const seqOf = (r: unknown) => (r !== null && typeof r === 'object' && Number.isSafeInteger((r as { seq?: unknown }).seq) ? (r as { seq: number }).seq : undefined);
  const first = seqOf(readings[0]);
  const last = seqOf(readings[readings.length - 1]);
  if (first === undefined || last === undefined || first < 0 || last < 0) return undefined;
  return { v: 1, first_seq: first, last_seq: last };
}

/**
 * What another feature (alert rules) sees of ingest, after the rows are stored: new readings
 * only (never a duplicate), agent events and status. Called synchronously before the node's
 * PUBACK, so an observer must only queue work; one that throws is logged and ignored.
 */
export interface IngestObserver {
  readings?(node: NodeIdentity, rows: readonly ReadingInput[], now: number): void;
  events?(node: NodeIdentity, events: readonly NodeEvent[], now: number): void;
  status?(node: NodeIdentity, status: Status, now: number): void;
  /** Equipment events of a batch (scans, decisions, actuator changes, sessions). */
  equipment?(node: NodeIdentity, events: readonly EquipmentEvent[], now: number): void;
  /** A node's answer to a command (`cmd/result`). */
  commandResult?(node: NodeIdentity, result: CommandResult, now: number): void;
  /** A node's retained actuator state (`state/<actuator>`). */
  actuatorState?(node: NodeIdentity, state: ActuatorState, now: number): void;
}

/**
 * Turns a node's MQTT publishes into stored rows. It validates every payload with the
 * protocol schemas; a bad payload is rejected and counted, never thrown. Storage errors
 * are thrown, so the transport withholds its acknowledgement and the node resends.
 */
export class Ingest {
  /** node id -> channel key -> row, so steady-state batches need no channel lookups. */
  readonly #channels = new Map<number, Map<string, ChannelRow>>();
  /** node id -> channel key -> JSON of the last metadata applied, to skip unchanged upserts. */
  readonly #metaSeen = new Map<number, Map<string, string>>();
  readonly #rejects: RejectLog;
  readonly #observers = new Set<IngestObserver>();

  constructor(
    private readonly store: Store,
    private readonly live: LiveHub,
    private readonly log: Logger,
  ) {
    this.#rejects = new RejectLog(log);
  }

  async handle(node: NodeIdentity, kind: NodeTopicKind, payload: Buffer, now = Date.now()): Promise<IngestOutcome> {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return this.#reject(node, `${kind}: payload is not valid JSON`, now);
    }
    switch (kind) {
      case 'telemetry': {
        const outcome = await this.#telemetry(node, json, now);
        const ack = ackFor(json);
        return ack ? { ...outcome, ack } : outcome;
      }
      case 'status':
        return this.#status(node, json, now);
      case 'events':
        return this.#events(node, json, now);
      case 'cmd/result': {
        const parsed = this.#parse(commandResultSchema, json, 'cmd/result');
        if ('reason' in parsed) return this.#reject(node, parsed.reason, now);
        await this.store.touchNode(node.id, now);
        this.#notify((o) => o.commandResult?.(node, parsed.data, now));
        return { accepted: true };
      }
      case 'state': {
        const parsed = this.#parse(actuatorStateSchema, json, 'state');
        if ('reason' in parsed) return this.#reject(node, parsed.reason, now);
        await this.store.touchNode(node.id, now);
        this.#notify((o) => o.actuatorState?.(node, parsed.data, now));
        return { accepted: true };
      }
      default:
        // cmd and config are the server's own topics: accepted, and nothing to store.
        await this.store.touchNode(node.id, now);
        return { accepted: true };
    }
  }

  /** Adds an observer of stored readings, events and status; returns the way to remove it. */
  observe(o: IngestObserver): () => void {
    this.#observers.add(o);
    return () => this.#observers.delete(o);
  }

  #notify(call: (o: IngestObserver) => void): void {
    for (const o of this.#observers) {
      try {
        call(o);
      } catch (err) {
        this.log.error({ err }, 'an ingest observer failed');
      }
    }
  }

  /** Forgets cached channels of a node (after its channels were edited elsewhere). */
  invalidate(nodeId: number): void {
    this.#channels.delete(nodeId);
    this.#metaSeen.delete(nodeId);
  }

  async #reject(node: NodeIdentity, reason: string, now: number): Promise<IngestOutcome> {
    this.#rejects.reject(node.name, reason, now);
    await this.store.addNodeStats(node.id, { messages_rejected: 1 }, { reason, at: now });
    return { accepted: false, reason };
  }

  #parse<S extends z.ZodTypeAny>(schema: S, json: unknown, kind: string): { data: z.output<S> } | { reason: string } {
    const r = schema.safeParse(json);
    if (r.success) return { data: r.data as z.output<S> };
    const first = r.error.issues[0];
    const where = first && first.path.length > 0 ? first.path.join('.') : '(top level)';
    return { reason: `${kind}: ${where}: ${first?.message ?? 'invalid'}` };
  }

  async #channelMap(nodeId: number): Promise<Map<string, ChannelRow>> {
    let m = this.#channels.get(nodeId);
    if (!m) {
      m = new Map((await this.store.listChannels(nodeId)).map((c) => [c.key, c]));
      this.#channels.set(nodeId, m);
    }
    return m;
  }

  async #applyMeta(node: NodeIdentity, metas: Record<string, ChannelMeta>, channels: Map<string, ChannelRow>): Promise<void> {
    const seen = this.#metaSeen.get(node.id) ?? new Map<string, string>();
    this.#metaSeen.set(node.id, seen);
    const changed: Record<string, ChannelMeta> = {};
    for (const [key, meta] of Object.entries(metas)) {
      const sig = JSON.stringify(meta);
      if (seen.get(key) !== sig) changed[key] = meta;
    }
    if (Object.keys(changed).length === 0) return;
    const rows = await this.store.upsertChannels(node.id, changed);
    for (const [key, row] of rows) {
      const isNew = !channels.has(key);
      channels.set(key, row);
      seen.set(key, JSON.stringify(changed[key]));
      this.live.publish({ type: 'channel', channel: this.#summary(node, row) });
      if (isNew) this.log.info({ node: node.name, channel: key }, 'new channel');
    }
  }

  #summary(node: NodeIdentity, row: ChannelRow): ChannelSummary {
    return toChannelSummary(row, node.name);
  }

  async #telemetry(node: NodeIdentity, json: unknown, now: number): Promise<IngestOutcome> {
    // Most batches take the allocation-free check; the rest (channel metadata, or anything
    // doubtful) the schema, which also explains a rejection (fast-telemetry.ts).
    const plain = plainTelemetryBatch(json);
    const parsed = plain ? { data: plain } : this.#parse(telemetryBatchSchema, json, 'telemetry');
    if ('reason' in parsed) return this.#reject(node, parsed.reason, now);
    const batch = parsed.data;
    const refused = new Map<Implausibility, number[]>();
    const plausible = batch.readings.filter((r) => {
      const why = implausibility(r, now);
      if (why) (refused.get(why) ?? refused.set(why, []).get(why)!).push(r.seq);
      return why === undefined;
    });
    for (const [why, seqs] of refused) {
      await this.#reject(node, `telemetry: ${seqs.length} reading(s) (seq ${Math.min(...seqs)}..${Math.max(...seqs)}) ${explainImplausibility(why)} were refused`, now);
    }
    // A local copy, never written back: the fast path's batch is the message's own JSON, which
    // the acknowledgement still reads afterwards (ackFor).
    const readings = plausible.length < batch.readings.length ? plausible : batch.readings;
    if (readings.length === 0) return { accepted: true };
    const channels = await this.#channelMap(node.id);
    if (batch.channels) await this.#applyMeta(node, batch.channels, channels);

    const unknown = [...new Set(readings.map((r) => r.ch).filter((k) => !channels.has(k)))];
    if (unknown.length > 0) {
      const rows = await this.store.ensureChannels(node.id, unknown);
      for (const [key, row] of rows) {
        channels.set(key, row);
        this.live.publish({ type: 'channel', channel: this.#summary(node, row) });
      }
    }

    const rows = readings.map((r) => ({ seq: r.seq, channel_id: channels.get(r.ch)!.id, ts: r.ts, value: r.v }));
    const result = await this.store.insertReadings(node.id, rows);
    await this.store.touchNode(node.id, now);
    if (result.insertedRows.length > 0) {
      this.live.publish({
        type: 'readings',
        node: node.name,
        readings: result.insertedRows.map((r) => ({ channel: r.channel_id, ts: r.ts, v: r.value })),
      });
      this.#notify((o) => o.readings?.(node, result.insertedRows, now));
    }
    return { accepted: true };
  }

  async #status(node: NodeIdentity, json: unknown, now: number): Promise<IngestOutcome> {
    const parsed = this.#parse(statusSchema, json, 'status');
    if ('reason' in parsed) return this.#reject(node, parsed.reason, now);
    const status: Status = parsed.data;
    const online = status.state === 'online';
    await this.store.setNodeStatus(node.id, {
      online,
      last_seen: now,
      ...(online ? { status_json: JSON.stringify(status) } : {}),
    });
    if (status.channels) {
      const channels = await this.#channelMap(node.id);
      for (const [key, health] of Object.entries(status.channels)) {
        const row = channels.get(key);
        if (!row || (row.available === health.available && row.error === (health.error ?? null))) continue;
        await this.store.setChannelHealth(row.id, health.available, health.error ?? null);
        const updated = { ...row, available: health.available, error: health.error ?? null };
        channels.set(key, updated);
        this.live.publish({ type: 'channel', channel: this.#summary(node, updated) });
      }
    }
    this.live.publish({ type: 'status', node: node.name, online, last_seen: now });
    this.#notify((o) => o.status?.(node, status, now));
    return { accepted: true };
  }

  async #events(node: NodeIdentity, json: unknown, now: number): Promise<IngestOutcome> {
    const parsed = this.#parse(eventBatchSchema, json, 'events');
    if ('reason' in parsed) return this.#reject(node, parsed.reason, now);
    const channels = await this.#channelMap(node.id);
    for (const ev of parsed.data.events) {
      if ((ev.type === 'channel_unavailable' || ev.type === 'channel_available') && ev.ch) {
        const row = channels.get(ev.ch);
        if (!row) continue;
        const available = ev.type === 'channel_available';
        const error = available ? null : (ev.message ?? 'unavailable');
        await this.store.setChannelHealth(row.id, available, error);
        const updated = { ...row, available, error };
        channels.set(ev.ch, updated);
        this.live.publish({ type: 'channel', channel: this.#summary(node, updated) });
      } else if (ev.type === 'agent_fault' || ev.type === 'disk_low') {
        this.log.warn({ node: node.name, channel: ev.ch, message: ev.message }, 'agent fault reported');
      }
    }
    await this.store.touchNode(node.id, now);
    if (parsed.data.events.length > 0) this.#notify((o) => o.events?.(node, parsed.data.events, now));
    const equipment = parsed.data.equipment;
    if (equipment && equipment.length > 0) this.#notify((o) => o.equipment?.(node, equipment, now));
    return { accepted: true };
  }
}
