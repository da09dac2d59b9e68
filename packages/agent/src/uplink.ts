import {
  OFFLINE_STATUS,
  telemetryAckSchema,
  topics,
  type ChannelMeta,
  type EquipmentEvent,
  type NodeEvent,
  type Status,
  type TelemetryBatch,
} from '@ma/protocol';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { Backoff } from './backoff.js';
import { correctTimestamp, type ClockSource } from './clock/clock-source.js';
import type { NodeLink } from './commands/node-link.js';
import type { Logger } from './logger.js';
import type { Outbox, OutboxRecord } from './outbox/outbox.js';
import { classifyConnectError, type UplinkState } from './uplink-state.js';

export interface UplinkOptions {
  node: string;
  url: string;
  credential: string;
  /** PEM CA to pin for TLS. */
  ca?: Buffer;
  batchMax: number;
  lingerMs: number;
  maxInflight: number;
  heartbeatMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** While a backlog drains, the newest readings are also sent this often (0 = never). */
  liveIntervalMs?: number;
  /**
   * What advances the acked cursor. `puback`: the broker's PUBACK, which the embedded broker
   * sends only after the server committed the batch. `server`: the server's own ack message
   * (`ma/v1/<n>/ack`), needed with an external broker, whose PUBACK only means it queued it.
   */
  ackMode?: 'puback' | 'server';
  /** With ackMode server: a batch not acked within this long is resent (the connection restarts). */
  ackTimeoutMs?: number;
}

/** The last time delivery failed, and why; kept after recovery so the status can show it. */
export interface UplinkFault {
  state: UplinkState;
  message: string;
  since: number;
  until?: number;
}

export interface UplinkDeps {
  outbox: Outbox;
  log: Logger;
  /** Metadata of every channel, sent with the first batch that carries it after a connect. */
  channelMeta(): Record<string, ChannelMeta>;
  /** The status details published (retained) on connect and every heartbeat. */
  statusDetails(): Omit<Status, 'v' | 'state'>;
  /** Maps readings taken before the clock was synchronised; absent = send ts as stored. */
  clock?: Pick<ClockSource, 'isSynced' | 'wallNow' | 'monoNow'>;
  bootId?: string;
}

interface InFlight {
  firstSeq: number;
  lastSeq: number;
  acked: boolean;
  sentAt: number;
}

const MAX_QUEUED_EVENTS = 1000;

/**
 * Carries the outbox to the server over MQTT at QoS 1. Batches are read from the outbox
 * after the last sent seq and the durable acked cursor advances, in order, only when the server
 * has committed a batch: on PUBACK from the embedded broker, or on the server's ack message
 * with an external broker (ackMode server).
 * Every (re)connect starts again from the acked cursor, so a lost connection can
 * duplicate a batch (the server ignores it) but never lose one.
 */
export class Uplink implements NodeLink {
  #client: MqttClient | undefined;
  /** Incremented per connection so callbacks of an old connection are ignored. */
  #generation = 0;
  #state: UplinkState = 'connecting';
  #loggedState: UplinkState | undefined;
  #sentSeq = 0;
  #inflight: InFlight[] = [];
  #ackChain: Promise<void> = Promise.resolve();
  #metaSent = new Set<string>();
  #wake: (() => void) | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #events: NodeEvent[] = [];
  #equipmentEvents: EquipmentEvent[] = [];
  /** Topic -> handler for messages from the server (commands, the allow-list). */
  readonly #subscriptions = new Map<string, (payload: Buffer) => void>();
  /** Latest retained payload per topic, republished on every connect. */
  readonly #retained = new Map<string, string>();
  readonly #onlineListeners = new Set<(online: boolean) => void>();
  #stopped = false;
  #fault: UplinkFault | undefined;
  /** Highest seq sent by the live lane on this connection. */
  #liveSentSeq = 0;
  #lastLiveAt = 0;
  #loggedHold = false;
  readonly #backoff: Backoff;

  constructor(
    private readonly opts: UplinkOptions,
    private readonly deps: UplinkDeps,
  ) {
    this.#backoff = new Backoff(opts.reconnectMinMs, opts.reconnectMaxMs);
  }

  get state(): UplinkState {
    return this.#state;
  }

  /** The current or most recent delivery fault. */
  get lastFault(): UplinkFault | undefined {
    return this.#fault ? { ...this.#fault } : undefined;
  }

  start(): void {
    this.#connect();
    this.#heartbeatTimer = setInterval(() => this.publishStatus(), this.opts.heartbeatMs);
    this.#heartbeatTimer.unref();
  }

  /** New readings are in the outbox. */
  notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Channel metadata changed: send it again with the next batches. */
  resendMeta(): void {
    this.#metaSent.clear();
  }

  publishEvent(event: NodeEvent): void {
    this.#events.push(event);
    if (this.#events.length > MAX_QUEUED_EVENTS) this.#events.shift();
    this.#flushEvents();
  }

  get online(): boolean {
    return this.#state === 'online';
  }

  publishEquipmentEvent(event: EquipmentEvent): void {
    this.#equipmentEvents.push(event);
    if (this.#equipmentEvents.length > MAX_QUEUED_EVENTS) this.#equipmentEvents.shift();
    this.#flushEvents();
  }

  publish(topic: string, payload: string, opts: { retain?: boolean } = {}): void {
    if (opts.retain) this.#retained.set(topic, payload);
    const client = this.#client;
    if (!client || this.#state !== 'online') return;
    client.publish(topic, payload, { qos: 1, retain: opts.retain ?? false });
  }

  subscribe(topic: string, onMessage: (payload: Buffer) => void): void {
    this.#subscriptions.set(topic, onMessage);
    const client = this.#client;
    if (client && this.#state === 'online') client.subscribe(topic, { qos: 1 });
  }

  onOnlineChange(listener: (online: boolean) => void): void {
    this.#onlineListeners.add(listener);
  }

  publishStatus(): void {
    const client = this.#client;
    if (!client || this.#state !== 'online') return;
    const status: Status = { v: 1, state: 'online', ts: Date.now(), ...this.deps.statusDetails() };
    client.publish(topics.status(this.opts.node), JSON.stringify(status), { qos: 1, retain: true });
  }

  /**
   * Stops after giving in-flight and queued readings a short chance to be acknowledged; what
   * is still unsent stays in the outbox and goes out after the next start.
   */
  async stop(drainMs = 2000): Promise<void> {
    const deadline = Date.now() + drainMs;
    while (this.#state === 'online' && this.deps.outbox.stats().pending > 0 && Date.now() < deadline) {
      this.notify();
      await new Promise((r) => setTimeout(r, 25));
    }
    this.#stopped = true;
    this.#state = 'stopped';
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#heartbeatTimer);
    this.notify();
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    if (client.connected) {
      // A clean shutdown says so itself; the broker does not send the last-will then.
      await new Promise<void>((resolve) =>
        client.publish(topics.status(this.opts.node), JSON.stringify({ ...OFFLINE_STATUS, ts: Date.now() }), { qos: 1, retain: true }, () => resolve()),
      );
    }
    await this.#ackChain;
    await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  }

  #setState(state: UplinkState, detail?: string): void {
    const wasOnline = this.#state === 'online';
    this.#state = state;
    if (wasOnline !== (state === 'online')) {
      for (const l of this.#onlineListeners) {
        try {
          l(state === 'online');
        } catch (err) {
          this.deps.log.error({ err }, 'an online/offline listener failed');
        }
      }
    }
    const now = Date.now();
    if (state === 'tls_error' || state === 'auth_error' || state === 'offline') {
      if (!this.#fault || this.#fault.until !== undefined || this.#fault.state !== state) this.#fault = { state, message: (detail ?? '').slice(0, 512), since: now };
    } else if (state === 'online' && this.#fault && this.#fault.until === undefined) {
      this.#fault.until = now;
    }
    if (state === this.#loggedState) return;
    this.#loggedState = state;
    if (state === 'online') this.deps.log.info({ url: this.opts.url }, 'connected to the server');
    else if (state === 'tls_error') this.deps.log.error({ url: this.opts.url, error: detail }, 'TLS verification failed; will keep retrying with backoff (verification is never disabled)');
    else if (state === 'auth_error') this.deps.log.error({ url: this.opts.url, error: detail }, 'the server refused this node\'s credential; check server.credential');
    else if (state === 'offline') this.deps.log.warn({ url: this.opts.url, error: detail }, 'server unreachable; readings are kept in the outbox');
  }

  #connect(): void {
    if (this.#stopped) return;
    const gen = ++this.#generation;
    const options: IClientOptions = {
      clientId: `ma-agent-${this.opts.node}`,
      username: this.opts.node,
      password: this.opts.credential,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 0,
      connectTimeout: 15_000,
      rejectUnauthorized: true,
      will: { topic: topics.status(this.opts.node), payload: Buffer.from(JSON.stringify(OFFLINE_STATUS)), qos: 1, retain: true },
      ...(this.opts.ca ? { ca: this.opts.ca } : {}),
    };
    const client = connect(this.opts.url, options);
    this.#client = client;
    let lastError: Error | undefined;
    client.on('connect', () => {
      if (gen !== this.#generation) return;
      this.#backoff.reset();
      this.#setState('online');
      this.#sentSeq = this.deps.outbox.stats().ackedSeq;
      this.#liveSentSeq = 0;
      this.#inflight = [];
      this.#metaSent.clear();
      this.publishStatus();
      for (const topic of this.#subscriptions.keys()) client.subscribe(topic, { qos: 1 });
      for (const [topic, payload] of this.#retained) client.publish(topic, payload, { qos: 1, retain: true });
      this.#flushEvents();
      const pump = () =>
        void this.#pump(gen).catch((err: unknown) => {
          this.deps.log.error({ err }, 'uplink pump failed; reconnecting');
          client.end(true);
        });
      if (this.opts.ackMode !== 'server') return pump();
      // Server acks arrive on our own ack topic: subscribe before sending anything.
      client.subscribe(topics.ack(this.opts.node), { qos: 1 }, (err, granted) => {
        if (gen !== this.#generation) return;
        if (err || !granted || granted.some((g) => g.qos > 2)) {
          this.deps.log.error({ err: err?.message }, 'the broker refused the ack subscription; reconnecting');
          client.end(true);
          return;
        }
        pump();
      });
    });
    client.on('message', (topic, payload) => {
      if (gen !== this.#generation) return;
      const handler = this.#subscriptions.get(topic);
      if (handler) {
        try {
          handler(payload);
        } catch (err) {
          this.deps.log.error({ err, topic }, 'a message handler failed');
        }
        return;
      }
      if (topic !== topics.ack(this.opts.node)) return;
      this.#onServerAck(gen, payload);
    });
    client.on('error', (err) => {
      lastError = err;
    });
    client.on('close', () => {
      if (gen !== this.#generation || this.#stopped) return;
      this.#generation++; // invalidate this connection's pending callbacks
      const state = lastError ? classifyConnectError(lastError) : 'offline';
      this.#setState(state, lastError?.message ?? 'connection closed');
      client.removeAllListeners();
      client.on('error', () => {});
      client.end(true);
      this.notify();
      const delay = this.#backoff.next();
      this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
    });
  }

  #flushEvents(): void {
    const client = this.#client;
    if (!client || this.#state !== 'online' || (this.#events.length === 0 && this.#equipmentEvents.length === 0)) return;
    const events = this.#events.splice(0, this.#events.length);
    const equipment = this.#equipmentEvents.splice(0, this.#equipmentEvents.length);
    const batch = equipment.length > 0 ? { v: 1, events, equipment } : { v: 1, events };
    client.publish(topics.events(this.opts.node), JSON.stringify(batch), { qos: 1 }, (err) => {
      if (!err) return;
      this.#events.unshift(...events.slice(0, MAX_QUEUED_EVENTS - this.#events.length));
      this.#equipmentEvents.unshift(...equipment.slice(0, MAX_QUEUED_EVENTS - this.#equipmentEvents.length));
    });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  async #pump(gen: number): Promise<void> {
    const { outbox } = this.deps;
    while (gen === this.#generation && !this.#stopped) {
      if (this.#ackOverdue()) {
        this.deps.log.warn({ seq: this.#inflight[0]!.firstSeq, timeout_ms: this.opts.ackTimeoutMs }, 'no server ack for a batch in time; reconnecting to resend from the acked cursor');
        this.#client?.end(true);
        return;
      }
      if (this.#inflight.length >= this.opts.maxInflight) {
        this.#maybeSendLive(gen);
        await this.#sleep(1000);
        continue;
      }
      let records = this.#sendable(await outbox.readAfter(this.#sentSeq, this.opts.batchMax));
      if (records.length === 0) {
        // Either nothing is pending, or the next reading waits for the clock to be synchronised.
        await this.#sleep(this.#holding() || this.#inflight.length > 0 ? 1000 : this.opts.heartbeatMs);
        continue;
      }
      if (records.length < this.opts.batchMax && this.opts.lingerMs > 0) {
        // Let a batch fill for a moment, unless its oldest reading has waited long enough.
        const age = Date.now() - records[0]!.ts;
        if (age < this.opts.lingerMs) {
          await new Promise((r) => setTimeout(r, this.opts.lingerMs - Math.max(0, age)));
          if (gen !== this.#generation) return;
          records = this.#sendable(await outbox.readAfter(this.#sentSeq, this.opts.batchMax));
          if (records.length === 0) continue;
        }
      }
      this.#send(gen, records, 'oldest');
      this.#maybeSendLive(gen);
    }
  }

  #holdSeen = false;

  /** Whether the last read stopped at a reading that waits for the clock. */
  #holding(): boolean {
    return this.#holdSeen;
  }

  /**
   * The prefix of `records` that can be sent now, with timestamps mapped to wall time. A reading
   * taken before the clock was synchronised in this boot waits (with everything after it) until
   * the clock is synchronised: sending it earlier would store a wrong time.
   */
  #sendable(records: OutboxRecord[]): OutboxRecord[] {
    this.#holdSeen = false;
    const { clock, bootId } = this.deps;
    if (!clock) return records;
    const out: OutboxRecord[] = [];
    for (const r of records) {
      const c = correctTimestamp(r, clock, bootId);
      if ('hold' in c) {
        this.#holdSeen = true;
        if (!this.#loggedHold) {
          this.#loggedHold = true;
          this.deps.log.warn({ seq: r.seq }, 'holding readings taken before the clock was synchronised; they are sent with their true time once it is');
        }
        break;
      }
      if (c.mapped) {
        // Sent as a synchronised reading; boot and mono stay for the record.
        const { sync: _sync, ...rest } = r;
        out.push({ ...rest, ts: c.ts });
      } else out.push(r);
    }
    if (!this.#holdSeen && this.#loggedHold) {
      this.#loggedHold = false;
      this.deps.log.info('clock synchronised: sending the held readings with mapped times');
    }
    return out;
  }

  /**
   * The live lane: while the oldest-first drain is more than a batch behind, the newest
   * readings also go out once per liveIntervalMs, so the dashboard stays current. They are sent
   * again by the drain later; the server keeps one copy of each (node, seq).
   */
  #maybeSendLive(gen: number): void {
    const every = this.opts.liveIntervalMs ?? 0;
    if (every <= 0 || Date.now() - this.#lastLiveAt < every) return;
    const { lastSeq } = this.deps.outbox.stats();
    if (lastSeq - this.#sentSeq <= this.opts.batchMax) return; // no backlog: the drain is live
    this.#lastLiveAt = Date.now();
    const from = Math.max(this.#sentSeq, this.#liveSentSeq, lastSeq - this.opts.batchMax);
    void this.deps.outbox.readAfter(from, this.opts.batchMax).then(
      (records) => {
        const sendable = this.#sendable(records);
        if (sendable.length === 0 || gen !== this.#generation) return;
        this.#liveSentSeq = sendable.at(-1)!.seq;
        this.#send(gen, sendable, 'live');
      },
      (err: unknown) => this.deps.log.warn({ err }, 'reading the newest readings for the live lane failed'),
    );
  }

  #send(gen: number, records: OutboxRecord[], lane: 'oldest' | 'live'): void {
    const client = this.#client!;
    const batch: TelemetryBatch = {
      v: 1,
      readings: records.map((r) => ({
        seq: r.seq,
        ch: r.ch,
        ts: r.ts,
        v: r.v,
        ...(r.sync === false ? { sync: false } : {}),
        ...(r.boot !== undefined ? { boot: r.boot } : {}),
        ...(r.mono !== undefined ? { mono: r.mono } : {}),
      })),
    };
    const meta = this.deps.channelMeta();
    const unsent: Record<string, ChannelMeta> = {};
    for (const r of records) {
      if (!this.#metaSent.has(r.ch) && meta[r.ch]) {
        unsent[r.ch] = meta[r.ch]!;
        this.#metaSent.add(r.ch);
      }
    }
    if (Object.keys(unsent).length > 0) batch.channels = unsent;
    if (lane === 'live') {
      // Not part of the acked cursor: the oldest-first drain covers these seqs too.
      client.publish(topics.telemetry(this.opts.node), JSON.stringify(batch), { qos: 1 }, () => undefined);
      return;
    }
    const entry: InFlight = { firstSeq: records[0]!.seq, lastSeq: records[records.length - 1]!.seq, acked: false, sentAt: Date.now() };
    this.#inflight.push(entry);
    this.#sentSeq = entry.lastSeq;
    client.publish(topics.telemetry(this.opts.node), JSON.stringify(batch), { qos: 1 }, (err) => {
      if (err || gen !== this.#generation || this.opts.ackMode === 'server') return;
      entry.acked = true;
      this.#advanceAcked();
      this.notify();
    });
  }

  #ackOverdue(): boolean {
    const oldest = this.#inflight[0];
    return this.opts.ackMode === 'server' && oldest !== undefined && Date.now() - oldest.sentAt > (this.opts.ackTimeoutMs ?? 30_000);
  }

  /** A server ack names a batch by its seq range; acks of batches not in flight are ignored. */
  #onServerAck(gen: number, payload: Buffer): void {
    let ack;
    try {
      ack = telemetryAckSchema.parse(JSON.parse(payload.toString('utf8')));
    } catch {
      this.deps.log.warn('ignoring a malformed ack from the server');
      return;
    }
    const entry = this.#inflight.find((e) => e.firstSeq === ack.first_seq && e.lastSeq === ack.last_seq);
    if (!entry || gen !== this.#generation) return;
    entry.acked = true;
    this.#advanceAcked();
    this.notify();
  }

  /** Moves the durable cursor over the contiguous prefix of acknowledged batches. */
  #advanceAcked(): void {
    let upTo: number | undefined;
    while (this.#inflight[0]?.acked) upTo = this.#inflight.shift()!.lastSeq;
    if (upTo === undefined) return;
    const seq = upTo;
    this.#ackChain = this.#ackChain
      .then(() => this.deps.outbox.ack(seq))
      .catch((err: unknown) => this.deps.log.error({ err }, 'could not persist the acked cursor; those readings will be resent'));
  }
}
