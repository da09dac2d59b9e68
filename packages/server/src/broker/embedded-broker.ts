import net from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createRequire } from 'node:module';
import { ErrorCode, isFilterInNodeSubtree, isInNodeSubtree, MaError, parseTopic, topics } from '@ma/protocol';
import type { AedesOptions, AuthenticateError, Client, createBroker } from 'aedes';

type AedesInstance = ReturnType<typeof createBroker>;
import type { Logger } from 'pino';
import type { Duplex } from 'node:stream';
import type { IngestOutcome, NodeIdentity } from '../ingest/ingest.js';
import type { NodeTopicKind } from '@ma/protocol';
import type { StatCounter } from '../store/store.js';

// aedes is CommonJS whose module.exports is the constructor; its typings describe an ES
// default export that does not exist at run time, so load it the CommonJS way.
const createAedes = createRequire(import.meta.url)('aedes') as (opts: AedesOptions) => AedesInstance;
import { RejectLog } from '../ingest/reject-log.js';
import { LoginThrottle, type ThrottlePolicy } from '../auth/login-throttle.js';
import { ClientIdPolicy } from './client-id-policy.js';
import { verifyToken } from './credentials.js';
import { guardPacketSize } from './packet-size-guard.js';

/** What the broker needs from the rest of the server. */
export interface BrokerDeps {
  /** Looks a node up by MQTT username (its name) for authentication. */
  findNode(name: string): Promise<{ id: number; name: string; credential_hash: string } | undefined>;
  /** Called inside the publish path, before PUBACK: the node is acked only once this resolves. */
  ingest(node: NodeIdentity, kind: NodeTopicKind, payload: Buffer): Promise<IngestOutcome>;
  countRefusal(nodeId: number, counter: StatCounter, reason: string): Promise<void>;
  onDisconnect(node: NodeIdentity): void;
  log: Logger;
  /** The largest MQTT packet accepted on any transport (config mqtt.max_packet_bytes). */
  maxPacketBytes?: number;
}

/** mqtt.max_packet_bytes by default: a full batch of 5000 readings with long channel keys fits. */
export const DEFAULT_MAX_PACKET_BYTES = 2 * 1024 * 1024;

const IDENTIFIER_REJECTED = 2;
const BAD_CREDENTIALS = 4;

/**
 * Wrong MQTT passwords: per (node name, address) after 5 failures, per address over all names
 * after 20, the next attempts are refused unchecked for 1 s, 2 s, 4 s... up to 5 minutes. Node
 * credentials are 256-bit random tokens, so this is not about guessing them: it keeps a
 * misconfigured or hostile client from turning the broker into a hashing service, and makes
 * a flood visible (each refusal is counted as an auth failure of the node named).
 */
const MQTT_PAIR_POLICY: ThrottlePolicy = { freeAttempts: 5, baseLockMs: 1000, maxLockMs: 5 * 60_000, forgetAfterMs: 15 * 60_000, maxKeys: 10_000 };
const MQTT_ADDRESS_POLICY: ThrottlePolicy = { ...MQTT_PAIR_POLICY, freeAttempts: 20 };

/**
 * Publishes of one connection being ingested at once, at most. aedes itself keeps reading and
 * handles every packet it parsed concurrently, so without this a node (or anyone holding a
 * credential) could pile unbounded work on a slow database. At the limit the connection is
 * paused (aedes stops reading its socket), so the flood waits in TCP buffers and on the node.
 */
export const MAX_INGESTS_PER_CONNECTION = 8;

/** The part of aedes's Client that pauses reading; present at run time, missing from its typings. */
interface PausableClient {
  pause(): void;
  resume(): void;
}

function authError(message: string, returnCode = BAD_CREDENTIALS): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** A refused CONNECT, with the MQTT return code to answer. */
class ConnectRefused extends Error {
  constructor(
    message: string,
    readonly returnCode: number = BAD_CREDENTIALS,
  ) {
    super(message);
  }
}

/**
 * The embedded MQTT broker (aedes). Nodes authenticate with their name and credential,
 * may publish and subscribe only under `ma/v1/<name>/`, and are acknowledged (PUBACK) only
 * after ingest has committed their data: aedes writes the PUBACK after authorizePublish
 * calls back, so ingest runs there. That gives commit-before-ack and back-pressure: a slow
 * database slows acks instead of growing a queue.
 */
export class EmbeddedBroker {
  readonly #aedes: AedesInstance;
  readonly #identities = new WeakMap<Client, NodeIdentity>();
  readonly #connected = new Map<string, Client>();
  readonly #ingesting = new WeakMap<Client, number>();
  #tcp: net.Server | undefined;
  /** Open TCP connections, ended on close even if aedes never saw them complete CONNECT. */
  readonly #sockets = new Set<net.Socket>();
  /** Refusals are counted every time but logged once per node and reason, so a misconfigured node cannot flood the log. */
  readonly #refusals: RejectLog;
  readonly #clientIds: ClientIdPolicy;
  readonly #pairThrottle = new LoginThrottle(MQTT_PAIR_POLICY);
  readonly #addressThrottle = new LoginThrottle(MQTT_ADDRESS_POLICY);
  /** The peer address of each connection, for throttling wrong passwords. */
  readonly #addresses = new WeakMap<Client, string>();
  readonly maxPacketBytes: number;

  constructor(private readonly deps: BrokerDeps) {
    this.#refusals = new RejectLog(deps.log);
    this.maxPacketBytes = deps.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    this.#clientIds = new ClientIdPolicy(async (name) => (await deps.findNode(name)) !== undefined);
    this.#aedes = createAedes({
      authenticate: (client, username, password, done) => {
        void this.#authenticate(client, username, password).then(
          () => done(null, true),
          (e: Error) => done(authError(e.message, e instanceof ConnectRefused ? e.returnCode : BAD_CREDENTIALS), false),
        );
      },
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null); // server-originated publishes
        const pending = (this.#ingesting.get(client) ?? 0) + 1;
        this.#ingesting.set(client, pending);
        if (pending === MAX_INGESTS_PER_CONNECTION) (client as unknown as PausableClient).pause();
        const finish = (): void => {
          const left = (this.#ingesting.get(client) ?? 1) - 1;
          this.#ingesting.set(client, left);
          if (left === MAX_INGESTS_PER_CONNECTION - 1) (client as unknown as PausableClient).resume();
        };
        void this.#authorizePublish(client, packet.topic, packet.payload).then(
          () => {
            finish();
            done(null);
          },
          (e: Error) => {
            finish();
            done(e);
          },
        );
      },
      authorizeSubscribe: (client, sub, done) => {
        const id = this.#identities.get(client);
        if (id && isFilterInNodeSubtree(id.name, sub.topic)) return done(null, sub);
        if (id) {
          void this.deps.countRefusal(id.id, 'publishes_refused', `subscribe outside own topics: ${sub.topic}`);
          this.#refusals.reject(id.name, `subscription outside the node subtree: ${sub.topic}`);
        }
        // A null subscription makes aedes answer SUBACK 0x80 (failure) without disconnecting.
        return done(null, null);
      },
    });
    this.#aedes.on('clientDisconnect', (client) => this.#dropped(client));
    this.#aedes.on('clientError', (client, err) => {
      const id = this.#identities.get(client);
      this.deps.log.debug({ node: id?.name, err: err.message }, 'mqtt client error');
    });
  }

  /**
   * Serves one MQTT connection (a TCP socket or a WebSocket stream) from `address`. Every
   * transport gets the same packet size limit here.
   */
  handle(stream: Duplex, address = 'unknown'): void {
    // The guard is in place before aedes reads a byte; the client it reports on comes after.
    const conn: { client?: Client } = {};
    guardPacketSize(stream, this.maxPacketBytes, (bytes) => {
      const id = conn.client && this.#identities.get(conn.client);
      const reason = `an MQTT packet of ${bytes} bytes exceeds mqtt.max_packet_bytes (${this.maxPacketBytes}); the connection is closed`;
      if (id) {
        void this.deps.countRefusal(id.id, 'messages_rejected', reason).catch((err: unknown) => this.deps.log.error({ err }, 'could not count a refusal'));
        this.#refusals.reject(id.name, reason);
      } else this.#refusals.reject(`address ${address}`, `${reason} (before CONNECT was accepted)`);
    });
    conn.client = this.#aedes.handle(stream) as Client;
    this.#addresses.set(conn.client, address);
  }

  get connectedClients(): number {
    return this.#aedes.connectedClients;
  }

  /** Publishes a message from the server itself (commands, desired config). */
  publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#aedes.publish(
        { cmd: 'publish', topic, payload, qos: opts.qos ?? 1, retain: opts.retain ?? false, dup: false },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  /** Disconnects a node at once (e.g. its credential was revoked or rotated). */
  disconnectNode(name: string): void {
    this.#connected.get(name)?.close();
  }

  /** Listens for MQTT on TCP; with `tls`, MQTTS (the same certificate as HTTPS). */
  async listenTcp(host: string, port: number, configHint: string, tls?: { cert: Buffer; key: Buffer }): Promise<number> {
    const accept = (socket: net.Socket): void => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      this.handle(socket, socket.remoteAddress ?? 'unknown');
    };
    const server = tls ? createTlsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, accept) : net.createServer(accept);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE') {
          reject(
            new MaError(
              ErrorCode.ConfigInvalid,
              `MQTT TCP port ${host}:${port} is already in use (another MQTT broker, such as Mosquitto, may hold it). ` +
                `Choose another port with mqtt.tcp.port in ${configHint} or the MA_MQTT_TCP_PORT environment variable, or set mqtt.tcp.enabled: false.`,
              { cause: e },
            ),
          );
        } else reject(e);
      });
      server.listen(port, host, () => resolve());
    });
    this.#tcp = server;
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  /**
   * Stops listening, then ends every client. The listener's close only completes once its
   * sockets are gone, so it must not be awaited before the clients are closed: doing so made
   * a SIGTERM hang for as long as a node stayed connected.
   */
  async close(): Promise<void> {
    const tcp = this.#tcp;
    const listenerClosed = tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : Promise.resolve();
    await new Promise<void>((resolve) => this.#aedes.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await listenerClosed;
  }

  async #authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<void> {
    if (!username) throw new Error('a node name is required as the MQTT username');
    const address = this.#addresses.get(client) ?? 'unknown';
    const now = Date.now();
    const pairKey = `${username}@${address}`;
    const wait = Math.max(this.#pairThrottle.retryAfter(pairKey, now), this.#addressThrottle.retryAfter(address, now));
    const node = await this.deps.findNode(username);
    if (wait > 0) {
      // Refused unchecked, even with the right credential: that is what makes guessing slow.
      if (node) await this.deps.countRefusal(node.id, 'auth_failures', `connect from ${address} refused unchecked: too many wrong credentials, locked for ${Math.ceil(wait / 1000)} s`);
      this.#refusals.reject(username, `MQTT connect from ${address} refused: too many wrong credentials; retry in ${Math.ceil(wait / 1000)} s`);
      throw new Error('too many wrong credentials; retry later');
    }
    if (!node || !verifyToken(password, node.credential_hash)) {
      this.#pairThrottle.fail(pairKey, now);
      this.#addressThrottle.fail(address, now);
      if (!node) {
        this.#refusals.reject(username, 'MQTT connect refused: unknown node');
        throw new Error('unknown node');
      }
      await this.deps.countRefusal(node.id, 'auth_failures', `wrong credential on connect from ${address}`);
      this.#refusals.reject(node.name, 'MQTT connect refused: wrong credential');
      throw new Error('wrong credential');
    }
    this.#pairThrottle.succeed(pairKey);
    // The client id is checked after the credential (so its answer tells nothing to a stranger)
    // and before aedes lets this connection take over another with the same id.
    const allowed = await this.#clientIds.check(node.name, client.id);
    if (!allowed.ok) {
      const reason = `MQTT client id ${JSON.stringify(client.id)} belongs to ${allowed.owner ? `node ${allowed.owner}` : 'no node of this name'}; connect refused (a takeover attempt, or a copied agent config)`;
      await this.deps.countRefusal(node.id, 'client_ids_refused', reason);
      this.#refusals.reject(node.name, reason);
      throw new ConnectRefused(reason, IDENTIFIER_REJECTED);
    }
    this.#clientIds.bind(node.name, client.id);
    const identity = { id: node.id, name: node.name };
    this.#identities.set(client, identity);
    // One live connection per node: a newer one (the agent restarted) replaces the older.
    const previous = this.#connected.get(node.name);
    this.#connected.set(node.name, client);
    if (previous && previous !== client) previous.close();
  }

  async #authorizePublish(client: Client, topic: string, payload: Buffer | string): Promise<void> {
    const id = this.#identities.get(client);
    if (!id) throw new Error('not authenticated');
    const parsed = isInNodeSubtree(id.name, topic) ? parseTopic(topic) : undefined;
    if (!parsed) {
      const reason = `publish to a topic outside the node's own subtree: ${topic}`;
      await this.deps.countRefusal(id.id, 'publishes_refused', reason);
      this.#refusals.reject(id.name, `${reason}; the connection is closed`);
      // MQTT 3.1.1 has no negative PUBACK: refusing means closing the connection.
      throw new Error(reason);
    }
    // The last-will of a connection that a newer one already replaced must not mark the
    // node offline: the newer connection has announced itself online.
    if (parsed.kind === 'status' && this.#connected.get(id.name) !== client) return;
    const outcome = await this.deps.ingest(id, parsed.kind, typeof payload === 'string' ? Buffer.from(payload) : payload);
    // Here the PUBACK already means "committed"; the application-level ack is also sent so an
    // agent configured for an external broker (uplink.ack: server) works against this one too.
    if (outcome.ack) {
      this.publish(topics.ack(id.name), JSON.stringify(outcome.ack), { qos: 1 }).catch((err: unknown) => this.deps.log.warn({ err, node: id.name }, 'could not publish a telemetry ack'));
    }
  }

  #dropped(client: Client): void {
    const id = this.#identities.get(client);
    if (!id) return;
    if (client.clean) this.#clientIds.release(id.name, client.id);
    if (this.#connected.get(id.name) === client) {
      this.#connected.delete(id.name);
      this.deps.onDisconnect(id);
    }
  }
}
