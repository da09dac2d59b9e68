/**
 * Response schemas of the alert routes, for the OpenAPI document and fastify's serialiser.
 * Objects stay open (`additionalProperties: true`): fastify drops undeclared fields when it
 * serialises, and a rule's spec is a union the rule schema (alerts/rule.ts) already defines.
 */
const nullable = (type: string) => ({ type: [type, 'null'] });
const open = (properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: true, properties }) as const;

export const alertSchema = open({
  id: { type: 'integer' },
  rule_id: { type: 'integer' },
  subject: { type: 'string' },
  node: { type: 'string' },
  node_id: { type: 'integer' },
  channel_id: nullable('integer'),
  state: { type: 'string', enum: ['pending', 'firing', 'resolved'] },
  severity: { type: 'string' },
  since: { type: 'integer' },
  fired_at: nullable('integer'),
  resolved_at: nullable('integer'),
  value: nullable('number'),
  summary: { type: 'string' },
  acked_at: nullable('integer'),
  acked_by: nullable('string'),
  ack_note: nullable('string'),
  duration_ms: { type: 'integer' },
});

export const alertListSchema = { type: 'object', properties: { alerts: { type: 'array', items: alertSchema } } } as const;

export const ruleSchema = open({
  id: { type: 'integer' },
  name: { type: 'string' },
  target: { type: 'object', additionalProperties: true },
  condition: { type: 'object', additionalProperties: true },
  recipients: { type: 'array', items: { type: 'object', additionalProperties: true } },
  created_at: { type: 'integer' },
  updated_at: { type: 'integer' },
});

export const ruleListSchema = { type: 'object', properties: { rules: { type: 'array', items: ruleSchema } } } as const;

export const deletedSchema = { type: 'object', properties: { deleted: { type: 'integer' } } } as const;

export const previewSchema = open({
  from: { type: 'integer' },
  to: { type: 'integer' },
  channels: { type: 'array', items: { type: 'object', additionalProperties: true } },
});

export const deliverySchema = open({
  id: { type: 'integer' },
  alert_id: { type: 'integer' },
  event: { type: 'string' },
  recipient: { type: 'string' },
  state: { type: 'string' },
  attempts: { type: 'integer' },
  last_error: nullable('string'),
  created_at: { type: 'integer' },
  sent_at: nullable('integer'),
});

export const deliveryListSchema = { type: 'object', properties: { deliveries: { type: 'array', items: deliverySchema } } } as const;

export const silenceSchema = open({
  id: { type: 'integer' },
  rule_id: nullable('integer'),
  node: nullable('string'),
  starts_at: { type: 'integer' },
  ends_at: { type: 'integer' },
  reason: { type: 'string' },
  created_by: { type: 'string' },
  created_at: { type: 'integer' },
});

export const silenceListSchema = { type: 'object', properties: { silences: { type: 'array', items: silenceSchema } } } as const;

export const endedSchema = { type: 'object', properties: { ended: { type: 'integer' } } } as const;
