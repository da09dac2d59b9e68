import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { ChannelSummary, FeaturesResponse, LiveMessage, NodeConnectionsResponse } from '@ma/protocol';
import { loadServerConfig } from '../../config/load.js';
import { startServer, type RunningServer } from '../../server.js';
import type { Store } from '../../store/store.js';

/**
 * The dashboard's routes on a real server (HTTP, auth, SQLite store) started in-process on an ephemeral
 * port, driven with fetch as the dashboard drives them.
 */

const ADMIN = 'mat_dashboard-routes-admin-token-0123456789';
const quiet = pino({ level: 'silent' });

describe('dashboard routes', () => {
  let dir: string;
  let server: RunningServer;
  let store: Store;
  let nodeId: number;
  let fridge: number;
  let freezer: number;
  const pushed: LiveMessage[] = [];

  /** A minimal stand-in for fastify's inject(): fetch against the running server. */
  const app = {
    inject: async (opts: string | { method: string; url: string; payload?: object; headers?: Record<string, string> }) => {
      const o = typeof opts === 'string' ? { method: 'GET', url: opts, headers: { authorization: `Bearer ${ADMIN}` } } : opts;
      const res = await fetch(`${server.url}${o.url}`, {
        method: o.method,
        headers: { ...(o.payload === undefined ? {} : { 'content-type': 'application/json' }), ...o.headers },
        body: o.payload === undefined ? undefined : JSON.stringify(o.payload),
      });
      const body = await res.text();
      return { statusCode: res.status, headers: { 'content-type': res.headers.get('content-type') ?? undefined, 'content-disposition': res.headers.get('content-disposition') ?? undefined }, body, json: <T>() => JSON.parse(body) as T };
    },
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ma-dash-routes-'));
    const file = join(dir, 'server.yaml');
    writeFileSync(file, 'http: { host: 127.0.0.1, port: 0 }\ndatabase: { url: "sqlite:ma.db" }\nmqtt: { websocket: true, tcp: { enabled: false } }\ndata_dir: ./data\n');
    const loaded = await loadServerConfig(file, { ...process.env, MA_ADMIN_TOKEN: ADMIN });
    const before = process.env.MA_ADMIN_TOKEN;
    process.env.MA_ADMIN_TOKEN = ADMIN;
    try {
      server = await startServer(loaded, quiet);
    } finally {
      if (before === undefined) delete process.env.MA_ADMIN_TOKEN;
      else process.env.MA_ADMIN_TOKEN = before;
    }
    store = server.store;
    nodeId = (await store.createNode({ name: 'lab-fridge', credential_hash: 'h' })).id;
    const chans = await store.upsertChannels(nodeId, {
      fridge: { kind: 'sensor', driver: 'simulated', unit: '°C', label: 'fridge' },
      freezer: { kind: 'sensor', driver: 'simulated', unit: '°C', label: '=HYPERLINK("x")' },
    });
    fridge = chans.get('fridge')!.id;
    freezer = chans.get('freezer')!.id;
    pushed.length = 0;
  });

  afterEach(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /api/v1/features answers, without login, a flag for every optional page', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/features' }); // public: no token
    expect(r.statusCode).toBe(200);
    const { features } = r.json<FeaturesResponse>();
    expect(Object.keys(features).sort()).toEqual(['access', 'alerts', 'photos', 'users']);
    for (const flag of Object.values(features)) expect(typeof flag).toBe('boolean');
  });

  describe('PATCH /api/v1/channels/:id', () => {
    const patch = (id: number, body: unknown, token: string | null = ADMIN) =>
      app.inject({ method: 'PATCH', url: `/api/v1/channels/${id}`, payload: body as object, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
    // Every open dashboard hears label changes on the live feed.
    const listen = async (): Promise<void> => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/live`, { headers: { authorization: `Bearer ${ADMIN}` } });
      ws.on('message', (data) => pushed.push(JSON.parse(String(data)) as LiveMessage));
      onTestFinished(() => ws.close());
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    };

    it('needs an admin token', async () => {
      expect((await patch(fridge, { label: 'x' }, null)).statusCode).toBe(401);
      expect((await patch(fridge, { label: 'x' }, 'not-admin')).statusCode).toBe(401);
      expect((await store.getChannel(fridge))?.user_label).toBeNull();
    });

    it('sets the label, tells every dashboard, and returns to the agent label with null', async () => {
      await listen();
      const r = await patch(fridge, { label: '  Fridge (vaccines) ' });
      expect(r.statusCode).toBe(200);
      expect(r.json<ChannelSummary>()).toMatchObject({ id: fridge, label: 'Fridge (vaccines)', user_label: 'Fridge (vaccines)' });
      await expect.poll(() => pushed.filter((m) => m.type === 'channel')).toEqual([{ type: 'channel', channel: expect.objectContaining({ id: fridge, label: 'Fridge (vaccines)' }) }]);
      const cleared = await patch(fridge, { label: null });
      expect(cleared.json<ChannelSummary>()).toMatchObject({ label: 'fridge', user_label: null });
    });

    it('refuses bad input with a message naming the field, and unknown channels with 404', async () => {
      const ctl = await patch(fridge, { label: 'a\u0007b' });
      expect(ctl.statusCode).toBe(400);
      expect(ctl.json<{ error: { message: string } }>().error.message).toContain('body.label');
      expect((await patch(fridge, { label: 'x'.repeat(81) })).statusCode).toBe(400);
      expect((await patch(fridge, { name: 'x' })).statusCode).toBe(400);
      expect((await patch(99_999, { label: 'x' })).statusCode).toBe(404);
      expect((await store.getChannel(fridge))?.user_label).toBeNull();
    });
  });

  describe('GET /api/v1/nodes/:node/connections', () => {
    it('answers online and offline intervals clipped to the window, the current one open', async () => {
      const now = Date.now();
      await store.setNodeStatus(nodeId, { online: true, last_seen: now - 50_000 });
      await store.setNodeStatus(nodeId, { online: false, last_seen: now - 30_000 });
      await store.setNodeStatus(nodeId, { online: true, last_seen: now - 10_000 });
      const r = await app.inject(`/api/v1/nodes/lab-fridge/connections?from=${now - 40_000}`);
      expect(r.statusCode).toBe(200);
      const body = r.json<NodeConnectionsResponse>();
      expect(body.intervals).toEqual([
        { online: true, from: now - 40_000, to: now - 30_000 },
        { online: false, from: now - 30_000, to: now - 10_000 },
        { online: true, from: now - 10_000, to: null },
      ]);
    });

    it('404s an unknown node and 400s an inverted window', async () => {
      expect((await app.inject('/api/v1/nodes/nope/connections')).statusCode).toBe(404);
      expect((await app.inject('/api/v1/nodes/lab-fridge/connections?from=2000&to=1000')).statusCode).toBe(400);
    });
  });

  describe('GET /api/v1/readings.csv', () => {
    const T0 = Date.UTC(2025, 0, 1);
    beforeEach(async () => {
      const rows = Array.from({ length: 120 }, (_, i) => ({ seq: i + 1, channel_id: i % 2 === 0 ? fridge : freezer, ts: T0 + i * 30_000, value: i % 2 === 0 ? 4 + i / 100 : -20 - i / 100 }));
      await store.insertReadings(nodeId, rows);
    });

    it('streams every raw reading of several channels as CSV with a download name', async () => {
      const r = await app.inject(`/api/v1/readings.csv?channel=${fridge}&channel=${freezer}&from=${T0}&to=${T0 + 3_600_000}&raw=1`);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(r.headers['content-disposition']).toMatch(/^attachment; filename="ma-readings-.*-raw\.csv"$/);
      const lines = r.body.trimEnd().split('\r\n');
      expect(lines[0]).toBe('time,ts_ms,node,channel_id,channel,unit,value,min,max,count');
      expect(lines).toHaveLength(1 + 120);
      expect(lines[1]).toBe(`2025-01-01T00:00:00.000Z,${T0},lab-fridge,${fridge},fridge,°C,4,4,4,1`);
      // A label a spreadsheet would run as a formula is defused and quoted.
      expect(lines[61]).toBe(`2025-01-01T00:00:30.000Z,${T0 + 30_000},lab-fridge,${freezer},"'=HYPERLINK(""x"")",°C,-20.01,-20.01,-20.01,1`);
    });

    it('downsamples to `points` buckets per channel with min, max and count, as the chart does', async () => {
      const r = await app.inject(`/api/v1/readings.csv?channel=${fridge}&from=${T0}&to=${T0 + 3_600_000}&points=6`);
      const lines = r.body.trimEnd().split('\r\n').slice(1);
      expect(lines.length).toBeGreaterThan(1);
      expect(lines.length).toBeLessThanOrEqual(6);
      const counts = lines.map((l) => Number(l.split(',').at(-1)));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(60);
      for (const l of lines) {
        const [, , , , , , avg, min, max] = l.split(',').map(Number) as number[];
        expect(min).toBeLessThanOrEqual(avg!);
        expect(max).toBeGreaterThanOrEqual(avg!);
      }
    });

    it('refuses an unknown channel with a clear 404 before sending any CSV, and a missing channel with 400', async () => {
      const r = await app.inject(`/api/v1/readings.csv?channel=${fridge}&channel=4242`);
      expect(r.statusCode).toBe(404);
      expect(r.json<{ error: { message: string } }>().error.message).toContain('no channel with id 4242');
      expect((await app.inject('/api/v1/readings.csv')).statusCode).toBe(400);
    });
  });
});
