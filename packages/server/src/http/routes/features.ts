import type { FeaturesResponse } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { doc } from '../context.js';
import { SERVER_FEATURES } from '../features.js';

export function registerFeatureRoutes(app: FastifyInstance): void {
  const flag = { type: 'boolean' } as const;
  app.get(
    '/api/v1/features',
    {
      // Public: the dashboard asks before anyone has logged in, and it tells nothing about nodes.
      config: { public: true },
      schema: doc({
        summary: 'Optional features this server has (the dashboard shows their pages only when true)',
        tags: ['dashboard'],
        response: {
          200: {
            type: 'object',
            properties: { features: { type: 'object', properties: { alerts: flag, photos: flag, access: flag, users: flag } } },
          },
        },
      }),
    },
    async (): Promise<FeaturesResponse> => ({ features: { ...SERVER_FEATURES } }),
  );
}
