import os from 'node:os';
import { ErrorCode, MaError, parseTopic, TOPIC_ROOT, topics } from '@ma/protocol';
import { connect, type IClientOptions, type IPublishPacket, type ISubscriptionMap, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { IngestOutcome, NodeIdentity } from '../ingest/ingest.js';
import type { NodeTopicKind } from '@ma/protocol';

export interface ExternalBrokerOptions {
  url: string;
  username: string;
  password: string | undefined;
  ca: Buffer | undefined;
  clientId: string | undefined;
  shareGroup: string;
}

export interface ExternalBrokerDeps {
  /** Node lookup by name; nodes unknown to the server are refused (counted in the log). */
  findNode(name: string): Promise<NodeIdentity | undefined>;
  ingest(node: NodeIdentity, kind: NodeTopicKind, payload: Buffer): Promise<IngestOutcome>;
  log: Logger;
}

/** The node topics the server ingests, as shared subscriptions so replicas split the load. */
export function ingestFilters(group: string): string[] {
  return ['telemetry', 'events', 'status'].map((kind) => `$share/${group}/${TOPIC_ROOT}/+/${kind}`);
}

/**
 * The equipment topics every replica subscribes to on its own (not shared): a command's
 * `cmd/result` must reach the replica waiting for it, whichever one that is, and actuator states
 * are retained, which a broker does not deliver on a shared subscription. Both are small.
 */
export function equipmentFilters(): string[] {
  return [`${TOPIC_ROOT}/+/cmd/result`, `${TOPIC_ROOT}/+/state/+`];
}

/**
 * Ingest from an external broker (scale-out mode). The server holds a persistent session
 * (clean: false) with QoS 1 subscriptions, and delays each PUBACK until ingest has committed:
 * MQTT.js sends the PUBACK when handleMessage calls back. After commit it also publishes the
 * node's application-level ack, because there the node's own PUBACK came from the broker.
 * A storage failure ends the connection without the PUBACK, so the broker redelivers.
 */
export class ExternalBroker {
  readonly client: MqttClient;
  #closing = false;
  #started = false;

  constructor(
    private readonly opts: ExternalBrokerOptions,
    private readonly deps: ExternalBrokerDeps,
  ) {
    const options: IClientOptions = {
      clientId: opts.clientId ?? `ma-server-${os.hostname()}`,
      username: opts.username,
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      ...(opts.ca ? { ca: opts.ca } : {}),
      rejectUnauthorized: true,
      protocolVersion: 4,
      clean: false,
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: 15_000,
      manualConnect: true,
    };
    this.client = connect(opts.url, options);
    this.client.handleMessage = (packet, done) => {
      void this.#onPublish(packet).then(
        () => done(),
        (err: unknown) => {
          // No PUBACK: the broker keeps the message in our session and sends it again.
          this.deps.log.error({ err, topic: packet.topic }, 'ingest failed; reconnecting so the broker redelivers');
          this.client.end(true, {}, () => {
            if (!this.#closing) this.client.reconnect();
          });
        },
      );
    };
  }

  /** Connects and subscribes; resolves once ingest is live. */
  async start(): Promise<void> {
    let logged = false;
    this.client.on('error', (err) => {
      if (!logged) this.deps.log.error({ err: err.message, url: this.opts.url }, 'external broker connection failed; retrying');
      logged = true;
    });
    this.client.on('connect', () => {
      if (logged) this.deps.log.info({ url: this.opts.url }, 'external broker connection restored');
      logged = false;
      // Subscribe on every reconnect, even to a resumed session: Mosquitto restores a
      // persisted session after a restart without its shared subscriptions.
      if (this.#started) {
        this.#subscribe().catch((err: unknown) => this.deps.log.error({ err: (err as Error).message }, 'could not subscribe again after reconnecting'));
      }
    });
    const connected = new Promise<void>((resolve) => this.client.once('connect', () => resolve()));
    this.client.connect();
    await connected;
    await this.#subscribe();
    this.#started = true;
    this.deps.log.info({ url: this.opts.url, group: this.opts.shareGroup }, 'ingesting from the external broker');
  }

  publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    return this.client.publishAsync(topic, payload, { qos: opts.qos ?? 1, retain: opts.retain ?? false }).then(() => undefined);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.client.endAsync();
  }

  async #subscribe(): Promise<void> {
    try {
      // `resubscribe: true` makes MQTT.js send SUBSCRIBE even for filters it believes are active.
      const filters = Object.fromEntries([...ingestFilters(this.opts.shareGroup), ...equipmentFilters()].map((f) => [f, { qos: 1 as const }]));
      await this.client.subscribeAsync({ ...filters, resubscribe: true } as ISubscriptionMap);
    } catch (err) {
      throw new MaError(
        ErrorCode.TransportAuth,
        `the external broker refused the ingest subscriptions (${[...ingestFilters(this.opts.shareGroup), ...equipmentFilters()].join(', ')}) for ${this.opts.username}; ` +
          'its ACL must allow subscribing to them (see docs/external-broker.md)',
        { cause: err },
      );
    }
  }

  async #onPublish(packet: IPublishPacket): Promise<void> {
    const parsed = parseTopic(packet.topic);
    if (!parsed) return;
    const node = await this.deps.findNode(parsed.node);
    if (!node) {
      this.deps.log.warn({ node: parsed.node, topic: packet.topic }, 'message from a node the server does not know; dropped');
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const outcome = await this.deps.ingest(node, parsed.kind, payload);
    // Not awaited: MQTT.js handles the next incoming packet (our ack's PUBACK among them) only
    // after this handler returns. A lost ack costs a resend, which ingest deduplicates.
    if (outcome.ack) {
      this.publish(topics.ack(node.name), JSON.stringify(outcome.ack), { qos: 1 }).catch((err: unknown) => this.deps.log.warn({ err, node: node.name }, 'could not publish a telemetry ack'));
    }
  }
}
