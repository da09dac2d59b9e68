import type { FastifyInstance, RouteOptions } from 'fastify';

interface OpenApiOperation {
  summary?: string;
  tags?: string[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/**
 * Builds the OpenAPI 3 document from the JSON schemas every route already declares, so the
 * document cannot drift from the validation that actually runs.
 */
export function collectOpenApi(app: FastifyInstance, info: { title: string; version: string }): () => unknown {
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/api/') || route.url === '/api/openapi.json') return;
    const schema = (route.schema ?? {}) as {
      summary?: string;
      tags?: string[];
      querystring?: { properties?: Record<string, unknown>; required?: string[] };
      params?: { properties?: Record<string, unknown> };
      body?: unknown;
      response?: Record<string, unknown>;
    };
    const url = route.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    for (const method of methods) {
      const parameters: unknown[] = [];
      for (const [name, s] of Object.entries(schema.params?.properties ?? {})) parameters.push({ name, in: 'path', required: true, schema: s });
      for (const [name, s] of Object.entries(schema.querystring?.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.querystring?.required?.includes(name) ?? false, schema: s });
      }
      const responses: Record<string, unknown> = {};
      for (const [code, s] of Object.entries(schema.response ?? { 200: {} })) {
        responses[code] = { description: code, content: { 'application/json': { schema: s } } };
      }
      const op: OpenApiOperation = { responses };
      if (schema.summary) op.summary = schema.summary;
      if (schema.tags) op.tags = schema.tags;
      if (parameters.length) op.parameters = parameters;
      if (schema.body) op.requestBody = { content: { 'application/json': { schema: schema.body } } };
      (paths[url] ??= {})[method.toLowerCase()] = op;
    }
  });
  return () => ({ openapi: '3.0.3', info, paths });
}
