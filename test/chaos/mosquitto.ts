import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { runToEnd } from '../support/processes.js';

/**
 * A real Mosquitto 2 (Debian's) run by the test on a loopback port, with the dynamic security
 * plugin, persistence and no anonymous access: the external broker of scale-out mode.
 */

const DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
export const MOSQUITTO_ADMIN = { username: 'admin', password: 'admin-pw-for-tests' };
export const SERVER_ACCOUNT = { username: 'ma-server', password: 'server-pw-for-tests' };

export interface Mosquitto {
  port: number;
  url: string;
  start(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  /** mosquitto_ctrl dynsec ... as the admin. */
  dynsec(...args: string[]): Promise<string>;
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function createMosquitto(dir: string, port: number): Promise<Mosquitto> {
  await mkdir(path.join(dir, 'persist'), { recursive: true });
  const dynsecFile = path.join(dir, 'dynamic-security.json');
  const init = await runToEnd('mosquitto_ctrl', ['dynsec', 'init', dynsecFile, MOSQUITTO_ADMIN.username, MOSQUITTO_ADMIN.password]);
  if (init.code !== 0) throw new Error(`mosquitto_ctrl dynsec init failed: ${init.stderr}`);
  const conf = path.join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [
      // Run by root in tests: stay root so the temp-dir files stay readable.
      'user root',
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `plugin ${DYNSEC_PLUGIN}`,
      `plugin_opt_config_file ${dynsecFile}`,
      'persistence true',
      `persistence_location ${path.join(dir, 'persist')}/`,
      'autosave_interval 1',
      'max_queued_messages 100000',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | undefined;
  const m: Mosquitto = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    start: async () => {
      proc = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      await waitForPort(port);
    },
    kill9: async () => {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
    },
    stop: async () => {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    },
    dynsec: async (...args) => {
      const r = await runToEnd('mosquitto_ctrl', ['-h', '127.0.0.1', '-p', String(port), '-u', MOSQUITTO_ADMIN.username, '-P', MOSQUITTO_ADMIN.password, 'dynsec', ...args]);
      if (r.code !== 0) throw new Error(`mosquitto_ctrl dynsec ${args.join(' ')}: ${r.stderr || r.stdout}`);
      return r.stdout;
    },
  };
  return m;
}

/**
 * The server's account, as docs/external-broker.md tells an operator to create it: ingest
 * node topics, publish acks and commands, and manage node accounts through dynamic security.
 */
export async function createServerAccount(m: Mosquitto): Promise<void> {
  await m.dynsec('createRole', 'ma-server');
  for (const [acltype, topic] of [
    ['subscribePattern', 'ma/v1/#'],
    // Mosquitto 2.0 checks a shared subscription's ACL against its full $share/... filter.
    ['subscribePattern', '$share/ma-ingest/ma/v1/#'],
    ['publishClientReceive', 'ma/v1/#'],
    ['publishClientSend', 'ma/v1/#'],
    ['subscribePattern', '$CONTROL/dynamic-security/#'],
    ['publishClientReceive', '$CONTROL/dynamic-security/#'],
    ['publishClientSend', '$CONTROL/dynamic-security/#'],
  ] as const) {
    await m.dynsec('addRoleACL', 'ma-server', acltype, topic, 'allow');
  }
  await m.dynsec('createClient', SERVER_ACCOUNT.username, '-p', SERVER_ACCOUNT.password);
  await m.dynsec('addClientRole', SERVER_ACCOUNT.username, 'ma-server');
}
