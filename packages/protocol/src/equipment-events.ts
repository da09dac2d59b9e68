import { z } from 'zod';
import { actuatorKey, actuatorStateValueSchema, equipmentKey, lockoutModeSchema, readerKey, sessionModelSchema } from './equipment.js';

/**
 * Equipment events a node publishes inside an events batch (`ma/v1/<n>/events`, field
 * `equipment`). Every one carries `ts` (node wall clock, ms). Raw card ids travel only in
 * `rfid_scan`, over the node's own TLS link; the server keeps a keyed hash of them.
 */

const ts = z.number().int().positive();
const scanId = z.string().min(1).max(64);
/** A card id as the reader produced it, normalised (see `normaliseCardId`). */
export const cardIdSchema = z.string().min(1).max(64).regex(/^[0-9A-Z]+$/, 'a card id of digits and uppercase letters');

export const rfidScanEventSchema = z.object({
  type: z.literal('rfid_scan'),
  ts,
  scan_id: scanId,
  reader: readerKey,
  card_id: cardIdSchema,
  /** The equipment this reader guards, when configured. */
  equipment: equipmentKey.optional(),
});

export const accessDecisionEventSchema = z.object({
  type: z.literal('access_decision'),
  ts,
  scan_id: scanId,
  equipment: equipmentKey,
  allow: z.boolean(),
  /** The reason code (`trained`, `not_trained`, `revoked`, `entry_expired`, `list_expired`, `no_list`, `locked_out`, ...). */
  reason: z.string().min(1).max(64),
  /** `server`: answered within the deadline; `cache`: decided from the signed allow-list. */
  source: z.enum(['server', 'cache']),
  /** Allow-list version consulted (source `cache`). */
  list_version: z.number().int().nonnegative().optional(),
  person: z.string().max(128).optional(),
  /** How long the decision took from the scan, in ms. */
  latency_ms: z.number().nonnegative().optional(),
});

export const actuatorChangeCauseSchema = z.enum([
  'command',
  'access',
  'session_end',
  'safe_state',
  'max_on_time',
  'lockout',
  'interlock',
  'readback',
]);

export const actuatorChangedEventSchema = z.object({
  type: z.literal('actuator_changed'),
  ts,
  actuator: actuatorKey,
  state: actuatorStateValueSchema,
  previous: actuatorStateValueSchema,
  cause: actuatorChangeCauseSchema,
  by: z.string().max(128).optional(),
  reason: z.string().max(512).optional(),
  cmd_id: z.string().max(64).optional(),
  scan_id: scanId.optional(),
});

/** A request to turn something on that an interlock refused (command or tap), or an interlock that turned it off. */
export const interlockEventSchema = z.object({
  type: z.literal('interlock_refused'),
  ts,
  actuator: actuatorKey,
  rule: z.string().max(256),
  message: z.string().max(512),
  cmd_id: z.string().max(64).optional(),
  scan_id: scanId.optional(),
});

export const actuatorFaultEventSchema = z.object({
  type: z.literal('actuator_fault'),
  ts,
  actuator: actuatorKey,
  /** `readback_mismatch`, `unreachable`, `write_failed`; `recovered` when it clears. */
  code: z.enum(['readback_mismatch', 'unreachable', 'write_failed', 'recovered']),
  message: z.string().max(512),
});

export const lockoutEventSchema = z.object({
  type: z.literal('lockout_changed'),
  ts,
  actuator: actuatorKey,
  /** `set` (pending for maintenance until idle), `applied` (the actuator was switched off for it), `cleared`. */
  action: z.enum(['set', 'applied', 'cleared']),
  mode: lockoutModeSchema,
  by: z.string().max(128),
  reason: z.string().max(512),
});

export const sessionEventSchema = z.object({
  type: z.enum(['session_started', 'session_extended', 'session_coast_down', 'session_ended']),
  ts,
  equipment: equipmentKey,
  scan_id: scanId.optional(),
  person: z.string().max(128).optional(),
  session: sessionModelSchema.optional(),
  /** For `session_ended`: `tap`, `card_removed`, `timeout`, `idle`, `lockout`, `max_on_time`, `interlock`, `safe_state`. */
  reason: z.string().max(64).optional(),
  /** When the session will end unless extended (timed sessions). */
  ends_at: ts.optional(),
});

export const readerFaultEventSchema = z.object({
  type: z.literal('reader_fault'),
  ts,
  reader: readerKey,
  message: z.string().max(512),
  /** Malformed frames / bad checksums dropped so far by this reader. */
  dropped: z.number().int().nonnegative().optional(),
});

export const equipmentEventSchema = z.discriminatedUnion('type', [
  rfidScanEventSchema,
  accessDecisionEventSchema,
  actuatorChangedEventSchema,
  interlockEventSchema,
  actuatorFaultEventSchema,
  lockoutEventSchema,
  sessionEventSchema.extend({ type: z.literal('session_started') }),
  sessionEventSchema.extend({ type: z.literal('session_extended') }),
  sessionEventSchema.extend({ type: z.literal('session_coast_down') }),
  sessionEventSchema.extend({ type: z.literal('session_ended') }),
  readerFaultEventSchema,
]);
export type EquipmentEvent = z.infer<typeof equipmentEventSchema>;
export type EquipmentEventType = EquipmentEvent['type'];
export type RfidScanEvent = z.infer<typeof rfidScanEventSchema>;
export type AccessDecisionEvent = z.infer<typeof accessDecisionEventSchema>;

/** Card ids compare after trimming and upper-casing (readers differ in the case of hex digits). */
export function normaliseCardId(raw: string): string {
  return raw.trim().toUpperCase();
}
