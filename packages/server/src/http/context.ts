import { ErrorCode, MaError, type NodeSummary } from '@ma/protocol';
import type { FastifyRequest, FastifySchema } from 'fastify';
import type { Logger } from 'pino';
import type { AlertsService } from '../alerts/alerts-service.js';
import type { AuditEntry } from '../audit/audit-store.js';
import type { Access } from '../auth/access.js';
import type { AuthService } from '../auth/auth-service.js';
import type { Principal } from '../auth/principal.js';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import type { EnrollmentService } from '../enrollment/enrollment-service.js';
import type { EquipmentService } from '../equipment/equipment-service.js';
import type { PhotoService } from '../cameras/photo-service.js';
import type { LiveHub } from '../live/live-hub.js';
import type { NodeRegistry } from '../nodes/node-registry.js';
import type { ChannelRow, NodeRow, Store } from '../store/store.js';
import type { Permission } from '../users/grants-store.js';
import type { TunnelHttpDeps } from './routes/tunnels.js';
import { toNodeSummary } from './views.js';

const accessCache = new WeakMap<FastifyRequest, Promise<Access>>();

/** What the HTTP layer is given by the server. */
export interface HttpDeps {
  store: Store;
  broker: EmbeddedBroker | undefined;
  live: LiveHub;
  registry: NodeRegistry;
  log: Logger;
  version: string;
  tunnelPortBase: number;
  offlineAfterMs: number;
  /** Users, sessions, tokens, grants and the audit log. */
  auth: AuthService;
  /** Certificate and key when serving HTTPS (and WSS). */
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /** One-time node enrollment tokens. */
  enrollment: EnrollmentService;
  /** Closes a node's MQTT connection at once (its credential was revoked or replaced). */
  disconnectNode(name: string): void;
  /** URL agents use for MQTT, written into generated agent configs. */
  mqttUrl(): string;
  webDistDir: string | undefined;
  /** Reverse SSH tunnels: node keys, checks and the WebSocket SSH bridge (routes/tunnels.ts). */
  tunnels?: TunnelHttpDeps | undefined;
  /** Alert rules, alerts, silences and the delivery log (routes/alerts*.ts). */
  alerts?: AlertsService | undefined;
  /** Equipment, people, cards, trainings, commands and usage (routes/equipment*.ts, routes/people.ts). */
  equipment?: EquipmentService | undefined;
  /** Photos from node cameras: uploads, files and thumbnails (routes/photos.ts). */
  photos?: { service: PhotoService; maxChunkBytes: number } | undefined;
}

/** Route schemas carry OpenAPI's summary and tags beside what fastify validates. */
export const doc = (
  s: FastifySchema & {
    summary?: string;
    tags?: string[];
    hide?: boolean;
    description?: string;
    /** Responses fastify does not serialise (CSV, NDJSON, a WebSocket upgrade), for the OpenAPI document only. */
    documented?: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  },
): FastifySchema => s;

/** Shared helpers every route module uses; one instance per server. */
export class HttpContext {
  constructor(readonly deps: HttpDeps) {}

  /** The request's principal; 401 when anonymous. */
  principal(req: FastifyRequest): Principal {
    if (!req.principal) throw new MaError(ErrorCode.AuthRequired, 'log in, or send "Authorization: Bearer <token>" with an API token');
    return req.principal;
  }

  /** What the request's principal may do, computed once per request. */
  async access(req: FastifyRequest): Promise<Access> {
    const principal = this.principal(req);
    let access = accessCache.get(req);
    if (!access) accessCache.set(req, (access = this.deps.auth.access(principal)));
    return access;
  }

  /** Global admin (role admin, or the bootstrap token); a read-only token is not enough. */
  async requireAdmin(req: FastifyRequest): Promise<Principal> {
    if (!req.principal) throw new MaError(ErrorCode.AuthRequired, 'an admin API token is required: send "Authorization: Bearer <token>" (or log in as an admin)');
    if (!(await this.access(req)).isAdmin) throw new MaError(ErrorCode.AuthForbidden, 'only an admin may do this');
    return req.principal;
  }

  /**
   * The node, if the principal holds `permission` on it. A node the principal cannot view is
   * answered exactly like one that does not exist (404), so its existence does not leak;
   * one it can view but not, say, actuate is a 403.
   */
  async authorize(req: FastifyRequest, nodeName: string, permission: Permission): Promise<NodeRow> {
    const access = await this.access(req);
    const row = await this.deps.store.getNodeByName(nodeName);
    return this.#check(access, row, nodeName, permission);
  }

  /** As `authorize`, for a node known by id (a channel's node). */
  async authorizeNodeId(req: FastifyRequest, nodeId: number, permission: Permission): Promise<NodeRow> {
    const access = await this.access(req);
    const row = await this.deps.store.getNodeById(nodeId);
    return this.#check(access, row, String(nodeId), permission);
  }

  /** The channel and its node, if the principal holds `permission` on the node; else 404 (cannot view) or 403. */
  async authorizeChannel(req: FastifyRequest, channelId: number, permission: Permission): Promise<{ channel: ChannelRow; node: NodeRow }> {
    const access = await this.access(req);
    const channel = await this.deps.store.getChannel(channelId);
    const node = channel && (await this.deps.store.getNodeById(channel.node_id));
    if (!channel || !node || !access.can(node, 'view')) throw new MaError(ErrorCode.NotFound, `no channel with id ${channelId}`);
    return { channel, node: this.#check(access, node, node.name, permission) };
  }

  #check(access: Access, row: NodeRow | undefined, shownName: string, permission: Permission): NodeRow {
    if (!row || !access.can(row, 'view')) throw new MaError(ErrorCode.NotFound, `no node named ${JSON.stringify(shownName)}`);
    if (!access.can(row, permission)) throw new MaError(ErrorCode.AuthForbidden, `you may view node ${row.name} but not ${permission} it; ask an admin for the grant`);
    return row;
  }

  /** A predicate over nodes: may the principal view this one? */
  async canView(req: FastifyRequest): Promise<(node: { name: string }) => boolean> {
    const access = await this.access(req);
    return (node) => access.can(node, 'view');
  }

  /** Appends to the audit log, as the request's principal, from the request's address. */
  audit(req: FastifyRequest, entry: Omit<AuditEntry, 'actor' | 'ip'> & { actor?: string }): Promise<void> {
    return this.deps.auth.audit({ actor: req.principal?.actor ?? 'anonymous', ip: req.ip, ...entry });
  }

  async nodeByName(name: string): Promise<NodeRow> {
    const row = await this.deps.store.getNodeByName(name);
    if (!row) throw new MaError(ErrorCode.NotFound, `no node named ${JSON.stringify(name)}`);
    return row;
  }

  async nodeSummary(row: NodeRow): Promise<NodeSummary> {
    return toNodeSummary(row, await this.deps.store.getNodeStats(row.id), this.deps.tunnelPortBase, this.deps.offlineAfterMs);
  }
}
