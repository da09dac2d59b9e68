import { z } from 'zod';
import { CHANNEL_KEY_PATTERN } from './topics.js';
import { allowListReportSchema } from './allow-list.js';
import { equipmentEventSchema } from './equipment-events.js';

/** Wire payloads, version 1. Keys are snake_case on the wire. */

export const channelKey = z.string().regex(CHANNEL_KEY_PATTERN, 'a channel key like "ds18b20/28-00000c1a748d"');

export const channelKindSchema = z.enum(['sensor', 'actuator']);

/** What a node tells the server about one of its channels. */
export const channelMetaSchema = z.object({
  kind: channelKindSchema,
  driver: z.string().min(1).max(64),
  /** Physical quantity, e.g. `temperature`, `humidity`, `load`. */
  quantity: z.string().max(64).optional(),
  unit: z.string().max(16),
  label: z.string().max(128).optional(),
  labels: z.record(z.string().max(64), z.string().max(256)).optional(),
});
export type ChannelMeta = z.infer<typeof channelMetaSchema>;

/**
 * One reading. `(node, seq)` identifies it forever: `seq` is the agent outbox's sequence.
 * `ts` is wall time in ms since the epoch as the agent saw it; when `sync` is false the
 * agent's clock was not synchronised and `boot`/`mono` allow later correction.
 */
export const readingSchema = z.object({
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  ch: channelKey,
  ts: z.number().int().positive(),
  v: z.number().finite(),
  sync: z.boolean().optional(),
  boot: z.string().max(64).optional(),
  mono: z.number().nonnegative().optional(),
})
  // Unknown fields are refused, not silently dropped: a batch is what it says, nothing rides along.
  .strict();
export type Reading = z.infer<typeof readingSchema>;

export const MAX_BATCH_READINGS = 5000;

export const telemetryBatchSchema = z.object({
  v: z.literal(1),
  readings: z.array(readingSchema).min(1).max(MAX_BATCH_READINGS),
  /** Metadata for channels in this batch; sent after each (re)connect and when it changes. */
  channels: z.record(channelKey, channelMetaSchema).optional(),
}).strict();
export type TelemetryBatch = z.infer<typeof telemetryBatchSchema>;

export const channelHealthSchema = z.object({
  available: z.boolean(),
  error: z.string().max(512).optional(),
});

export const statusSchema = z.object({
  v: z.literal(1),
  state: z.enum(['online', 'offline']),
  ts: z.number().int().positive().optional(),
  agent_version: z.string().max(64).optional(),
  boot_id: z.string().max(64).optional(),
  hostname: z.string().max(255).optional(),
  ip: z.string().max(64).optional(),
  started_at: z.number().int().positive().optional(),
  channels: z.record(channelKey, channelHealthSchema).optional(),
  outbox: z
    .object({
      pending: z.number().int().nonnegative(),
      dropped: z.number().int().nonnegative(),
      last_seq: z.number().int().nonnegative().optional(),
      acked_seq: z.number().int().nonnegative().optional(),
      bytes: z.number().int().nonnegative().optional(),
      /** Set while the disk is full and new readings are only in memory. */
      degraded: z.enum(['disk_full']).optional(),
    })
    .optional(),
  /** Whether the node's wall clock is synchronised (readings taken before are mapped later). */
  clock_synced: z.boolean().optional(),
  /** The signed allow-list the node holds (version 0: none yet), when it has card readers. */
  allow_list: allowListReportSchema.optional(),
  /** The last delivery fault (e.g. tls_error), kept after recovery so it shows in the status. */
  last_fault: z
    .object({ state: z.string().max(32), message: z.string().max(512), since: z.number().int().positive(), until: z.number().int().positive().optional() })
    .optional(),
  /** The reverse SSH tunnel, when enabled: up, down (connecting/retrying) or error, with the last ssh error. */
  tunnel: z
    .object({
      state: z.enum(['up', 'down', 'error']),
      transport: z.enum(['direct', 'websocket']),
      remote_port: z.number().int().positive().optional(),
      since: z.number().int().positive(),
      last_error: z.string().max(512).optional(),
      last_error_at: z.number().int().positive().optional(),
      restarts: z.number().int().nonnegative(),
    })
    .optional(),
  /** Cameras (issue #16): the photo spool and each camera's health, when the node has cameras. */
  cameras: z
    .object({
      spool: z.object({ pending: z.number().int().nonnegative(), bytes: z.number().int().nonnegative(), dropped: z.number().int().nonnegative(), refused: z.number().int().nonnegative() }),
      cameras: z
        .array(
          z.object({
            name: z.string().max(40),
            photos: z.number().int().nonnegative(),
            consecutive_failures: z.number().int().nonnegative(),
            fault: z.string().max(512).nullable(),
            last_photo_at: z.number().int().positive().nullable(),
          }),
        )
        .max(32),
    })
    .optional(),
});
export type Status = z.infer<typeof statusSchema>;

export const eventTypeSchema = z.enum(['channel_unavailable', 'channel_available', 'agent_fault', 'agent_started', 'disk_low']);

export const eventSchema = z.object({
  ts: z.number().int().positive(),
  type: eventTypeSchema,
  ch: channelKey.optional(),
  message: z.string().max(2048).optional(),
});
export type NodeEvent = z.infer<typeof eventSchema>;

/**
 * A batch on `ma/v1/<n>/events`: agent events and/or equipment events (scans, decisions,
 * actuator changes; see equipment-events.ts). At least one of the two is non-empty.
 */
export const eventBatchSchema = z
  .object({
    v: z.literal(1),
    events: z.array(eventSchema).max(1000),
    equipment: z.array(equipmentEventSchema).max(1000).optional(),
  })
  .strict()
  .refine((b) => b.events.length > 0 || (b.equipment?.length ?? 0) > 0, { message: 'an events batch carries at least one event', path: ['events'] });
export type EventBatch = z.infer<typeof eventBatchSchema>;

/** Published by the server on `ma/v1/<n>/ack` once a telemetry batch is committed (or refused for good). */
export const telemetryAckSchema = z.object({
  v: z.literal(1),
  first_seq: z.number().int().nonnegative(),
  last_seq: z.number().int().nonnegative(),
});
export type TelemetryAck = z.infer<typeof telemetryAckSchema>;

/** The retained last-will payload: what the broker publishes when a node vanishes. */
export const OFFLINE_STATUS: Status = { v: 1, state: 'offline' };
