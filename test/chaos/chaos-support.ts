import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { inspectOutbox, iterateRecords } from '../../packages/agent/src/outbox/inspect-outbox.js';
import type { OutboxRecord } from '../../packages/agent/src/outbox/outbox.js';
import {
  addNode,
  startAgentProcess,
  startServerProcess,
  tempDir,
  writeAgentConfig,
  writeServerConfig,
  type CreatedNode,
  type ManagedProcess,
  type ServerHandle,
} from '../support/processes.js';

/**
 * Shared set-up for the chaos suite: one real server and one real agent whose outbox keeps
 * acked records (`outbox.retain_acked`), so after the faults the test can compare what the
 * node produced with what the server stored, record by record.
 */

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Three simulated probes sampled every 50 ms: ~60 readings/s, so a crash lands mid-write. */
export const FAST_SENSORS = [
  {
    driver: 'simulated',
    interval: '50ms',
    sensors: [
      { name: 'fridge', model: 'fridge' },
      { name: 'freezer', model: 'freezer' },
      { name: 'room', model: 'room' },
    ],
  },
];

export interface ChaosRig {
  dir: string;
  node: CreatedNode;
  httpPort: number;
  mqttTcpPort: number;
  agentConfig: string;
  outboxDir: string;
  server: ServerHandle | undefined;
  agent: ManagedProcess | undefined;
  startServer(): Promise<ServerHandle>;
  startAgent(): Promise<ManagedProcess>;
  cleanup(): Promise<void>;
}

export interface RigOptions {
  name: string;
  /** The agent's broker URL; default the server's MQTT TCP port. Receives the rig's ports. */
  mqttUrl?: (ports: { httpPort: number; mqttTcpPort: number }) => string;
  agentExtra?: Record<string, unknown>;
  /** PEM CA file the agent pins for mqtts:// (server.ca_file). */
  caFile?: string;
  serverEnv?: NodeJS.ProcessEnv;
}

export async function createRig(opts: RigOptions): Promise<ChaosRig> {
  const tmp = await tempDir(`chaos-${opts.name}`);
  const httpPort = await freePort();
  const mqttTcpPort = await freePort();
  const serverOpts = { dir: tmp.dir, httpPort, mqttTcp: true, mqttTcpPort, ...(opts.serverEnv ? { env: opts.serverEnv } : {}) };
  const configFile = await writeServerConfig(serverOpts);
  const mqttUrl = opts.mqttUrl ? opts.mqttUrl({ httpPort, mqttTcpPort }) : `mqtt://127.0.0.1:${mqttTcpPort}`;
  const node = await addNode(configFile, opts.name, mqttUrl);
  const agentConfig = await writeAgentConfig(tmp.dir, node, mqttUrl, FAST_SENSORS, {
    outbox: { fsync_interval: '50ms', retain_acked: true, segment_bytes: '256KiB' },
    ...(opts.caFile ? { server: { mqtt_url: mqttUrl, credential: node.credential, ca_file: opts.caFile } } : {}),
    ...opts.agentExtra,
  });
  const rig: ChaosRig = {
    dir: tmp.dir,
    node,
    httpPort,
    mqttTcpPort,
    agentConfig,
    outboxDir: path.join(tmp.dir, `agent-${opts.name}-data`, 'outbox'),
    server: undefined,
    agent: undefined,
    startServer: async () => {
      rig.server = await startServerProcess(serverOpts);
      return rig.server;
    },
    startAgent: async () => {
      const agent = startAgentProcess(agentConfig);
      rig.agent = agent;
      await agent.waitForLog((l) => l.msg === 'agent started');
      return agent;
    },
    cleanup: async () => {
      await rig.agent?.kill9();
      await rig.server?.kill9();
      await tmp.cleanup();
    },
  };
  return rig;
}

export interface StoredReading {
  seq: number;
  ch: string;
  ts: number;
  v: number;
}

/** Every reading the server stored for a node, straight from its SQLite file. */
export function storedReadings(rig: Pick<ChaosRig, 'dir' | 'node'>): StoredReading[] {
  const db = new Database(path.join(rig.dir, 'data', 'ma.db'), { readonly: true });
  try {
    return db
      .prepare(
        'SELECT r.seq AS seq, c.key AS ch, r.ts AS ts, r.value AS v FROM readings r JOIN nodes n ON n.id = r.node_id JOIN channels c ON c.id = r.channel_id WHERE n.name = ? ORDER BY r.seq',
      )
      .all(rig.node.name) as StoredReading[];
  } finally {
    db.close();
  }
}

export function storedCount(rig: Pick<ChaosRig, 'dir' | 'node'>): number {
  try {
    const db = new Database(path.join(rig.dir, 'data', 'ma.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT count(*) AS n FROM readings r JOIN nodes n ON n.id = r.node_id WHERE n.name = ?').get(rig.node.name) as { n: number };
      return row.n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet, or locked during a migration
  }
}

/** The node's last retained status as the server stored it. */
export function storedStatus(rig: Pick<ChaosRig, 'dir' | 'node'>): Record<string, unknown> | undefined {
  const db = new Database(path.join(rig.dir, 'data', 'ma.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT status_json FROM nodes WHERE name = ?').get(rig.node.name) as { status_json: string | null } | undefined;
    return row?.status_json ? (JSON.parse(row.status_json) as Record<string, unknown>) : undefined;
  } finally {
    db.close();
  }
}

export interface Tally {
  produced: number;
  stored: number;
  duplicates: number;
  lost: number;
  /** Stored readings whose channel, time or value differ from what the node recorded. */
  altered: number;
  /** Sum of values x 16 (DS18B20 resolution, so exact integers) over produced and stored. */
  checksumProduced: number;
  checksumStored: number;
}

/**
 * Compares what the node produced (every record in its outbox, which keeps acked records in
 * this suite) with what the server stored. `mapTs` gives the expected stored time of a record
 * (readings taken before clock sync are stored with mapped times).
 */
export async function tally(rig: ChaosRig, mapTs: (r: OutboxRecord) => number | undefined = (r) => r.ts): Promise<Tally> {
  const inspection = await inspectOutbox(rig.outboxDir);
  const produced: OutboxRecord[] = [];
  for await (const r of iterateRecords(rig.outboxDir)) produced.push(r);
  const lastSeq = inspection.stats.lastSeq;
  // The outbox must hold the whole numbered sequence 1..lastSeq: nothing it accepted vanished.
  if (produced.length !== lastSeq || produced.some((r, i) => r.seq !== i + 1)) {
    throw new Error(`outbox does not hold 1..${lastSeq} (has ${produced.length} records; dropped ${inspection.stats.dropped})`);
  }
  const stored = storedReadings(rig);
  const bySeq = new Map(stored.map((s) => [s.seq, s]));
  // A reading stored twice would show as the same channel and time under two seqs.
  const seen = new Set<string>();
  let duplicates = 0;
  for (const s of stored) {
    const k = `${s.ch}@${s.ts}`;
    if (seen.has(k)) duplicates++;
    seen.add(k);
  }
  let lost = 0;
  let altered = 0;
  let checksumProduced = 0;
  for (const r of produced) {
    checksumProduced += Math.round(r.v * 16);
    const s = bySeq.get(r.seq);
    if (!s) {
      lost++;
      continue;
    }
    const ts = mapTs(r);
    if (s.ch !== r.ch || s.v !== r.v || (ts !== undefined && s.ts !== ts)) altered++;
  }
  // Stored readings the node never produced (a seq beyond its log) count as altered too.
  altered += stored.filter((s) => s.seq > lastSeq).length;
  const checksumStored = stored.reduce((n, s) => n + Math.round(s.v * 16), 0);
  return { produced: produced.length, stored: stored.length, duplicates, lost, altered, checksumProduced, checksumStored };
}

export function report(scenario: string, t: Tally, extra = ''): void {
  console.log(
    `[chaos] ${scenario}: produced ${t.produced}, stored ${t.stored}, duplicates ${t.duplicates}, lost ${t.lost}, altered ${t.altered}, ` +
      `checksum ${t.checksumProduced}/${t.checksumStored}${extra ? `; ${extra}` : ''}`,
  );
}

/**
 * Stops the agent cleanly and makes sure the server has everything its outbox holds: if a
 * last batch was still unacked at stop, the agent runs again briefly (it resends from the
 * durable cursor, as after any outage) and stops again.
 */
export async function settle(rig: ChaosRig, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await rig.agent?.stop();
    rig.agent = undefined;
    const { stats } = await inspectOutbox(rig.outboxDir);
    // Acked means the server said it stored them; tally() checks that it really did.
    if (stats.ackedSeq >= stats.lastSeq) return;
    if (Date.now() > deadline) throw new Error(`not settled: outbox acked ${stats.ackedSeq} of ${stats.lastSeq}, server stored ${storedCount(rig)}`);
    await rig.startAgent();
    await sleep(1500);
  }
}
