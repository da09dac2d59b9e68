import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectOutbox } from '../../packages/agent/src/outbox/inspect-outbox.js';
import {
  addNode,
  eventually,
  startAgentProcess,
  startServerProcess,
  tempDir,
  writeAgentConfig,
  writeServerConfig,
  type ManagedProcess,
  type ServerHandle,
} from '../support/processes.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Every seq the server stored for a node, read straight from its SQLite file. */
function storedSeqs(dataDir: string, node: string): number[] {
  const db = new Database(path.join(dataDir, 'ma.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT r.seq FROM readings r JOIN nodes n ON n.id = r.node_id WHERE n.name = ? ORDER BY r.seq').all(node) as Array<{ seq: number }>;
    return rows.map((r) => r.seq);
  } finally {
    db.close();
  }
}

describe('a node whose server is unreachable', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('keeps sampling into its outbox and delivers every reading exactly once when the server comes back', async () => {
    const tmp = await tempDir('outage');
    cleanups.push(tmp.cleanup);
    const httpPort = await freePort();
    const configFile = await writeServerConfig({ dir: tmp.dir, httpPort });
    const mqttUrl = `ws://127.0.0.1:${httpPort}/mqtt`;
    const node = await addNode(configFile, 'wifi-flaky', mqttUrl);
    const agentConfig = await writeAgentConfig(tmp.dir, node, mqttUrl, [{ driver: 'simulated', interval: '100ms', sensors: [{ name: 'fridge', model: 'fridge' }] }]);
    const outboxDir = path.join(tmp.dir, 'agent-wifi-flaky-data', 'outbox');

    // The agent starts while the server is down: its readings can only go to the outbox.
    const agent: ManagedProcess = startAgentProcess(agentConfig);
    cleanups.push(() => agent.stop());
    await agent.waitForLog((l) => l.msg === 'agent started');
    await new Promise((r) => setTimeout(r, 2500));

    const server: ServerHandle = await startServerProcess({ dir: tmp.dir, httpPort });
    cleanups.push(() => server.stop());
    await eventually(async () => storedSeqs(path.join(tmp.dir, 'data'), 'wifi-flaky').length > 30, 20_000);

    await agent.stop();
    const outbox = await inspectOutbox(outboxDir);
    const produced = outbox.stats.lastSeq;
    expect(produced).toBeGreaterThan(30);
    // After a clean stop the agent may still hold a last unsent batch; restarting it sends
    // that from the durable acked cursor, as after any outage.
    if (outbox.stats.ackedSeq < produced) {
      const again = startAgentProcess(agentConfig);
      cleanups.push(() => again.stop());
      await eventually(async () => (storedSeqs(path.join(tmp.dir, 'data'), 'wifi-flaky').at(-1) ?? 0) >= produced, 20_000);
      await again.stop();
    }
    const seqs = storedSeqs(path.join(tmp.dir, 'data'), 'wifi-flaky').filter((s) => s <= produced);
    const expected = Array.from({ length: produced }, (_, i) => i + 1);
    expect(seqs).toEqual(expected); // every reading, once, none missing
  }, 60_000);
});
