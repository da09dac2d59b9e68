import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { iterateRecords } from '../../packages/agent/src/outbox/inspect-outbox.js';
import type { OutboxRecord } from '../../packages/agent/src/outbox/outbox.js';
import { eventually, tempDir } from '../support/processes.js';
import { createRig, freePort, report, settle, sleep, storedCount, storedReadings, storedStatus, tally, type ChaosRig } from './chaos-support.js';
import { FaultProxy } from './fault-proxy.js';
import { makeServerCert } from './test-certs.js';

describe('chaos: TLS failures and an unsynchronised clock', () => {
  let rig: ChaosRig | undefined;
  let proxy: FaultProxy | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
    await proxy?.stop();
    await rig?.cleanup();
    rig = undefined;
    proxy = undefined;
  });

  it('the server certificate replaced by one the agent does not trust, then fixed: a tls_error status, retries, no loss', async () => {
    const certs = await tempDir('chaos-certs');
    cleanups.push(certs.cleanup);
    const trusted = await makeServerCert(certs.dir, 'trusted');
    const untrusted = await makeServerCert(certs.dir, 'untrusted');
    const proxyPort = await freePort();
    // The agent pins the trusted CA; the TLS-terminating proxy stands in for the server's TLS front.
    rig = await createRig({ name: 'tls-swap', mqttUrl: () => `mqtts://localhost:${proxyPort}`, caFile: trusted.caFile });
    proxy = new FaultProxy({ target: { host: '127.0.0.1', port: rig.mqttTcpPort }, port: proxyPort, tls: { key: trusted.key, cert: trusted.cert } });
    await proxy.start();
    await rig.startServer();
    const agent = await rig.startAgent();
    await eventually(async () => storedCount(rig!) > 30, 15_000, 50);

    // An operator installs a certificate from another CA: every new handshake fails.
    proxy.setTlsCert(untrusted);
    proxy.resetAll();
    const failed = await agent.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('TLS verification failed'), 15_000);
    const attemptsAtFailure = proxy.stats.attempts;
    const storedAtFailure = storedCount(rig);
    await sleep(5000);
    // Nothing got through, the agent kept retrying (with backoff), and verification stayed on.
    expect(storedCount(rig)).toBe(storedAtFailure);
    expect(proxy.stats.attempts).toBeGreaterThan(attemptsAtFailure);
    expect(agent.output()).not.toMatch(/rejectUnauthorized.*false/);
    expect(String(failed.error)).toMatch(/certificate|self.signed|verify/i);

    proxy.setTlsCert(trusted);
    await eventually(async () => storedCount(rig!) > storedAtFailure + 50, 20_000, 100);
    // After recovery the node's status tells the server what happened.
    const status = await eventually(async () => {
      const s = storedStatus(rig!);
      return s && (s.last_fault as { state?: string } | undefined)?.state === 'tls_error' ? s : undefined;
    }, 20_000);
    expect(status.last_fault).toMatchObject({ state: 'tls_error', until: expect.any(Number) });

    await settle(rig);
    const t = await tally(rig);
    report('untrusted TLS certificate for a while, then fixed', t);
    expect({ lost: t.lost, duplicates: t.duplicates, altered: t.altered, stored: t.stored }).toEqual({ lost: 0, duplicates: 0, altered: 0, stored: t.produced });
    expect(t.checksumStored).toBe(t.checksumProduced);
  }, 90_000);

  it('the agent clock unsynchronised at start (1970), then synchronised: readings held, then stored with true times, none in 1970', async () => {
    const fakeOffset = -(Date.now() - 60_000); // the fake wall clock starts one minute after the epoch
    rig = await createRig({
      name: 'clock',
      agentExtra: { clock: { sync_check: { file: 'fake-clock' }, check_interval: '200ms' } },
    });
    const clockFile = path.join(rig.dir, 'fake-clock');
    await writeFile(clockFile, `no ${fakeOffset}\n`);
    const testStart = Date.now();
    await rig.startServer();
    const agent = await rig.startAgent();
    await agent.waitForLog((l) => l.msg === 'holding readings taken before the clock was synchronised; they are sent with their true time once it is', 15_000);
    await sleep(2000);
    // Held on the node, not stored with a 1970 time.
    expect(storedCount(rig)).toBe(0);

    await writeFile(clockFile, 'yes\n');
    await agent.waitForLog((l) => l.msg === 'clock synchronised', 10_000);
    await eventually(async () => storedCount(rig!) > 200, 15_000, 100);
    await settle(rig);
    const testEnd = Date.now();

    const produced: OutboxRecord[] = [];
    for await (const r of iterateRecords(rig.outboxDir)) produced.push(r);
    const unsynced = produced.filter((r) => r.sync === false);
    expect(unsynced.length).toBeGreaterThan(50);
    expect(Math.max(...unsynced.map((r) => r.ts))).toBeLessThan(Date.UTC(2020, 0, 1));
    // Mapped times are the true sampling times: the fake clock's error removed, within a few ms.
    const stored = new Map(storedReadings(rig).map((s) => [s.seq, s]));
    let worst = 0;
    for (const r of unsynced) {
      const s = stored.get(r.seq);
      if (s) worst = Math.max(worst, Math.abs(s.ts - (r.ts - fakeOffset)));
    }
    expect(worst).toBeLessThan(50);
    for (const s of stored.values()) {
      expect(s.ts).toBeGreaterThanOrEqual(testStart - 1000);
      expect(s.ts).toBeLessThanOrEqual(testEnd);
    }
    const t = await tally(rig, (r) => (r.sync === false ? undefined : r.ts));
    report('agent clock unsynchronised at start, then synced', t, `${unsynced.length} readings mapped, worst error ${worst} ms`);
    expect({ lost: t.lost, duplicates: t.duplicates, altered: t.altered, stored: t.stored }).toEqual({ lost: 0, duplicates: 0, altered: 0, stored: t.produced });
    expect(t.checksumStored).toBe(t.checksumProduced);
    expect(storedStatus(rig)?.clock_synced).toBe(true);
  }, 60_000);
});
