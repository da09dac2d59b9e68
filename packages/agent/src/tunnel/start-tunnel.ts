import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ErrorCode, MaError } from '@ma/protocol';
import type { LoadedAgentConfig } from '../config/load.js';
import type { Logger } from '../logger.js';
import { WS_PROXY_ENV } from '../ws-proxy/ws-proxy.js';
import { registerTunnelKey } from './register-key.js';
import { TunnelSupervisor, type TunnelStatus } from './tunnel-supervisor.js';
import { UserSync } from './user-sync.js';

export interface RunningTunnel {
  status(): TunnelStatus;
  /** Undefined until the port is known (learned from the server when tunnel.remote_port is unset). */
  readonly supervisor: TunnelSupervisor | undefined;
  stop(): Promise<void>;
}

/** The server's HTTP(S) origin: tunnel.server_url, else that of a ws:// or wss:// mqtt_url. */
export function tunnelServerUrl(config: LoadedAgentConfig['config']): string | undefined {
  if (config.tunnel.server_url) return config.tunnel.server_url.replace(/\/$/, '');
  const m = /^(wss?):\/\/([^/]+)/.exec(config.server.mqtt_url);
  return m ? `${m[1] === 'wss' ? 'https' : 'http'}://${m[2]}` : undefined;
}

/** Creates the node's tunnel key pair with the system ssh-keygen if it does not exist yet. */
export async function ensureTunnelKey(keyFile: string, node: string): Promise<string> {
  if (!existsSync(keyFile)) {
    await mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `ma-node:${node}`, '-f', keyFile]);
  }
  if (!existsSync(`${keyFile}.pub`)) {
    const { stdout } = await promisify(execFile)('ssh-keygen', ['-y', '-f', keyFile]);
    await writeFile(`${keyFile}.pub`, stdout);
  }
  return (await readFile(`${keyFile}.pub`, 'utf8')).trim();
}

/**
 * Starts the reverse tunnel if agent.yaml enables it: makes sure the node has its key,
 * registers the public half with the server (in the background, retrying), and supervises ssh.
 */
export async function startTunnel(
  loaded: LoadedAgentConfig,
  log: Logger,
  onChange: (s: TunnelStatus) => void,
  agentEntry: string | undefined = process.argv[1],
): Promise<RunningTunnel | undefined> {
  const { config } = loaded;
  const t = config.tunnel;
  if (!t.enabled) return undefined;
  const base = path.dirname(loaded.file);
  const keyFile = path.resolve(loaded.dataDir, t.key_file);
  const knownHostsFile = path.resolve(base, t.known_hosts_file);
  await ensureTunnelKey(keyFile, config.node);
  if (!existsSync(knownHostsFile)) {
    log.error({ known_hosts_file: knownHostsFile }, "no pinned host key for the control point: the tunnel cannot start until tunnel.known_hosts_file holds it (`ma tunnel server-config` prints the line)");
  }
  const serverUrl = tunnelServerUrl(config);
  const caFile = config.server.ca_file ? path.resolve(base, config.server.ca_file) : undefined;
  let transport = t.transport;
  if (!serverUrl || !agentEntry) {
    if (transport === 'websocket') {
      throw new MaError(ErrorCode.ConfigInvalid, `${loaded.file}: tunnel.transport is websocket but the server's HTTP URL is unknown: set tunnel.server_url`);
    }
    transport = 'direct';
  }
  const websocket =
    serverUrl && agentEntry
      ? {
          command: [process.execPath, agentEntry, 'ws-proxy', `${serverUrl.replace(/^http/, 'ws')}/tunnel/ssh`],
          env: { [WS_PROXY_ENV.node]: config.node, [WS_PROXY_ENV.credential]: loaded.credential, ...(caFile ? { [WS_PROXY_ENV.caFile]: caFile } : {}) },
        }
      : undefined;
  if (t.remote_port === undefined && !serverUrl) {
    throw new MaError(ErrorCode.ConfigInvalid, `${loaded.file}: tunnel.remote_port is unset and the server's HTTP URL (where the port is learned) is unknown: set one of them`);
  }
  const supervise = (remotePort: number): TunnelSupervisor => new TunnelSupervisor({
    ssh: {
      host: t.host,
      port: t.port,
      user: t.user,
      remotePort,
      localPort: t.local_port,
      keyFile,
      knownHostsFile,
      aliveIntervalS: Math.max(1, Math.round(t.alive_interval / 1000)),
      aliveCountMax: t.alive_count_max,
      connectTimeoutS: Math.max(1, Math.round(t.connect_timeout / 1000)),
    },
    sshBinary: t.ssh_binary,
    transport,
    ...(websocket ? { websocket } : {}),
    restartMinMs: t.restart_min,
    restartMaxMs: t.restart_max,
    log,
    onChange,
  });
  const abort = new AbortController();
  let supervisor: TunnelSupervisor | undefined;
  const since = Date.now();
  if (t.remote_port !== undefined) {
    supervisor = supervise(t.remote_port);
    supervisor.start();
  }
  if (serverUrl) {
    void registerTunnelKey({
      serverUrl,
      node: config.node,
      credential: loaded.credential,
      publicKeyFile: `${keyFile}.pub`,
      ...(caFile ? { ca: await readFile(caFile) } : {}),
      log,
      signal: abort.signal,
    }).then((r) => {
      if (!r || abort.signal.aborted) return;
      if (t.remote_port === undefined) {
        // The port the server allocated (tunnel_port_base + node id): no one has to copy it into agent.yaml.
        supervisor = supervise(r.port);
        supervisor.start();
      } else if (r.port !== t.remote_port) {
        log.error({ configured: t.remote_port, allocated: r.port }, 'tunnel.remote_port differs from the port the server allocated to this node: the control point will refuse the forward');
      }
    });
  }
  let users: UserSync | undefined;
  if (t.users.enabled) {
    if (!serverUrl) throw new MaError(ErrorCode.ConfigInvalid, `${loaded.file}: tunnel.users needs the server's HTTP URL: set tunnel.server_url`);
    users = new UserSync({
      serverUrl,
      node: config.node,
      credential: loaded.credential,
      ...(caFile ? { ca: await readFile(caFile) } : {}),
      dir: path.resolve(base, t.users.authorized_keys_dir),
      intervalMs: t.users.interval,
      createAccounts: t.users.create_accounts,
      log,
    });
    users.start();
  }
  return {
    get supervisor() {
      return supervisor;
    },
    status: () => supervisor?.status() ?? { state: 'down', transport: transport === 'websocket' ? 'websocket' : 'direct', since, restarts: 0, last_error: 'waiting for the server to register the key and allocate the port' },
    stop: async () => {
      abort.abort();
      await users?.stop();
      await supervisor?.stop();
    },
  };
}
