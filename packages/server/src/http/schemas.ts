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

export const nodeNameParam = {
  type: 'object',
  properties: { node: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$' } },
  required: ['node'],
} as const;
