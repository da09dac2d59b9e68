import { durationSchema } from '@ma/protocol';
import { z } from 'zod';


/**
 * `tunnel:` in agent.yaml: the reverse SSH tunnel that lets people reach this node's sshd
 * through the control point, from behind NAT. Off unless enabled.
 */
export const tunnelConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** The control point's SSH host name or address. */
    host: z.string().min(1).default('localhost'),
    /** The control point's SSH port. */
    port: z.number().int().min(1).max(65535).default(22),
    /** The unprivileged tunnel account on the control point. */
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a Unix account name such as "ma-tunnel"').default('ma-tunnel'),
    /**
     * The port the control point listens on for this node (tunnel_port_base + node id; `ma node
     * show` prints it). Unset: learned from the server when the key is registered.
     */
    remote_port: z.number().int().min(1024).max(65535).optional(),
    /** What the forward reaches on this node: its own sshd. */
    local_port: z.number().int().min(1).max(65535).default(22),
    /** This node's private key (generated at enrollment; the public half is registered with the server). */
    key_file: z.string().min(1).default('tunnel_key'),
    /** known_hosts holding the control point's pinned host key; ssh refuses any other. */
    known_hosts_file: z.string().min(1).default('tunnel_known_hosts'),
    /**
     * `direct` (plain SSH to host:port), `websocket` (the same SSH carried over the server's
     * HTTP(S) port, for networks that only allow HTTPS), or `auto`: direct, falling back to
     * the WebSocket when the control point's SSH port cannot be reached.
     */
    transport: z.enum(['auto', 'direct', 'websocket']).default('auto'),
    /**
     * The server's HTTP(S) URL: the node's public key is registered there, and the WebSocket
     * transport goes to its /tunnel/ssh. Default: the origin of a ws:// or wss:// server.mqtt_url.
     */
    server_url: z.string().regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL').optional(),
    /** ServerAliveInterval: how often ssh checks the control point still answers. */
    alive_interval: durationSchema('15s'),
    /** ServerAliveCountMax: unanswered checks before ssh gives up (and the supervisor restarts it). */
    alive_count_max: z.number().int().min(1).max(10).default(3),
    /** How long one connection attempt may take. */
    connect_timeout: durationSchema('15s'),
    /** Restart backoff (jittered) after ssh exits. */
    restart_min: durationSchema('2s'),
    restart_max: durationSchema('60s'),
    /**
     * Local accounts for people: each person holding the `ssh` grant on this node gets
     * `<authorized_keys_dir>/<user name>` with their keys, synced from the server every
     * `interval` (revoking the grant removes the file at the next sync). Point the node's sshd
     * at it: `AuthorizedKeysFile .ssh/authorized_keys /etc/ssh/ma-users/%u`.
     */
    users: z
      .object({
        enabled: z.boolean().default(false),
        authorized_keys_dir: z.string().min(1).default('/etc/ssh/ma-users'),
        interval: durationSchema('30s'),
        /** Create missing accounts (useradd; needs root). Accounts are never deleted. */
        create_accounts: z.boolean().default(false),
      })
      .strict()
      .default({}),
    /** The ssh client binary. */
    ssh_binary: z.string().min(1).default('ssh'),
  })
  .strict();

export type TunnelConfig = z.output<typeof tunnelConfigSchema>;
