import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import {
  ErrorCode,
  httpStatusFor,
  isMaError,
  MaError,
  type ChannelListResponse,
  type CreateNodeResponse,
  type LiveMessage,
  type NodeDetail,
  type NodeListResponse,
} from '@ma/protocol';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, type FastifySchema } from 'fastify';
import type { Logger } from 'pino';
import { createWebSocketStream } from 'ws';
import { verifyToken } from '../broker/credentials.js';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import type { LiveHub } from '../live/live-hub.js';
import { agentConfigFor, type NodeRegistry } from '../nodes/node-registry.js';
import type { Store } from '../store/store.js';
import { collectOpenApi } from './openapi.js';
import { channelSchema, errorSchema, nodeNameParam, nodeSummarySchema, seriesSchema } from './schemas.js';
import { parseTimeParam } from './time-param.js';
import { toChannelSummary, toNodeSummary } from './views.js';

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
const doc = (s: FastifySchema & { summary?: string; tags?: string[]; hide?: boolean }): FastifySchema => s;

const LIVE_MAX_BUFFERED = 4 * 1024 * 1024;

export function defaultWebDist(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // packages/server/dist/http -> packages/web/dist
  const candidate = path.resolve(here, '../../../web/dist');
  return existsSync(path.join(candidate, 'index.html')) ? candidate : undefined;
}

export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log.child({ name: 'server.http' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 1024 * 1024 });
  const openapi = collectOpenApi(app, { title: 'Monitor Actuator API', version: deps.version });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (isMaError(err)) {
      return reply.status(httpStatusFor(err.code)).send({ error: { code: err.code, message: err.message } });
    }
    const fe = err as { validation?: unknown; statusCode?: number; message?: string };
    if (fe.validation) {
      return reply.status(400).send({ error: { code: ErrorCode.InputInvalid, message: fe.message ?? 'invalid request' } });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send({ error: { code: ErrorCode.InputInvalid, message: fe.message ?? 'bad request' } });
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: { code: ErrorCode.Internal, message: 'internal error; see the server log' } });
  });

  await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024 } });

  const requireAdmin = (req: FastifyRequest): void => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token) throw new MaError(ErrorCode.AuthRequired, 'an admin API token is required: send "Authorization: Bearer <token>"');
    if (!deps.adminTokenHashes.some((h) => verifyToken(token, h))) throw new MaError(ErrorCode.AuthForbidden, 'this token is not an admin token');
  };

  const nodeSummary = async (row: Awaited<ReturnType<Store['listNodes']>>[number]) =>
    toNodeSummary(row, await deps.store.getNodeStats(row.id), deps.tunnelPortBase, deps.offlineAfterMs);

  const nodeByName = async (name: string) => {
    const row = await deps.store.getNodeByName(name);
    if (!row) throw new MaError(ErrorCode.NotFound, `no node named ${JSON.stringify(name)}`);
    return row;
  };

  app.get('/healthz', { schema: doc({ hide: true }) }, async () => ({
    status: 'ok',
    version: deps.version,
    database: deps.store.dialect,
    mqtt_clients: deps.broker?.connectedClients ?? 0,
    live_clients: deps.live.size,
  }));

  app.get('/api/openapi.json', async () => openapi());

  app.get(
    '/api/v1/nodes',
    { schema: doc({ summary: 'List nodes', tags: ['nodes'], response: { 200: { type: 'object', properties: { nodes: { type: 'array', items: nodeSummarySchema } } } } }) },
    async (): Promise<NodeListResponse> => ({ nodes: await Promise.all((await deps.store.listNodes()).map(nodeSummary)) }),
  );

  app.post<{ Body: { name: string; display_name?: string } }>(
    '/api/v1/nodes',
    {
      schema: doc({
        summary: 'Create a node and its credential (admin token required)',
        tags: ['nodes'],
        body: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1, maxLength: 63 }, display_name: { type: 'string', maxLength: 128 } },
          required: ['name'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: { node: nodeSummarySchema, credential: { type: 'string' }, mqtt_url: { type: 'string' }, agent_config: { type: 'string' } },
          },
          '4xx': errorSchema,
        },
      }),
    },
    async (req, reply): Promise<CreateNodeResponse> => {
      requireAdmin(req);
      const { node, credential } = await deps.registry.create(req.body.name, req.body.display_name);
      const mqttUrl = deps.mqttUrl();
      reply.status(201);
      return { node: await nodeSummary(node), credential, mqtt_url: mqttUrl, agent_config: agentConfigFor(node.name, credential, mqttUrl) };
    },
  );

  app.get<{ Params: { node: string } }>(
    '/api/v1/nodes/:node',
    {
      schema: doc({
        summary: 'One node with its channels and ingest statistics',
        tags: ['nodes'],
        params: nodeNameParam,
        response: { 200: { ...nodeSummarySchema, properties: { ...nodeSummarySchema.properties, channels: { type: 'array', items: channelSchema } } }, '4xx': errorSchema },
      }),
    },
    async (req): Promise<NodeDetail> => {
      const row = await nodeByName(req.params.node);
      const channels = (await deps.store.listChannels(row.id)).map((c) => toChannelSummary(c, row.name));
      return { ...(await nodeSummary(row)), channels };
    },
  );

  app.get<{ Querystring: { node?: string } }>(
    '/api/v1/channels',
    {
      schema: doc({
        summary: 'List channels, optionally of one node',
        tags: ['channels'],
        querystring: { type: 'object', properties: { node: { type: 'string' } } },
        response: { 200: { type: 'object', properties: { channels: { type: 'array', items: channelSchema } } }, '4xx': errorSchema },
      }),
    },
    async (req): Promise<ChannelListResponse> => {
      const nodes = await deps.store.listNodes();
      const names = new Map(nodes.map((n) => [n.id, n.name]));
      let nodeId: number | undefined;
      if (req.query.node !== undefined) nodeId = (await nodeByName(req.query.node)).id;
      const rows = await deps.store.listChannels(nodeId);
      return { channels: rows.map((c) => toChannelSummary(c, names.get(c.node_id) ?? String(c.node_id))) };
    },
  );

  app.get<{ Querystring: { channel: number; from?: string; to?: string; points?: number } }>(
    '/api/v1/readings',
    {
      schema: doc({
        summary: 'Readings of one channel, downsampled (min/max preserving) to at most `points` points',
        tags: ['readings'],
        querystring: {
          type: 'object',
          properties: {
            channel: { type: 'integer', minimum: 1 },
            from: { type: 'string', description: 'ms since the epoch or ISO 8601; default: one hour before `to`' },
            to: { type: 'string', description: 'ms since the epoch or ISO 8601; default: now' },
            points: { type: 'integer', minimum: 2, maximum: 10000, default: 1000 },
          },
          required: ['channel'],
        },
        response: { 200: seriesSchema, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const to = parseTimeParam('to', req.query.to, Date.now());
      const from = parseTimeParam('from', req.query.from, to - 3_600_000);
      if (from >= to) throw new MaError(ErrorCode.InputInvalid, `query parameters: from (${from}) must be before to (${to})`);
      const channel = await deps.store.getChannel(req.query.channel);
      if (!channel) throw new MaError(ErrorCode.NotFound, `no channel with id ${req.query.channel}`);
      return deps.store.queryReadings(channel.id, from, to, req.query.points ?? 1000);
    },
  );

  app.get('/api/v1/live', { websocket: true }, (socket) => {
    const send = (m: LiveMessage): boolean => {
      if (socket.readyState !== socket.OPEN) return false;
      // A dashboard that cannot keep up is disconnected (it reconnects and refetches),
      // rather than letting its queue grow without bound.
      if (socket.bufferedAmount > LIVE_MAX_BUFFERED) {
        socket.close(1013, 'too slow');
        return false;
      }
      socket.send(JSON.stringify(m));
      return true;
    };
    const unsubscribe = deps.live.subscribe({ send });
    socket.on('close', unsubscribe);
    socket.on('error', unsubscribe);
    send({ type: 'hello', server_time: Date.now() });
  });

  if (deps.broker) {
    const broker = deps.broker;
    app.get('/mqtt', { websocket: true }, (socket) => {
      const stream = createWebSocketStream(socket);
      stream.on('error', () => stream.destroy());
      broker.handle(stream);
    });
  }

  if (deps.webDistDir) {
    await app.register(fastifyStatic, { root: deps.webDistDir, wildcard: false, maxAge: '1h' });
    app.setNotFoundHandler((req, reply) => {
      if (req.method === 'GET' && !req.url.startsWith('/api/') && !req.url.startsWith('/mqtt')) {
        return reply.header('cache-control', 'no-cache').sendFile('index.html');
      }
      return reply.status(404).send({ error: { code: ErrorCode.NotFound, message: `no route ${req.method} ${req.url.split('?')[0]}` } });
    });
  } else {
    app.get('/', async (_req, reply) =>
      reply.type('text/plain').send('Monitor Actuator server is running. The dashboard is not built: run `npm run build` at the repository root.\n'),
    );
  }

  return app;
}
