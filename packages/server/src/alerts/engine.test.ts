import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Ingest, type NodeIdentity } from '../ingest/ingest.js';
import { LiveHub } from '../live/live-hub.js';
import { Dispatcher } from '../notify/dispatcher.js';
import type { AlertMessage } from '../notify/message.js';
import { authDatabase } from '../auth/auth-database.js';
import { AlertsStore } from '../store/alerts-store.js';
import { GrantsStore } from '../users/grants-store.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { AlertEngine } from './engine.js';
import type { Recipient, RuleSpecInput } from './rule.js';
import { parseRuleSpec } from './rule.js';

/**
 * The engine against a real store and real ingest, in one process. What leaves it is
 * recorded at the sender boundary; test/e2e/alerts-*.test.ts use a real SMTP server and
 * webhook receiver instead.
 */

const silent = pino({ level: 'silent' });
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const CH = 'ds18b20/28-1';
const meta = { [CH]: { kind: 'sensor', driver: 'ds18b20', unit: '°C', label: 'freezer' } };
const until = async (cond: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PG_ADMIN_URL = process.env.MA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function onPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh database per test: a SQLite file, or a PostgreSQL schema dropped and recreated. */
const databases = {
  sqlite: () => ({ setup: async () => {}, fresh: async (dir: string) => `sqlite:${join(dir, 'ma.db')}`, teardown: async () => {} }),
  postgres: () => {
    const name = `ma_engine_${randomBytes(5).toString('hex')}`;
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    return {
      setup: () => onPg(PG_ADMIN_URL, async (c) => void (await c.query(`CREATE DATABASE ${name}`))),
      fresh: async () => {
        await onPg(url.toString(), async (c) => void (await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public')));
        return url.toString();
      },
      teardown: () => onPg(PG_ADMIN_URL, async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
    };
  },
};

describe.each(['sqlite', 'postgres'] as const)('the alert engine on %s', (dialect) => {
  const database = databases[dialect]();
  beforeAll(() => database.setup());
  afterAll(() => database.teardown());
  let dir: string;
  let store: Store;
  let ingest: Ingest;
  let alerts: AlertsStore;
  let node: NodeIdentity;
  let sent: Array<{ to: Recipient; m: AlertMessage }>;
  let failNext: number;
  let running: Array<{ stop(): Promise<void> }>;
  let seq: number;

  const grants = () => new GrantsStore(authDatabase(store));
  const startEngine = async (opts: { lateAfterMs?: number } = {}) => {
    const dispatcher = new Dispatcher(
      alerts,
      async (to, m) => {
        if (failNext > 0) {
          failNext--;
          throw new Error('connection refused');
        }
        sent.push({ to, m });
      },
      silent,
      { maxAttempts: 5, baseBackoffMs: 30, maxBackoffMs: 200, pollMs: 30 },
    );
    const engine = new AlertEngine(store, alerts, dispatcher, silent, { evaluateEveryMs: 30, lateAfterMs: opts.lateAfterMs ?? 60_000, publicUrl: () => 'https://ma.example.org', nodeTags: () => grants().allNodeTags(), tagsEveryMs: 100 });
    await engine.start();
    const off = ingest.observe({ readings: (n, r, now) => engine.readings(n, r, now), events: (n, e, now) => engine.events(n, e, now), status: (n, s, now) => engine.status(n, s, now) });
    dispatcher.start();
    const handle = {
      engine,
      stop: async () => {
        off();
        await engine.stop();
        await dispatcher.stop();
      },
    };
    running.push(handle);
    return handle;
  };
  const rule = async (spec: Partial<RuleSpecInput>) => {
    const full = parseRuleSpec({
      name: 'freezer too warm',
      severity: 'critical',
      target: { node: 'lab', channel: CH },
      condition: { type: 'threshold', op: 'above', value: -15, for: '2m', clear: -17 },
      recipients: [{ type: 'email', to: 'oncall@example.org' }],
      ...spec,
    });
    return alerts.createRule(full.name, JSON.stringify(full));
  };
  /** Readings one minute apart, ending `endAgo` ms before now. */
  const publish = async (values: number[], opts: { every?: number; endAgo?: number } = {}) => {
    const every = opts.every ?? 60_000;
    const t0 = Date.now() - (opts.endAgo ?? 0) - (values.length - 1) * every;
    const readings = values.map((v, i) => ({ seq: ++seq, ch: CH, ts: t0 + i * every, v }));
    await ingest.handle(node, 'telemetry', json({ v: 1, channels: meta, readings }));
    return readings;
  };
  const events = (kind: string) => sent.filter((s) => s.m.event === kind);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ma-engine-'));
    store = await openStore({ url: await database.fresh(dir) });
    ingest = new Ingest(store, new LiveHub(), silent);
    alerts = new AlertsStore(store);
    const row = await store.createNode({ name: 'lab', display_name: 'Lab freezer', credential_hash: 'x'.repeat(64) });
    node = { id: row.id, name: row.name };
    sent = [];
    failNext = 0;
    running = [];
    seq = 0;
  });
  afterEach(async () => {
    for (const r of running) await r.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends one firing and one resolved message for an excursion, saying what, where, value, how long and where the chart is', async () => {
    await rule({});
    // Readings a minute apart, delivered together: not late by this server's measure.
    const { engine } = await startEngine({ lateAfterMs: 30 * 60_000 });
    const rs = await publish([-18, -14, -13, -12, -11, -16, -18]);
    await engine.idle();
    await until(() => sent.length === 2);
    const [firing, resolved] = sent;
    expect(firing!.m).toMatchObject({ event: 'firing', state: 'firing', severity: 'critical', node: 'Lab freezer', channel: 'freezer', value: -12, unit: '°C', since: rs[1]!.ts, fired_at: rs[3]!.ts, late: false });
    expect(firing!.m.what).toContain('above -15 °C for 2 min');
    expect(firing!.m.chart_url).toMatch(/^https:\/\/ma\.example\.org\/charts\?ch=\d+&from=\d+&to=\d+$/);
    expect(firing!.m.ack_url).toMatch(/^https:\/\/ma\.example\.org\/alerts\/ack\/\d+\?t=[\w-]{20,}$/);
    expect(resolved!.m).toMatchObject({ event: 'resolved', state: 'resolved', resolved_at: rs[6]!.ts, duration_ms: rs[6]!.ts - rs[1]!.ts, ack_url: null });
    const [a] = await alerts.listAlerts();
    expect(a).toMatchObject({ state: 'resolved', since: rs[1]!.ts, peak: -11, late: false });
  });

  it('raises one alert, not dozens, for readings hovering around the threshold', async () => {
    await rule({});
    const { engine } = await startEngine();
    await publish([-18, ...Array.from({ length: 40 }, (_, i) => (i % 2 ? -14.6 : -15.4)), -18]);
    await engine.idle();
    await until(() => sent.length === 2);
    await sleep(100);
    expect(sent.map((s) => s.m.event)).toEqual(['firing', 'resolved']);
    expect(await alerts.listAlerts()).toHaveLength(1);
  });

  it('after a restart neither fires again nor forgets: the resolve still goes out', async () => {
    await rule({});
    const first = await startEngine();
    await publish([-18, -14, -13, -12], { endAgo: 10_000 });
    await first.engine.idle();
    await until(() => sent.length === 1);
    await first.stop();
    const second = await startEngine();
    await publish([-12, -13], { endAgo: 5000, every: 1000 });
    await second.engine.idle();
    await sleep(100);
    expect(sent).toHaveLength(1);
    await publish([-18]);
    await second.engine.idle();
    await until(() => sent.length === 2);
    expect(sent.map((s) => s.m.event)).toEqual(['firing', 'resolved']);
    expect(sent[1]!.m.since).toBe(sent[0]!.m.since);
  });

  it('marks an excursion found in a late backlog as late-detected, with its true start', async () => {
    await rule({});
    const { engine } = await startEngine();
    // A node back after an hour offline: its whole backlog, oldest first, one batch.
    const rs = await publish([-18, -14, -13, -12, -12, -18, -18], { endAgo: 60 * 60_000 });
    await engine.idle();
    await until(() => sent.length === 2);
    expect(sent[0]!.m).toMatchObject({ event: 'firing', late: true, since: rs[1]!.ts, fired_at: rs[3]!.ts });
    expect(sent[1]!.m).toMatchObject({ event: 'resolved', late: true, resolved_at: rs[5]!.ts });
  });

  it('replays a backlog that arrives behind live readings in timestamp order', async () => {
    await rule({});
    const { engine } = await startEngine();
    await publish([-18], { endAgo: 0 });
    await engine.idle();
    // The live lane was first; the backlog (older readings) follows.
    const rs = await publish([-18, -14, -13, -12, -12, -18], { endAgo: 30 * 60_000 });
    await engine.idle();
    await until(() => sent.length === 2);
    expect(sent.map((s) => [s.m.event, s.m.late])).toEqual([['firing', true], ['resolved', true]]);
    expect(sent[0]!.m.since).toBe(rs[1]!.ts);
    const [a] = await alerts.listAlerts();
    expect(a).toMatchObject({ state: 'resolved', late: true, since: rs[1]!.ts, fired_at: rs[3]!.ts, resolved_at: rs[5]!.ts });
  });

  it('repeats while firing until acknowledged', async () => {
    await rule({ repeat_every: '1s' });
    const { engine } = await startEngine();
    await publish([-18, -14, -13, -12]);
    await engine.idle();
    await until(() => events('repeat').length >= 2, 5000);
    const [a] = await alerts.openAlerts();
    expect(await engine.acknowledge(a!.id, 'alice', 'moving samples')).toBe(true);
    const before = sent.length;
    await sleep(1500);
    expect(sent.length).toBe(before);
  });

  it('escalates to the second group when nobody acknowledges, and tells both groups it resolved', async () => {
    await rule({ escalation: { after: '1s', recipients: [{ type: 'email', to: 'boss@example.org' }] } });
    const { engine } = await startEngine();
    await publish([-18, -14, -13, -12]);
    await engine.idle();
    await until(() => events('escalation').length === 1, 4000);
    expect(events('escalation')[0]!.to).toMatchObject({ to: 'boss@example.org' });
    await publish([-18]);
    await engine.idle();
    await until(() => events('resolved').length === 2);
    expect(events('resolved').map((s) => (s.to as { to: string }).to).sort()).toEqual(['boss@example.org', 'oncall@example.org']);
  });

  it('does not escalate an acknowledged alert', async () => {
    await rule({ escalation: { after: '1s', recipients: [{ type: 'email', to: 'boss@example.org' }] } });
    const { engine } = await startEngine();
    await publish([-18, -14, -13, -12]);
    await engine.idle();
    const [a] = await alerts.openAlerts();
    await engine.acknowledge(a!.id, 'alice', null);
    await sleep(1500);
    expect(events('escalation')).toEqual([]);
  });

  it('logs but does not send while silenced, and tells once the silence ends if still firing', async () => {
    const r = await rule({});
    const { engine } = await startEngine();
    await alerts.createSilence({ rule_id: r.id, node_id: null, starts_at: Date.now(), ends_at: Date.now() + 400, reason: 'defrosting', created_by: 'alice', created_at: Date.now() });
    await engine.silencesChanged();
    await publish([-18, -14, -13, -12]);
    await engine.idle();
    await sleep(150);
    expect(sent).toEqual([]);
    const [a] = await alerts.openAlerts();
    expect((await alerts.notificationsFor(a!.id)).map((n) => [n.state, n.last_error?.startsWith('silenced until')])).toEqual([['suppressed', true]]);
    await until(() => sent.length === 1, 3000);
    expect(sent[0]!.m.event).toBe('firing');
  });

  it('holds back non-critical messages in a recipient\'s quiet hours, but never critical ones', async () => {
    const allDay = { from: '00:00', to: '23:59', tz: 'UTC' };
    await rule({ severity: 'warning', recipients: [{ type: 'email', to: 'night@example.org', quiet_hours: allDay }, { type: 'email', to: 'day@example.org' }] });
    const { engine } = await startEngine();
    await publish([-18, -14, -13, -12]);
    await engine.idle();
    await until(() => sent.length === 1);
    await sleep(100);
    expect(sent.map((s) => (s.to as { to: string }).to)).toEqual(['day@example.org']);
  });

  it('fires a no-data alert when a channel falls silent, and resolves it when data returns', async () => {
    await rule({ name: 'probe silent', condition: { type: 'no_data', for: '1s' } });
    const { engine } = await startEngine();
    await publish([-18]);
    await engine.idle();
    await until(() => sent.length === 1, 4000);
    expect(sent[0]!.m).toMatchObject({ event: 'firing', rule: 'probe silent' });
    expect(sent[0]!.m.what).toContain('no data for 1 s');
    await publish([-18]);
    await engine.idle();
    await until(() => sent.length === 2);
    expect(sent[1]!.m.event).toBe('resolved');
  });

  it('fires on an agent fault event', async () => {
    await rule({ name: 'disk', target: { node: 'lab' }, condition: { type: 'fault', faults: ['disk_low'] } });
    const { engine } = await startEngine();
    await ingest.handle(node, 'events', json({ v: 1, events: [{ ts: Date.now(), type: 'disk_low', message: '3% free' }] }));
    await engine.idle();
    await until(() => sent.length === 1);
    expect(sent[0]!.m.what).toContain('disk_low: 3% free');
  });

  it('retries a failed delivery with backoff and records the attempts', async () => {
    await rule({});
    failNext = 2;
    const { engine } = await startEngine();
    await publish([-18, -14, -13, -12]);
    await engine.idle();
    await until(() => sent.length === 1, 3000);
    const [a] = await alerts.openAlerts();
    const [n] = await alerts.notificationsFor(a!.id);
    expect(n).toMatchObject({ state: 'sent', attempts: 3, last_error: expect.stringContaining('connection refused') });
  });

  it('closes the open alert of a rule that is disabled, without messages', async () => {
    const r = await rule({});
    const { engine } = await startEngine();
    await publish([-18, -14, -13, -12]);
    await engine.idle();
    await until(() => sent.length === 1);
    const spec = { ...JSON.parse(r.spec_json), enabled: false };
    await alerts.updateRule(r.id, r.name, JSON.stringify(spec));
    await engine.reloadRules();
    expect(await alerts.openAlerts()).toEqual([]);
    await publish([-18]);
    await engine.idle();
    await sleep(150);
    expect(sent).toHaveLength(1);
  });

  it('watches every node carrying a tag, including one tagged after the rule was made', async () => {
    await rule({ name: 'freezers silent', target: { tag: 'freezers' }, condition: { type: 'no_data', for: '1s' } });
    const other = await store.createNode({ name: 'bench', credential_hash: 'x'.repeat(64) });
    await grants().setNodeTags(node.id, ['freezers']);
    const { engine } = await startEngine();
    await publish([-18]);
    await ingest.handle({ id: other.id, name: 'bench' }, 'telemetry', json({ v: 1, readings: [{ seq: 1, ch: 'x/1', ts: Date.now(), v: 1 }] }));
    await engine.idle();
    await until(() => sent.length === 1, 4000);
    expect(sent[0]!.m.node).toBe('Lab freezer');
    await grants().setNodeTags(other.id, ['freezers']);
    await until(() => sent.length === 2, 4000);
    expect(sent[1]!.m.node).toBe('bench');
  });

  it('suppresses a recipient tied to a user who may not view the node', async () => {
    await rule({ recipients: [{ type: 'email', to: 'mallory@example.org', user: 'mallory' }] });
    const { engine } = await startEngine();
    await publish([-18, -14, -13, -12]);
    await engine.idle();
    await sleep(150);
    expect(sent).toEqual([]);
    const [a] = await alerts.openAlerts();
    expect((await alerts.notificationsFor(a!.id))[0]).toMatchObject({ state: 'suppressed', last_error: 'user mallory may not view node lab' });
  });
});
