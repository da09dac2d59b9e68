import { NODE_NAME_PATTERN } from '@ma/protocol';

/** JSON schemas of the API's responses; fastify validates and serialises with them. */

const nullable = (type: string) => ({ type: [type, 'null'] });

export const nodeStatsSchema = {
  type: 'object',
  properties: {
    readings_stored: { type: 'integer' },
    readings_duplicate: { type: 'integer' },
    messages_rejected: { type: 'integer' },
    publishes_refused: { type: 'integer' },
    auth_failures: { type: 'integer' },
    client_ids_refused: { type: 'integer' },
    last_reject_reason: nullable('string'),
    last_reject_at: nullable('integer'),
  },
} as const;

export const nodeSummarySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    display_name: { type: 'string' },
    online: { type: 'boolean' },
    last_seen: nullable('integer'),
    created_at: { type: 'integer' },
    agent_version: nullable('string'),
    hostname: nullable('string'),
    ip: nullable('string'),
    boot_id: nullable('string'),
    started_at: nullable('integer'),
    tunnel_port: { type: 'integer' },
    stats: nodeStatsSchema,
  },
} as const;

export const channelSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    node: { type: 'string' },
    node_id: { type: 'integer' },
    key: { type: 'string' },
    kind: { type: 'string' },
    driver: { type: 'string' },
    quantity: nullable('string'),
    unit: { type: 'string' },
    label: { type: 'string' },
    user_label: nullable('string'),
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    available: { type: 'boolean' },
    error: nullable('string'),
    last_ts: nullable('integer'),
    last_value: nullable('number'),
  },
} as const;

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'integer' }, message: { type: 'string' } } } },
} as const;

const numbers = { type: 'array', items: { type: 'number' } } as const;

export const seriesSchema = {
  type: 'object',
  properties: {
    channel: { type: 'integer' },
    from: { type: 'integer' },
    to: { type: 'integer' },
    bucket_ms: { type: 'integer' },
    source: { type: 'string', enum: ['raw', 'minute', 'hour'] },
    t: numbers,
    avg: numbers,
    min: numbers,
    max: numbers,
    count: numbers,
  },
} as const;

export const NODE_NAME_SCHEMA = { type: 'string', pattern: NODE_NAME_PATTERN.source } as const;

export const nodeNameParam = {
  type: 'object',
  properties: { node: NODE_NAME_SCHEMA },
  required: ['node'],
} as const;

/** The same node-name check for routes whose parameter is called `name`. */
export const nodeNamedParam = {
  type: 'object',
  properties: { name: NODE_NAME_SCHEMA },
  required: ['name'],
} as const;

/** An object response whose fields are listed for the document but not exhaustively (fastify keeps the rest). */
export const openObject = (properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: true, properties }) as const;

/** A body that is not JSON, for the OpenAPI document only (fastify does not serialise it). */
export const documentedBody = (contentType: string, description: string) => ({ description, content: { [contentType]: { schema: { type: 'string' } } } });

