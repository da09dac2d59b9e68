import { durationSchema, parseDuration } from '@ma/protocol';
import { z } from 'zod';
import { alertsConfigSchema } from '../alerts/config-schema.js';

// 0 asks the OS for a free port (tests use it).
const port = z.number().int().min(0).max(65535).describe('an integer port 0–65535');

/**
 * The server's config file (server.yaml). One schema validates, types and documents it;
 * docs/configuration.md describes each key.
 */
export const serverConfigSchema = z
  .object({
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: port.default(8080),
        /** URL nodes and browsers use to reach this server; written into generated agent configs. */
        public_url: z.string().url().optional(),
        /**
         * Serve HTTPS/WSS (and MQTTS on mqtt.tcp) with this certificate; `ma init` writes one
         * from a private CA. Paths resolve against the config file. `ca_file` is the CA that
         * agents pin: its SHA-256 travels in enrollment tokens.
         */
        tls: z
          .object({ cert_file: z.string().min(1), key_file: z.string().min(1), ca_file: z.string().min(1).optional() })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    database: z
      .object({
        /** `sqlite:<path>` (default, relative to data_dir) or `postgres://user@host/db`. */
        url: z.string().min(1).default('sqlite:ma.db'),
      })
      .strict()
      .default({}),
    mqtt: z
      .object({
        /** MQTT over WebSocket on the HTTP port at /mqtt. */
        websocket: z.boolean().default(true),
        /**
         * The largest MQTT packet the embedded broker accepts, on every transport (TCP, TLS,
         * WebSocket). A bigger one closes the connection before its body is read and is counted
         * as a rejected message of the node. The default fits a full batch of 5000 readings.
         */
        max_packet_bytes: z.number().int().min(16 * 1024).max(256 * 1024 * 1024).default(2 * 1024 * 1024),
        tcp: z
          .object({
            enabled: z.boolean().default(false),
            host: z.string().default('127.0.0.1'),
            port: port.default(1883),
          })
          .strict()
          .default({}),
        /**
         * Scale-out: ingest from an external broker (Mosquitto 2, EMQX, ...) instead of the
         * embedded one. Nodes then connect to that broker; see docs/external-broker.md.
         */
        external: z
          .object({
            /** `mqtt://`, `mqtts://`, `ws://` or `wss://` URL of the broker (env MA_MQTT_URL). */
            url: z.string().regex(/^(mqtts?|wss?):\/\/[^\s]+$/, 'an mqtt://, mqtts://, ws:// or wss:// URL'),
            /** The server's own account on the broker. */
            username: z.string().min(1).default('ma-server'),
            /** File holding the server's broker password (env MA_MQTT_PASSWORD instead). */
            password_file: z.string().optional(),
            /** PEM CA to trust for mqtts/wss; verification is never disabled. */
            ca_file: z.string().optional(),
            /** Persistent-session client id; each server replica needs its own. */
            client_id: z.string().min(1).optional(),
            /** Replicas in one group share the ingest ($share/<group>/...). */
            share_group: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and -').default('ma-ingest'),
            /**
             * How node accounts reach the broker: `mosquitto-dynsec` creates, rotates and
             * disables them through Mosquitto's dynamic security plugin as credentials are
             * issued and revoked; `none` leaves them to the operator.
             */
            provisioning: z.enum(['mosquitto-dynsec', 'none']).default('mosquitto-dynsec'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    nodes: z
      .object({
        /** A node not heard from for this long is shown offline, even without a last-will. */
        offline_after: durationSchema('90s'),
        /** First reverse-tunnel port; a node's port is this plus its id. */
        tunnel_port_base: port.default(20000),
      })
      .strict()
      .default({}),
    api: z
      .object({
        /**
         * SHA-256 hex digests of admin API tokens (for `ma` and scripts) until per-user
         * tokens exist. MA_ADMIN_TOKEN adds one token in clear from the environment.
         */
        admin_token_sha256: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'a 64-character hex SHA-256 digest')).default([]),
      })
      .strict()
      .default({}),
    /** Reverse SSH tunnels to the nodes (docs/remote-access.md). */
    tunnels: z
      .object({
        /** The control point's unprivileged tunnel account (see `ma tunnel server-config`). */
        user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a Unix account name such as "ma-tunnel"').default('ma-tunnel'),
        /** Where the server writes that account's authorized_keys, generated from the registered node keys (relative to this file). Unset: not written. */
        authorized_keys_file: z.string().min(1).optional(),
        /** The sshd that tunnels carried over WebSocket (/tunnel/ssh) are bridged to. */
        sshd_host: z.string().default('127.0.0.1'),
        sshd_port: port.default(22),
        /** How often every tunnel is checked end to end (and authorized_keys re-synced, so revocations apply). */
        check_interval: durationSchema('30s'),
      })
      .strict()
      .default({}),
    auth: z
      .object({
        /** A login session ends after this long without a request... */
        session_idle: durationSchema('12h'),
        /** ...and after this long in any case. */
        session_max: durationSchema('7d'),
        /** How long a node enrollment token (`ma node add`) stays usable. */
        enrollment_ttl: durationSchema('24h'),
      })
      .strict()
      .default({}),
    /** Equipment, card readers and access control (docs/equipment.md). */
    equipment: z
      .object({
        /** How long the server has to answer a card scan; after it the node decides from its signed allow-list. */
        decision_deadline: durationSchema('300ms'),
        /** How long `POST .../switch` waits for the node's result; also the command's expiry on the node. */
        command_timeout: durationSchema('5s'),
        /** How often allow-lists are re-checked for changes that time alone brings (expiring trainings, schedules). */
        allow_list_refresh: durationSchema('30s'),
      })
      .strict()
      .default({}),
    /** Photos from node cameras (docs/cameras.md). */
    cameras: z
      .object({
        /** Where photo files are kept, by sha256; relative paths resolve against data_dir. */
        dir: z.string().default('photos'),
        /** Width of the thumbnails made on the server, in pixels. */
        thumbnail_width: z.number().int().min(32).max(2048).default(320),
        /** Largest photo a node may upload, in bytes. */
        max_photo_bytes: z.number().int().min(1024).default(20 * 1024 * 1024),
        /** Largest upload chunk, in bytes (agents send 256 KiB by default). */
        max_chunk_bytes: z.number().int().min(4096).max(16 * 1024 * 1024).default(1024 * 1024),
        /** Per camera, whichever is reached first; the oldest photos go. None set: photos are kept. */
        retention: z
          .object({
            max_age: z
              .union([z.string(), z.number()])
              .optional()
              .transform((v, ctx) => {
                if (v === undefined) return undefined;
                const ms = parseDuration(v);
                if (ms === undefined || ms <= 0) {
                  ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a duration such as "30d" or "12h"' });
                  return z.NEVER;
                }
                return ms;
              })
              .describe('a duration such as "30d" or "12h"'),
            max_count: z.number().int().min(1).optional(),
            max_bytes: z.number().int().min(1).optional(),
            /** How often the limits are applied. */
            check_interval: durationSchema('10m'),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    /** Alert evaluation and notifications (SMTP); see alerts/config-schema.ts and docs/alerts.md. */
    alerts: alertsConfigSchema,
    web: z
      .object({
        /** Directory of the built dashboard; defaults to the web package's dist/. */
        dist_dir: z.string().optional(),
      })
      .strict()
      .default({}),
    /** Where the SQLite file and other state live; relative paths resolve against the config file. */
    data_dir: z.string().default('./data'),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({}),
  })
  .strict();

export type ServerConfig = z.output<typeof serverConfigSchema>;
export type ServerConfigInput = z.input<typeof serverConfigSchema>;
