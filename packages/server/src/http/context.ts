import { ErrorCode, MaError, type NodeSummary } from '@ma/protocol';
import type { FastifyRequest, FastifySchema } from 'fastify';
import type { Logger } from 'pino';
import { verifyToken } from '../broker/credentials.js';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import type { LiveHub } from '../live/live-hub.js';
import type { NodeRegistry } from '../nodes/node-registry.js';
import type { NodeRow, Store } from '../store/store.js';
import { toNodeSummary } from './views.js';

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
  /** SHA-256 digests of accepted admin tokens. */
  adminTokenHashes: string[];
  /** URL agents use for MQTT, written into generated agent configs. */
  mqttUrl(): string;
  webDistDir: string | undefined;
}

/** Route schemas carry OpenAPI's summary and tags beside what fastify validates. */
export const doc = (s: FastifySchema & { summary?: string; tags?: string[]; hide?: boolean; description?: string }): FastifySchema => s;

/** Shared helpers every route module uses; one instance per server. */
export class HttpContext {
  constructor(readonly deps: HttpDeps) {}

  requireAdmin(req: FastifyRequest): void {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token) throw new MaError(ErrorCode.AuthRequired, 'an admin API token is required: send "Authorization: Bearer <token>"');
    if (!this.deps.adminTokenHashes.some((h) => verifyToken(token, h))) throw new MaError(ErrorCode.AuthForbidden, 'this token is not an admin token');
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
