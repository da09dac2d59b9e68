import { durationSchema, NODE_NAME_PATTERN } from '@ma/protocol';
import { z } from 'zod';
import { accessConfigSchema, equipmentConfigSchema } from '../access/access-config.js';
import { readersConfigSchema } from '../access/readers/readers-config.js';
import { actuatorsConfigSchema } from '../actuators/actuators-config.js';
import { tunnelConfigSchema } from '../tunnel/tunnel-config.js';
import { camerasConfigSchema, photoUploadSchema } from '../cameras/cameras-config.js';

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

const SIZE_FORM = 'a size such as 268435456, "256MiB" or "100MB"';

/** A byte size: a number, or a string such as "256MiB" or "10 MB". */
export const byteSizeSchema = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((v, ctx) => {
      if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
      const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v) : null;
      const factor = m ? SIZE_UNITS[(m[2] ?? '').toLowerCase()] : undefined;
      if (!m || factor === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: SIZE_FORM });
        return z.NEVER;
      }
      return Math.round(Number(m[1]) * factor);
    })
    .describe(SIZE_FORM);

/** One entry of `drivers:`; the driver's own keys are validated by its descriptor's schema. */
export const driverEntrySchema = z.object({ driver: z.string().min(1) }).passthrough();

export const agentConfigSchema = z
  .object({
    /** This node's name, as registered on the server (`ma node add <name>`). */
    node: z.string().regex(NODE_NAME_PATTERN, 'a node name: lowercase letters, digits and dashes, e.g. "freezer-room-2"'),
    server: z
      .object({
        /** `mqtt://`, `mqtts://`, `ws://` or `wss://` URL of the control point's broker. */
        mqtt_url: z.string().regex(/^(mqtts?|wss?):\/\/[^\s]+$/, 'an mqtt://, mqtts://, ws:// or wss:// URL'),
        /** The node's credential; or use credential_file. */
        credential: z.string().min(8).optional(),
        credential_file: z.string().optional(),
        /** PEM file of the CA to trust for TLS (a private CA is pinned here); verification is never disabled. */
        ca_file: z.string().optional(),
      })
      .strict()
      .refine((s) => s.credential !== undefined || s.credential_file !== undefined, {
        message: 'either server.credential or server.credential_file',
      }),
    /** State directory: the outbox lives here. */
    data_dir: z.string().default('/var/lib/ma-agent'),
    outbox: z
      .object({
        max_bytes: byteSizeSchema('256MiB'),
        segment_bytes: byteSizeSchema('4MiB'),
        /** Group commit window: appends within it share one fsync. 0 = fsync every append. */
        fsync_interval: durationSchema('200ms'),
        /**
         * Keep acknowledged records on disk until the size bound needs their space, so
         * `ma outbox export --all` and `ma outbox replay` can resend them (e.g. after the
         * server's database was restored from a backup). Off: acked segments are deleted at once.
         */
        retain_acked: z.boolean().default(false),
        /** A `disk_low` event is sent when the outbox uses this share of max_bytes. */
        disk_low_pct: z.number().min(1).max(99).default(80),
      })
      .strict()
      .default({}),
    uplink: z
      .object({
        /** Most readings in one MQTT message. */
        batch_max: z.number().int().min(1).max(5000).default(500),
        /** How long a reading may wait for others to share its message. */
        batch_linger: durationSchema('500ms'),
        /** Batches published but not yet acknowledged, at most. */
        max_inflight: z.number().int().min(1).max(64).default(4),
        /** How often the retained online status is refreshed. */
        heartbeat: durationSchema('30s'),
        reconnect_min: durationSchema('1s'),
        reconnect_max: durationSchema('60s'),
        /**
         * While a backlog drains (oldest first), the newest readings are also sent this often,
         * so the dashboard stays live; the server stores each reading once either way.
         */
        live_interval: durationSchema('1s'),
        /**
         * `puback` (embedded broker: its PUBACK is sent after the server committed) or `server`
         * (external broker such as Mosquitto: wait for the server's ack on ma/v1/<node>/ack).
         */
        ack: z.enum(['puback', 'server']).default('puback'),
        /** With ack: server, a batch not acknowledged this long is sent again. */
        ack_timeout: durationSchema('30s'),
      })
      .strict()
      .default({}),
    clock: z
      .object({
        /**
         * How to tell whether the wall clock is synchronised: `{ command: "..." }` (default
         * `timedatectl show -p NTPSynchronized --value`, synced when it prints "yes") or
         * `{ file: path }` (synced when the file says "yes"; a fake clock for tests).
         */
        sync_check: z
          .union([z.object({ command: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()])
          .default({ command: 'timedatectl show -p NTPSynchronized --value' }),
        check_interval: durationSchema('10s'),
      })
      .strict()
      .default({}),
    /**
     * How long a stop (SIGTERM) may take at most. The outbox gets the last part of it to write
     * what it holds in memory; what it cannot write by then (a full disk) is counted as dropped.
     */
    stop_timeout: durationSchema('10s'),
    /** How often drivers that support it look for new devices (e.g. a probe plugged in). */
    rediscover_interval: durationSchema('60s'),
    /** Reverse SSH tunnel to the control point, so people can reach this node behind NAT (docs/remote-access.md). */
    tunnel: tunnelConfigSchema.default({}),
    /** Let people with admin or ssh on this node read its recent logs through the server (`ma logs <node>`). */
    remote_logs: z.boolean().default(true),
    drivers: z.array(driverEntrySchema).min(1, 'at least one driver, e.g. [{ driver: ds18b20 }]'),
    /** Safety settings per actuator (by the `name:` of its driver entry): docs/equipment.md. */
    actuators: actuatorsConfigSchema,
    /** Card readers by name. */
    readers: readersConfigSchema,
    /** Equipment: actuators switched together, the reader that unlocks them, the session model. */
    equipment: equipmentConfigSchema,
    /** Access control: the pinned allow-list key. */
    access: accessConfigSchema,
    /** Cameras taking periodic photos, masked on the node (docs/cameras.md). */
    cameras: camerasConfigSchema,
    /** The durable photo spool and its upload to the server (docs/cameras.md). */
    camera_upload: photoUploadSchema,
  })
  .strict();

export type AgentConfig = z.output<typeof agentConfigSchema>;
