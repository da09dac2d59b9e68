import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { renderSshdMatchBlock } from '../../packages/server/src/tunnels/sshd-config.js';
import { runProcess, SERVER_BIN, TEST_ADMIN_TOKEN, writeServerConfig, type ServerHandle } from './processes.js';
import { ensureUser, freePort, startSshd, type TestSshd } from './sshd.js';

/**
 * A control point for tunnel scenarios: its own sshd with the generated `Match User` block
 * for the tunnel account, and a real `ma-server` that writes that account's authorized_keys
 * and bridges WebSocket tunnels to the sshd.
 */
export interface ControlPoint {
  sshd: TestSshd;
  server: ServerHandle;
  tunnelUser: string;
  authorizedKeysFile: string;
  portBase: number;
  stop(): Promise<void>;
}

export interface ControlPointOptions {
  clientAliveIntervalS?: number;
  clientAliveCountMax?: number;
  /** Address the sshd and the server listen on (default 127.0.0.1). */
  host?: string;
}

export async function startControlPoint(dir: string, tunnelUser: string, o: ControlPointOptions = {}): Promise<ControlPoint> {
  const alive = { ...(o.clientAliveIntervalS ? { clientAliveIntervalS: o.clientAliveIntervalS } : {}), ...(o.clientAliveCountMax ? { clientAliveCountMax: o.clientAliveCountMax } : {}) };
  await ensureUser(tunnelUser, '/usr/sbin/nologin');
  const authorizedKeysFile = path.join(dir, 'cp', 'tunnel_authorized_keys');
  const sshd = await startSshd({ dir: path.join(dir, 'cp'), extraConfig: renderSshdMatchBlock({ user: tunnelUser, authorizedKeysFile, ...alive }), ...(o.host ? { listenAddress: o.host } : {}) });
  // Node n gets portBase + n: start from a port that was just free.
  const portBase = (await freePort()) - 1;
  const configFile = await writeServerConfig({ dir });
  const config = parseYaml(await readFile(configFile, 'utf8')) as Record<string, Record<string, unknown>>;
  config.nodes = { ...config.nodes, tunnel_port_base: portBase };
  config.tunnels = { user: tunnelUser, authorized_keys_file: authorizedKeysFile, sshd_host: o.host ?? '127.0.0.1', sshd_port: sshd.port, check_interval: '1s' };
  if (o.host) config.http = { ...config.http, host: o.host };
  await writeFile(configFile, toYaml(config));
  const p = runProcess(SERVER_BIN, ['serve', '--config', configFile], { MA_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
  const started = await p.waitForLog((l) => l.msg === 'server started');
  const server: ServerHandle = { ...p, url: String(started.url), mqttTcpPort: undefined, configFile };
  return {
    sshd,
    server,
    tunnelUser,
    authorizedKeysFile,
    portBase,
    stop: async () => {
      await server.stop();
      await sshd.stop();
    },
  };
}

/** The agent's `tunnel:` section for a node whose port is `remotePort`. */
export function tunnelSection(cp: ControlPoint, o: { remotePort: number; localPort: number; knownHostsFile: string; port?: number; transport?: string; host?: string }): Record<string, unknown> {
  return {
    tunnel: {
      enabled: true,
      host: o.host ?? '127.0.0.1',
      port: o.port ?? cp.sshd.port,
      user: cp.tunnelUser,
      remote_port: o.remotePort,
      local_port: o.localPort,
      known_hosts_file: o.knownHostsFile,
      transport: o.transport ?? 'auto',
      alive_interval: '5s',
      alive_count_max: 2,
      connect_timeout: '5s',
      restart_min: '500ms',
      restart_max: '4s',
    },
  };
}
