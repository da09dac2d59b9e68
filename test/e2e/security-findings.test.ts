import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect } from 'mqtt';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, jsonBody, login, request, type Session } from '../support/login.js';
import { addNode, eventually, runToEnd, startServerProcess, tempDir, type CreatedNode, type ServerHandle } from '../support/processes.js';

/**
 * The findings of the outside attack (issue #11, items 1-10), each reproduced against a real
 * server process with the real Mosquitto clients, MQTT.js and WebSocket clients, as the
 * attacker did. Each of these failed before its fix.
 */

const PASSWORD = 'a long enough passphrase';

interface NodeStats {
  readings_stored: number;
  messages_rejected: number;
  auth_failures: number;
  client_ids_refused: number;
  last_reject_reason: string | null;
}

describe('security findings of the outside attack (issue #11)', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let coldRoom: CreatedNode;
  let manual: CreatedNode;
  let port: number;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    tmp = await tempDir('sec-findings');
    server = await startServerProcess({ dir: tmp.dir, mqttTcp: true });
    port = server.mqttTcpPort!;
    const url = `${server.url.replace('http', 'ws')}/mqtt`;
    coldRoom = await addNode(server.configFile, 'cold-room', url);
    manual = await addNode(server.configFile, 'manual', url);
    await createUser(server.url, 'watcher', PASSWORD);
    await createUser(server.url, 'boss', PASSWORD, 'admin');
    const g = await request(`${server.url}/api/v1/users/watcher/grants`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ grants: [{ scope: 'node', target: 'manual', permission: 'view' }], reason: 'test' }) });
    expect(g.status).toBe(200);
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    if (process.env.MA_DEBUG_SERVER) console.log(server?.output().slice(-8000));
    await server?.stop();
    await tmp?.cleanup();
  });

  const stats = async (node: string) => (await request(`${server.url}/api/v1/nodes/${node}`, { headers: bearer() })).json<{ stats: NodeStats }>().stats;
  const pub = (user: string, password: string, topic: string, message: string, extra: string[] = []) =>
    runToEnd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-q', '1', '-u', user, '-P', password, '-t', topic, '-m', message, ...extra], {}, 20_000);
  const as = (s: Session, method = 'GET') => ({ method, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' } });
  const newToken = async (s: Session, body: Record<string, unknown>) => {
    const r = await request(`${server.url}/api/v1/tokens`, { ...as(s, 'POST'), body: JSON.stringify(body) });
    expect(r.status, r.body).toBe(201);
    return r.json<{ id: number; token: string; expires_at: number }>();
  };
  const reading = (seq: number, ts: number, v: number, extra: Record<string, unknown> = {}) => ({ seq, ch: 'm/t', ts, v, ...extra });
  const batch = (readings: unknown[]) => JSON.stringify({ v: 1, channels: { 'm/t': { kind: 'sensor', driver: 'manual', unit: 'C' } }, readings });

  it('1: refuses a node that takes another node\'s client id, counts it, and the victim stays connected', async () => {
    // The victim holds its agent's client id, like the real agent (ma-agent-<node>).
    const victim = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-u', 'cold-room', '-P', coldRoom.credential, '-i', 'ma-agent-cold-room', '-t', 'ma/v1/cold-room/cmd', '-d'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(victim);
    let out = '';
    victim.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    victim.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    await eventually(async () => /SUBACK/.test(out));
    for (let i = 0; i < 4; i++) {
      const attack = await runToEnd('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-u', 'manual', '-P', manual.credential, '-i', 'ma-agent-cold-room', '-t', 'ma/v1/manual/#', '-C', '1', '-W', '2'], {}, 15_000);
      expect(attack.stderr + attack.stdout).toMatch(/identifier rejected/i);
    }
    await new Promise((r) => setTimeout(r, 1500));
    // One CONNACK only: the victim never had to reconnect.
    expect(out.match(/received CONNACK/gi)?.length).toBe(1);
    expect((await stats('manual')).client_ids_refused).toBe(4);
    expect((await stats('manual')).last_reject_reason).toMatch(/belongs to node cold-room/);
    // The node's own suffixed id and a tool's random id still work...
    expect((await pub('manual', manual.credential, 'ma/v1/manual/cmd/result', '{}', ['-i', 'ma-replay-manual-123'])).code).toBe(0);
    expect((await pub('manual', manual.credential, 'ma/v1/manual/cmd/result', '{}', ['-i', 'some-tool-1', '-c'])).code).toBe(0);
    // ...and a random id whose persistent session another node holds is refused too.
    expect((await pub('cold-room', coldRoom.credential, 'ma/v1/cold-room/cmd/result', '{}', ['-i', 'some-tool-1'])).code).not.toBe(0);
    expect((await stats('cold-room')).client_ids_refused).toBe(1);
    victim.kill('SIGTERM');
  });

  it('5: refuses 5 MB publishes over TCP and over WebSocket before reading them, and counts them; unknown batch fields are rejected', async () => {
    const big = path.join(tmp.dir, 'big.json');
    await writeFile(big, batch([reading(1, Date.now(), 1, { junk: 'x'.repeat(5 * 1024 * 1024) })]));
    const before = (await stats('manual')).messages_rejected;
    const tcp = await runToEnd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-q', '1', '-u', 'manual', '-P', manual.credential, '-t', 'ma/v1/manual/telemetry', '-f', big], {}, 20_000);
    expect(tcp.code).not.toBe(0);
    await eventually(async () => (await stats('manual')).messages_rejected === before + 1);
    expect((await stats('manual')).last_reject_reason).toMatch(/exceeds mqtt.max_packet_bytes/);

    const ws = connect(`${server.url.replace('http', 'ws')}/mqtt`, { username: 'manual', password: manual.credential, reconnectPeriod: 0, protocolVersion: 4 });
    await new Promise<void>((resolve, reject) => (ws.once('connect', () => resolve()), ws.once('error', reject)));
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.publish('ma/v1/manual/telemetry', Buffer.alloc(3 * 1024 * 1024, 0x20), { qos: 1 });
    await closed;
    ws.end(true);
    await eventually(async () => (await stats('manual')).messages_rejected === before + 2);
    expect((await stats('manual')).readings_stored).toBe(0);

    // A small batch with an unknown field is rejected, not stored with the field dropped.
    expect((await pub('manual', manual.credential, 'ma/v1/manual/telemetry', batch([reading(2, Date.now(), 1, { junk: 'x' })]))).code).toBe(0);
    await eventually(async () => (await stats('manual')).messages_rejected === before + 3);
    expect((await stats('manual')).last_reject_reason).toMatch(/unrecognized key/i);
    expect((await stats('manual')).readings_stored).toBe(0);
  });

  it('6: refuses readings stamped in the far future or with absurd values, counts them, and keeps the channel current', async () => {
    const before = (await stats('manual')).messages_rejected;
    const now = Date.now();
    const r = await pub('manual', manual.credential, 'ma/v1/manual/telemetry', batch([reading(10, now - 1000, 20), reading(11, Date.UTC(3000, 0, 1), 21), reading(12, 1e20, 22), reading(13, now, 1e308)]));
    expect(r.code).toBe(0);
    await eventually(async () => (await stats('manual')).readings_stored === 1);
    const s = await stats('manual');
    expect(s.messages_rejected).toBe(before + 2); // one count per kind: in the future, value out of range
    // Later real readings still update the channel's last value.
    expect((await pub('manual', manual.credential, 'ma/v1/manual/telemetry', batch([reading(14, Date.now(), 23.5)]))).code).toBe(0);
    const channels = await eventually(async () => {
      const c = (await request(`${server.url}/api/v1/channels?node=manual`, { headers: bearer() })).json<{ channels: Array<{ last_value: number | null; last_ts: number | null }> }>().channels;
      return c[0]?.last_value === 23.5 ? c : undefined;
    });
    expect(channels[0]!.last_ts).toBeLessThanOrEqual(Date.now());
  });

  it('2, 3: a read-only token cannot acknowledge an alert; a view-only user sees no notification URL', async () => {
    const rule = await request(`${server.url}/api/v1/alert-rules`, {
      method: 'POST',
      ...jsonBody({
        name: 'too warm',
        target: { node: 'manual', channel: 'm/t' },
        condition: { type: 'threshold', op: 'above', value: 30 },
        recipients: [
          { type: 'chat', url: 'https://hooks.slack.com/services/T0001/B0001/SLACKSECRETKEY', flavor: 'slack' },
          { type: 'webhook', url: 'https://example.test/hook?key=WEBHOOKKEY' },
          { type: 'ntfy', url: 'https://ntfy.example.test/NTFYTOPICSECRET', token: 'tk_0123456789' },
        ],
      }),
      headers: { ...bearer(), 'content-type': 'application/json' },
    });
    expect(rule.status, rule.body).toBe(201);
    const watcher = await login(server.url, 'watcher', PASSWORD, '127.0.0.20');
    const seen = (await request(`${server.url}/api/v1/alert-rules`, as(watcher))).body;
    expect(seen).toContain('too warm');
    for (const secret of ['SLACKSECRETKEY', 'WEBHOOKKEY', 'NTFYTOPICSECRET', 'tk_0123456789', 'T0001']) expect(seen).not.toContain(secret);
    expect(seen).toContain('https://hooks.slack.com/********');
    expect((await request(`${server.url}/api/v1/alert-rules`, { headers: bearer() })).body).toContain('SLACKSECRETKEY');

    expect((await pub('manual', manual.credential, 'ma/v1/manual/telemetry', batch([reading(20, Date.now(), 35)]))).code).toBe(0);
    const alert = await eventually(async () => (await request(`${server.url}/api/v1/alerts?state=firing`, { headers: bearer() })).json<{ alerts: Array<{ id: number }> }>().alerts[0]);
    const boss = await login(server.url, 'boss', PASSWORD, '127.0.0.20');
    const tokens = [(await newToken(boss, { name: 'admin read', scope: 'read' })).token, (await newToken(watcher, { name: 'watcher read', scope: 'read' })).token];
    for (const token of tokens) {
      const ack = await request(`${server.url}/api/v1/alerts/${alert.id}/ack`, { method: 'POST', ...jsonBody({ note: 'ro' }), headers: { ...bearer(token), 'content-type': 'application/json' } });
      expect(ack.status, ack.body).toBe(403);
      expect(ack.json<{ error: { message: string } }>().error.message).toMatch(/read-only token/);
    }
    // The watcher's own session (a write scope) may acknowledge what it may view.
    const ok = await request(`${server.url}/api/v1/alerts/${alert.id}/ack`, { ...as(watcher, 'POST'), body: JSON.stringify({ note: 'on it' }) });
    expect(ok.status, ok.body).toBe(200);
  });

  it('4: revoking a token or disabling a user closes their open live feed within 2 s', async () => {
    await createUser(server.url, 'leaver', PASSWORD);
    await request(`${server.url}/api/v1/users/leaver/grants`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ grants: [{ scope: 'node', target: 'manual', permission: 'view' }], reason: 'test' }) });
    const watcher = await login(server.url, 'watcher', PASSWORD, '127.0.0.21');
    const leaver = await login(server.url, 'leaver', PASSWORD, '127.0.0.21');
    const wsUrl = `${server.url.replace('http', 'ws')}/api/v1/live`;
    const open = async (headers: Record<string, string>) => {
      const ws = new WebSocket(wsUrl, { headers });
      const closed = new Promise<{ code: number; at: number }>((resolve) => ws.on('close', (code) => resolve({ code, at: Date.now() })));
      await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
      return { ws, closed };
    };
    const token = await newToken(watcher, { name: 'live feed', scope: 'read' });
    const byToken = await open(bearer(token.token));
    const bySession = await open({ cookie: leaver.cookie, origin: server.url });
    await new Promise((r) => setTimeout(r, 300));

    const t0 = Date.now();
    expect((await request(`${server.url}/api/v1/tokens/${token.id}`, { method: 'DELETE', headers: bearer() })).status).toBe(204);
    const c1 = await Promise.race([byToken.closed, new Promise<undefined>((r) => setTimeout(r, 5000))]);
    expect(c1?.code).toBe(4401);
    expect(c1!.at - t0).toBeLessThan(2000);

    const t1 = Date.now();
    const dis = await request(`${server.url}/api/v1/users/leaver`, { method: 'PATCH', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ disabled: true, reason: 'left the lab' }) });
    expect(dis.status, dis.body).toBe(200);
    const c2 = await Promise.race([bySession.closed, new Promise<undefined>((r) => setTimeout(r, 5000))]);
    expect(c2?.code).toBe(4401);
    expect(c2!.at - t1).toBeLessThan(2000);
  });

  it('7: a token cannot mint a token that outlives it', async () => {
    const watcher = await login(server.url, 'watcher', PASSWORD, '127.0.0.22');
    const short = await newToken(watcher, { name: 'one day', expires_in_days: 1 });
    const asToken = { headers: { ...bearer(short.token), 'content-type': 'application/json' }, method: 'POST' };
    const long = await request(`${server.url}/api/v1/tokens`, { ...asToken, body: JSON.stringify({ name: 'a year', expires_in_days: 365 }) });
    expect(long.status).toBe(400);
    expect(long.body).toMatch(/outlives it/);
    const capped = await request(`${server.url}/api/v1/tokens`, { ...asToken, body: JSON.stringify({ name: 'default expiry' }) });
    expect(capped.status).toBe(201);
    expect(capped.json<{ expires_at: number }>().expires_at).toBeLessThanOrEqual(short.expires_at);
    const readOnly = await newToken(watcher, { name: 'ro', scope: 'read' });
    const fromRead = await request(`${server.url}/api/v1/tokens`, { method: 'POST', headers: { ...bearer(readOnly.token), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'escalate', scope: 'grants' }) });
    expect(fromRead.status).toBe(403);
  });

  it('8: the per-address budget is not reset by a success elsewhere, and nobody can lock a user out by name', { timeout: 90_000 }, async () => {
    await createUser(server.url, 'mallory', PASSWORD);
    await createUser(server.url, 'target', PASSWORD);
    const statuses: number[] = [];
    for (let i = 0; i < 27; i++) {
      if (i % 9 === 8) await request(`${server.url}/api/v1/auth/login`, { method: 'POST', localAddress: '127.0.0.30', ...jsonBody({ name: 'mallory', password: PASSWORD }) });
      const r = await request(`${server.url}/api/v1/auth/login`, { method: 'POST', localAddress: '127.0.0.30', ...jsonBody({ name: `someone-${i}`, password: 'guess' }) });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);

    // 20 wrong passwords for "target" from one address lock that address out of it...
    for (let i = 0; i < 20; i++) await request(`${server.url}/api/v1/auth/login`, { method: 'POST', localAddress: '127.0.0.31', ...jsonBody({ name: 'target', password: `wrong-${i}` }) });
    const fromAttacker = await request(`${server.url}/api/v1/auth/login`, { method: 'POST', localAddress: '127.0.0.31', ...jsonBody({ name: 'target', password: PASSWORD }) });
    expect(fromAttacker.status).toBe(429);
    // ...but the owner, from another address, still logs in (slowed a little, not locked).
    const t0 = Date.now();
    const owner = await request(`${server.url}/api/v1/auth/login`, { method: 'POST', localAddress: '127.0.0.32', ...jsonBody({ name: 'target', password: PASSWORD }) });
    expect(owner.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('9: throttles wrong MQTT passwords per address and name, refusing even the right one while locked', async () => {
    const from = ['-A', '127.0.0.40'];
    const before = (await stats('cold-room')).auth_failures;
    for (let i = 0; i < 8; i++) {
      const bad = await pub('cold-room', `wrong-${i}`, 'ma/v1/cold-room/cmd/result', '{}', from);
      expect(bad.code).not.toBe(0);
    }
    const right = await pub('cold-room', coldRoom.credential, 'ma/v1/cold-room/cmd/result', '{}', from);
    expect(right.code).not.toBe(0);
    const s = await stats('cold-room');
    expect(s.auth_failures).toBe(before + 9);
    expect(s.last_reject_reason).toMatch(/too many wrong credentials/);
    // Another address is not affected.
    expect((await pub('cold-room', coldRoom.credential, 'ma/v1/cold-room/cmd/result', '{}', ['-A', '127.0.0.41'])).code).toBe(0);
  });

  it('10: logging out with a bearer token revokes that token', async () => {
    const watcher = await login(server.url, 'watcher', PASSWORD, '127.0.0.23');
    const t = await newToken(watcher, { name: 'script' });
    expect((await request(`${server.url}/api/v1/auth/me`, { headers: bearer(t.token) })).status).toBe(200);
    const out = await request(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: bearer(t.token) });
    expect(out.status).toBe(204);
    expect((await request(`${server.url}/api/v1/auth/me`, { headers: bearer(t.token) })).status).toBe(401);
    const audit = (await request(`${server.url}/api/v1/audit?action=auth.logout`, { headers: bearer() })).json<{ entries: Array<{ target: string; reason: string | null }> }>().entries;
    expect(audit[0]).toMatchObject({ target: `token:${t.id}`, reason: 'API token revoked by logout' });
    const boot = await request(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: bearer() });
    expect(boot.status).toBe(400);
  });
});
