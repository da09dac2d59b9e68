import { testDatabase } from '../../../../test/support/databases.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@ma/protocol';
import { AlertsStore, type AlertRow } from './alerts-store.js';
import { openStore } from './open-store.js';
import type { Store } from './store.js';

/** The alerts repository, one specification run on SQLite and on PostgreSQL. */

describe.each(['sqlite', 'postgres'] as const)('alerts repository on %s', (dialect) => {
  const harness = testDatabase(dialect, 'ma-alerts');
  let store: Store;
  let alerts: AlertsStore;
  let nodeId: number;
  let channelId: number;

  beforeAll(() => harness.setup());
  afterAll(() => harness.teardown());
  beforeEach(async () => {
    store = await openStore({ url: await harness.fresh() });
    alerts = new AlertsStore(store);
    nodeId = (await store.createNode({ name: 'freezer-node', credential_hash: 'x' })).id;
    channelId = (await store.ensureChannels(nodeId, ['t/1'])).get('t/1')!.id;
  });
  afterEach(() => store.close());

  const base = (ruleId: number, over: Partial<AlertRow> = {}) => ({
    rule_id: ruleId, subject: `ch:${channelId}`, node_id: nodeId, channel_id: channelId, state: 'firing' as const, severity: 'critical',
    since: 1000, fired_at: 2000, resolved_at: null, detected_at: 2100, late: false, value: -10, peak: -9, summary: 'above -15',
    ack_token: 'tok', notified_at: 2100, created_at: 2100, ...over,
  });
  const note = (event: 'firing' | 'resolved') => ({ event, recipient_json: '{"type":"email","to":"a@example.org"}', message_json: '{}', state: 'queued' as const });

  it('creates, changes, lists and deletes rules', async () => {
    const r = await alerts.createRule('freezer', '{"a":1}', 5);
    expect(r).toMatchObject({ name: 'freezer', spec_json: '{"a":1}', created_at: 5, updated_at: 5 });
    expect(await alerts.updateRule(r.id, 'freezer 2', '{"a":2}', 9)).toMatchObject({ name: 'freezer 2', updated_at: 9, created_at: 5 });
    expect((await alerts.listRules()).map((x) => x.name)).toEqual(['freezer 2']);
    await alerts.deleteRule(r.id);
    await expect(alerts.deleteRule(r.id)).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(alerts.updateRule(r.id, 'x', '{}')).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('holds at most one open alert per rule and subject, so a race cannot raise it twice', async () => {
    const rule = await alerts.createRule('r', '{}');
    const a = await alerts.insertAlert(base(rule.id), () => [note('firing')]);
    expect(a.late).toBe(false);
    await expect(alerts.insertAlert(base(rule.id))).rejects.toMatchObject({ code: ErrorCode.Conflict });
    // The refused insert queued nothing: the transaction rolled back.
    expect(await alerts.notificationsFor(a.id)).toHaveLength(1);
    await alerts.updateAlert(a.id, { state: 'resolved', resolved_at: 3000 }, [note('resolved')]);
    const again = await alerts.insertAlert(base(rule.id, { since: 4000, late: true }));
    expect(again.late).toBe(true);
    expect((await alerts.openAlerts()).map((x) => x.id)).toEqual([again.id]);
  });

  it('queues notifications with the state change and records every attempt', async () => {
    const rule = await alerts.createRule('r', '{}');
    const a = await alerts.insertAlert(base(rule.id), () => [note('firing'), { ...note('firing'), state: 'suppressed', last_error: 'quiet hours' }]);
    const due = await alerts.dueNotifications(Date.now());
    expect(due.map((n) => n.state)).toEqual(['queued']);
    await alerts.recordAttempt(due[0]!.id, { state: 'queued', attempts: 1, next_attempt_at: Date.now() + 60_000, last_error: 'refused', sent_at: null });
    expect(await alerts.dueNotifications(Date.now())).toEqual([]);
    expect(await alerts.nextDue()).toBeGreaterThan(Date.now());
    const log = await alerts.notificationsFor(a.id);
    expect(log.map((n) => [n.state, n.attempts, n.last_error])).toEqual([['queued', 1, 'refused'], ['suppressed', 0, 'quiet hours']]);
  });

  it('holds a notification back while an earlier one of the same alert to the same recipient is queued', async () => {
    const rule = await alerts.createRule('r', '{}');
    const a = await alerts.insertAlert(base(rule.id), () => [note('firing'), note('resolved'), { ...note('firing'), recipient_json: '{"type":"email","to":"b@example.org"}' }]);
    const [first, second, other] = await alerts.notificationsFor(a.id);
    expect((await alerts.dueNotifications(Date.now())).map((n) => n.id)).toEqual([first!.id, other!.id]);
    await alerts.recordAttempt(first!.id, { state: 'queued', attempts: 1, next_attempt_at: Date.now() + 60_000, last_error: 'refused', sent_at: null });
    expect((await alerts.dueNotifications(Date.now())).map((n) => n.id)).toEqual([other!.id]);
    await alerts.recordAttempt(first!.id, { state: 'sent', attempts: 2, next_attempt_at: 0, last_error: null, sent_at: Date.now() });
    expect((await alerts.dueNotifications(Date.now())).map((n) => n.id)).toEqual([second!.id, other!.id]);
  });

  it('acknowledges once, and lists alerts by state, rule and time', async () => {
    const rule = await alerts.createRule('r', '{}');
    const a = await alerts.insertAlert(base(rule.id));
    expect(await alerts.acknowledge(a.id, 'alice', 'defrosting', 5000)).toBe(true);
    expect(await alerts.acknowledge(a.id, 'bob', null, 6000)).toBe(false);
    expect(await alerts.getAlert(a.id)).toMatchObject({ acked_by: 'alice', ack_note: 'defrosting', acked_at: 5000 });
    await alerts.updateAlert(a.id, { state: 'resolved', resolved_at: 3000 });
    const b = await alerts.insertAlert(base(rule.id, { since: 10_000, state: 'pending', fired_at: null }));
    expect((await alerts.listAlerts({ states: ['pending'] })).map((x) => x.id)).toEqual([b.id]);
    expect((await alerts.listAlerts({ from: 3500 })).map((x) => x.id)).toEqual([b.id]);
    expect((await alerts.listAlerts({ to: 5000 })).map((x) => x.id)).toEqual([a.id]);
    expect((await alerts.listAlerts({ ruleId: rule.id })).map((x) => x.id)).toEqual([b.id, a.id]);
    await alerts.deleteAlert(b.id);
    expect(await alerts.getAlert(b.id)).toBeUndefined();
  });

  it('keeps silences until they end, and ends one early on request', async () => {
    const rule = await alerts.createRule('r', '{}');
    const s = await alerts.createSilence({ rule_id: rule.id, node_id: nodeId, starts_at: 0, ends_at: 10_000, reason: 'defrost', created_by: 'alice', created_at: 0 });
    expect((await alerts.activeSilences(5000)).map((x) => x.id)).toEqual([s.id]);
    expect(await alerts.activeSilences(10_000)).toEqual([]);
    await alerts.endSilence(s.id, 6000);
    expect(await alerts.activeSilences(6000)).toEqual([]);
    await expect(alerts.endSilence(s.id, 7000)).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });
});
