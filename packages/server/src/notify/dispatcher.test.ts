import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertsStore } from '../store/alerts-store.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { Dispatcher } from './dispatcher.js';
import type { AlertMessage } from './message.js';

const until = async (cond: () => Promise<boolean>, ms = 3000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the notification dispatcher', () => {
  let store: Store;
  let alerts: AlertsStore;
  let alertId: number;
  let dispatcher: Dispatcher | undefined;

  beforeEach(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    alerts = new AlertsStore(store);
    const node = await store.createNode({ name: 'n', credential_hash: 'x' });
    const rule = await alerts.createRule('r', '{}');
    alertId = (
      await alerts.insertAlert({
        rule_id: rule.id, subject: `node:${node.id}`, node_id: node.id, channel_id: null, state: 'firing', severity: 'warning', since: 1, fired_at: 1, resolved_at: null,
        detected_at: 1, late: false, value: null, peak: null, summary: 's', ack_token: null, notified_at: 1, created_at: 1,
      })
    ).id;
  });
  afterEach(async () => {
    await dispatcher?.stop();
    await store.close();
  });

  it('gives up after the last attempt and records the failure', async () => {
    await alerts.updateAlert(alertId, {}, [{ event: 'firing', recipient_json: JSON.stringify({ type: 'email', to: 'a@example.org' }), message_json: '{}', state: 'queued' }]);
    let tries = 0;
    dispatcher = new Dispatcher(alerts, async () => { tries++; throw new Error('mailbox full'); }, pino({ level: 'silent' }), { maxAttempts: 3, baseBackoffMs: 10, maxBackoffMs: 20, pollMs: 10 });
    dispatcher.start();
    await until(async () => (await alerts.notificationsFor(alertId))[0]!.state === 'failed');
    expect(tries).toBe(3);
    expect((await alerts.notificationsFor(alertId))[0]).toMatchObject({ attempts: 3, last_error: expect.stringContaining('mailbox full') });
  });

  it('marks a queued notification it cannot read as failed instead of retrying it forever', async () => {
    await alerts.updateAlert(alertId, {}, [{ event: 'firing', recipient_json: '{"type":"pigeon"}', message_json: '{}', state: 'queued' }]);
    const sent: AlertMessage[] = [];
    dispatcher = new Dispatcher(alerts, async (_r, m) => void sent.push(m), pino({ level: 'silent' }), { maxAttempts: 3, baseBackoffMs: 10, maxBackoffMs: 20, pollMs: 10 });
    dispatcher.start();
    await until(async () => (await alerts.notificationsFor(alertId))[0]!.state === 'failed');
    expect(sent).toEqual([]);
  });
});
