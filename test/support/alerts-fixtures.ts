import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { bearer, request } from './login.js';
import { runProcess, SERVER_BIN, TEST_ADMIN_TOKEN, writeServerConfig, type CreatedNode, type ServerHandle, type ServerOptions } from './processes.js';
import type { SmtpProcess } from './smtp-process.js';

/**
 * The alert scenario tests' parts: a real ma-server configured to mail through a real SMTP
 * server (STARTTLS, AUTH, its private CA pinned), a node that publishes over MQTT, and the API.
 */

export interface AlertServerOptions extends ServerOptions {
  smtp?: SmtpProcess;
  /** Extra keys under `alerts:` in server.yaml. */
  alerts?: Record<string, unknown>;
}

export async function startAlertServer(opts: AlertServerOptions): Promise<ServerHandle> {
  const configFile = await writeServerConfig({ mqttTcp: true, ...opts });
  const config = parseYaml(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  const alerts: Record<string, unknown> = { evaluate_every: '200ms', late_after: '30s', retry_backoff: '300ms', ...opts.alerts };
  if (opts.smtp) {
    const passwordFile = path.join(opts.dir, 'smtp-password');
    await writeFile(passwordFile, `${opts.smtp.password}\n`, { mode: 0o600 });
    alerts.smtp = { host: '127.0.0.1', port: opts.smtp.port, security: 'starttls', user: opts.smtp.user, password_file: passwordFile, from: 'Monitor Actuator <alerts@ma.test>', ca_file: opts.smtp.caFile };
  }
  await writeFile(configFile, toYaml({ ...config, alerts }));
  const p = runProcess(SERVER_BIN, ['serve', '--config', configFile], { MA_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...opts.env });
  const started = await p.waitForLog((l) => l.msg === 'server started');
  return { ...p, url: String(started.url), mqttTcpPort: typeof started.mqtt_tcp_port === 'number' ? started.mqtt_tcp_port : undefined, configFile };
}

/** Calls the API as the bootstrap admin; returns status and parsed JSON. */
export async function api<T = Record<string, unknown>>(server: { url: string }, method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await request(`${server.url}${route}`, {
    method,
    headers: { ...bearer(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, body: (r.body ? JSON.parse(r.body) : {}) as T };
}

export async function createRule(server: { url: string }, rule: Record<string, unknown>): Promise<{ id: number } & Record<string, unknown>> {
  const r = await api<{ id: number }>(server, 'POST', '/api/v1/alert-rules', rule);
  if (r.status !== 201) throw new Error(`creating rule: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A node publishing its own readings over MQTT, as an agent would (QoS 1, its credential). */
export class NodePublisher {
  #seq: number;
  private constructor(
    private readonly client: MqttClient,
    readonly name: string,
    firstSeq: number,
  ) {
    this.#seq = firstSeq;
  }

  static async connect(port: number, node: CreatedNode, firstSeq = 0): Promise<NodePublisher> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: node.name, password: node.credential, clientId: `test-${node.name}-${Date.now()}`, protocolVersion: 4, reconnectPeriod: 0 });
    return new NodePublisher(client, node.name, firstSeq);
  }

  get seq(): number {
    return this.#seq;
  }

  /** Publishes readings of one channel in one batch; `ts` defaults to now. */
  async publish(channel: string, points: Array<{ v: number; ts?: number }>, unit = '°C'): Promise<void> {
    const readings = points.map((p) => ({ seq: ++this.#seq, ch: channel, ts: p.ts ?? Date.now(), v: p.v }));
    const channels = { [channel]: { kind: 'sensor', driver: 'manual', unit, label: channel.split('/')[1] ?? channel } };
    await this.client.publishAsync(`ma/v1/${this.name}/telemetry`, JSON.stringify({ v: 1, channels, readings }), { qos: 1 });
  }

  /** Publishes `values` one at a time, `everyMs` apart, stamped as they go. */
  async stream(channel: string, values: number[], everyMs: number): Promise<void> {
    for (const v of values) {
      await this.publish(channel, [{ v }]);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
