import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as toYaml } from 'yaml';

/**
 * Real processes for scenario tests: the built `ma-server` and `ma-agent` binaries, started
 * the way an operator starts them. Chaos tests reuse these to kill -9 and restart.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SERVER_BIN = path.join(REPO_ROOT, 'packages/server/dist/bin/ma-server.js');
export const AGENT_BIN = path.join(REPO_ROOT, 'packages/agent/dist/bin/ma-agent.js');
export const CLI_BIN = path.join(REPO_ROOT, 'packages/cli/dist/bin/ma.js');

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `ma-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface ManagedProcess {
  proc: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first JSON log line for which `match` is true. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, waiting for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, no clean-up code runs. */
  kill9(): Promise<void>;
  exited: Promise<number | null>;
}

export function runProcess(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): ManagedProcess {
  const proc = spawn(process.execPath, [bin, ...args], { env: { ...process.env, MA_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  let partial = '';
  const onData = (chunk: Buffer) => {
    const s = chunk.toString('utf8');
    out += s;
    partial += s;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      try {
        const json = JSON.parse(line) as Record<string, unknown>;
        lines.push(json);
        for (const w of [...waiters]) {
          if (w.match(json)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(json);
          }
        }
      } catch {
        // not a log line
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    exited,
    output: () => out,
    waitForLog: (match, timeoutMs = 20_000) => {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for a log line; output so far:\n${out.slice(-4000)}`)), timeoutMs);
        const w = {
          match,
          resolve: (l: Record<string, unknown>) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        waiters.push(w);
        void exited.then((code) => {
          if (waiters.includes(w)) {
            clearTimeout(timer);
            reject(new Error(`process exited (${code}) before the expected log line; output:\n${out.slice(-4000)}`));
          }
        });
      });
    },
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs a command to completion and returns its output and exit code. */
export function runToEnd(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ServerHandle extends ManagedProcess {
  url: string;
  mqttTcpPort: number | undefined;
  configFile: string;
}

export interface ServerOptions {
  dir: string;
  databaseUrl?: string;
  mqttTcp?: boolean;
  offlineAfter?: string;
  env?: NodeJS.ProcessEnv;
  /** Reuse these ports on restart (0 = pick free ones). */
  httpPort?: number;
  mqttTcpPort?: number;
  /** More top-level config sections (e.g. `equipment`). */
  extra?: Record<string, unknown>;
}

export async function writeServerConfig(opts: ServerOptions): Promise<string> {
  const file = path.join(opts.dir, 'server.yaml');
  await writeFile(
    file,
    toYaml({
      http: { host: '127.0.0.1', port: opts.httpPort ?? 0 },
      database: { url: opts.databaseUrl ?? 'sqlite:ma.db' },
      mqtt: { websocket: true, tcp: { enabled: opts.mqttTcp ?? false, host: '127.0.0.1', port: opts.mqttTcpPort ?? 0 } },
      nodes: { offline_after: opts.offlineAfter ?? '90s' },
      data_dir: './data',
      ...opts.extra,
    }),
  );
  return file;
}

/**
 * The API needs a login or a token (issue #5). Scenario servers accept this bootstrap admin
 * token (MA_ADMIN_TOKEN) unless a test sets its own, and getJson sends it.
 */
export const TEST_ADMIN_TOKEN = 'mat_scenario-bootstrap-admin-token-0123456789';

export async function startServerProcess(opts: ServerOptions): Promise<ServerHandle> {
  const configFile = await writeServerConfig(opts);
  const p = runProcess(SERVER_BIN, ['serve', '--config', configFile], { MA_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...opts.env });
  const started = await p.waitForLog((l) => l.msg === 'server started');
  return { ...p, url: String(started.url), mqttTcpPort: typeof started.mqtt_tcp_port === 'number' ? started.mqtt_tcp_port : undefined, configFile };
}

export interface CreatedNode {
  name: string;
  credential: string;
  agentConfig: Record<string, unknown>;
}

/** `ma-server node add` against the server's config (works while the server runs). */
export async function addNode(configFile: string, name: string, mqttUrl: string): Promise<CreatedNode> {
  const r = await runToEnd(process.execPath, [SERVER_BIN, 'node', 'add', name, '--config', configFile, '--mqtt-url', mqttUrl]);
  if (r.code !== 0) throw new Error(`node add failed: ${r.stderr}`);
  const agentConfig = parseYaml(r.stdout) as { server: { credential: string } } & Record<string, unknown>;
  return { name, credential: agentConfig.server.credential, agentConfig };
}

export async function writeAgentConfig(dir: string, node: CreatedNode, mqttUrl: string, drivers: unknown[], extra: Record<string, unknown> = {}): Promise<string> {
  const file = path.join(dir, `agent-${node.name}.yaml`);
  await writeFile(
    file,
    toYaml({
      node: node.name,
      server: { mqtt_url: mqttUrl, credential: node.credential },
      data_dir: `./agent-${node.name}-data`,
      outbox: { fsync_interval: '50ms' },
      uplink: { batch_linger: '50ms', reconnect_min: '200ms', reconnect_max: '2s' },
      drivers,
      ...extra,
    }),
  );
  return file;
}

export function startAgentProcess(configFile: string, env: NodeJS.ProcessEnv = {}): ManagedProcess {
  return runProcess(AGENT_BIN, ['run', '--config', configFile], env);
}

/** Polls `fn` until it returns a truthy value or the timeout passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | false | null>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}

export async function getJson<T>(url: string, token: string = TEST_ADMIN_TOKEN): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
