import type { FastifyInstance } from 'fastify';
import { doc, type HttpContext } from '../context.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: HttpContext, openapi: () => unknown): void {
  const { deps } = ctx;
  app.get('/healthz', { schema: doc({ hide: true }) }, async () => ({
    status: 'ok',
    version: deps.version,
    database: deps.store.dialect,
    mqtt_clients: deps.broker?.connectedClients ?? 0,
    live_clients: deps.live.size,
  }));
  app.get('/api/openapi.json', { config: { public: true } }, async () => openapi());
}
