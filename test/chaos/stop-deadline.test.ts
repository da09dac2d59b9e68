import { afterEach, describe, expect, it } from 'vitest';
import { inspectOutbox } from '../../packages/agent/src/outbox/inspect-outbox.js';
import { eventually } from '../support/processes.js';
import { createRig, settle, storedCount, storedReadings, type ChaosRig } from './chaos-support.js';

const STOP_TIMEOUT_MS = 4000;

describe('chaos: SIGTERM while the server is frozen', () => {
  let rig: ChaosRig | undefined;
  afterEach(async () => {
    if (rig?.server) rig.server.proc.kill('SIGCONT');
    await rig?.cleanup();
    rig = undefined;
  });

  it('exits within stop_timeout although nothing the server should answer is answered, and loses nothing', async () => {
    rig = await createRig({ name: 'stop-frozen', agentExtra: { stop_timeout: `${STOP_TIMEOUT_MS}ms` } });
    await rig.startServer();
    const agent = await rig.startAgent();
    await eventually(async () => storedCount(rig!) > 100, 15_000, 50);

    // The server process stops dead (SIGSTOP): the connection stays open, nothing is acked,
    // and the agent's goodbye (a QoS 1 status) never gets its PUBACK.
    rig.server!.proc.kill('SIGSTOP');
    const stopAt = Date.now();
    const code = await agent.stop();
    const stopMs = Date.now() - stopAt;
    rig.agent = undefined;
    console.log(`[chaos] SIGTERM with the server frozen: exit ${code} after ${stopMs} ms (stop_timeout ${STOP_TIMEOUT_MS} ms)`);
    expect(code).toBe(0);
    expect(stopMs).toBeLessThan(STOP_TIMEOUT_MS + 1500);
    expect(agent.output()).toMatch(/"step":"uplink".*did not finish in time/);

    // Nothing was lost: what was unacked stays in the outbox and goes once the server is back.
    rig.server!.proc.kill('SIGCONT');
    await settle(rig);
    const { stats } = await inspectOutbox(rig.outboxDir);
    expect(stats.dropped).toBe(0);
    expect(new Set(storedReadings(rig).map((s) => s.seq)).size).toBe(stats.lastSeq);
  }, 60_000);
});
