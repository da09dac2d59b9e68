import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAllowList, cardHash } from '@ma/protocol/signing';
import type { AllowListBody, Command } from '@ma/protocol';
import WebSocket from 'ws';
import { bearer, createUser, login, request } from '../support/login.js';
import { addNode, CLI_BIN, eventually, runToEnd, startServerProcess, tempDir, TEST_ADMIN_TOKEN, type ServerHandle } from '../support/processes.js';

/**
 * The server side of equipment against a real server process, with the node played at its
 * MQTT boundary by a client that speaks the equipment protocol (the real agent's side is
 * covered by equipment-access.test.ts): decisions within the deadline, signed allow-lists
 * pushed on every change, revocation reach, switching with results, refusals and the audit.
 */

const ADA_CARD = '0004567812';
const BOB_CARD = '0009999934';

interface Sent {
  cmds: Command[];
  lists: AllowListBody[];
  rawLists: unknown[];
}

describe('equipment on the server', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let node: MqttClient;
  let publicKey: string;
  const sent: Sent = { cmds: [], lists: [], rawLists: [] };
  let autoAnswer = true;

  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T; body: string }> => {
    const r = await request(`${server.url}${path}`, { method, headers: { ...bearer(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, json: (r.body ? JSON.parse(r.body) : undefined) as T, body: r.body };
  };
  const publish = (kind: string, payload: unknown, retain = false) =>
    node.publishAsync(`ma/v1/shop/${kind}`, JSON.stringify(payload), { qos: 1, retain });
  const status = (allowListVersion?: number) =>
    publish('status', { v: 1, state: 'online', agent_version: 'test', ...(allowListVersion !== undefined ? { allow_list: { version: allowListVersion } } : {}) }, true);
  const state = (on: boolean, extra: Record<string, unknown> = {}) =>
    publish('state/laser_plug', { v: 1, actuator: 'laser_plug', state: on ? 'on' : 'off', commanded: on ? 'on' : 'off', read_back: on ? 'on' : 'off', since: Date.now(), ts: Date.now(), power_w: on ? 120 : 0, lockout: null, fault: null, ...extra }, true);
  let scanSeq = 0;
  const scan = async (card: string): Promise<{ cmd: Extract<Command, { kind: 'access_decision' }>; ms: number }> => {
    const scan_id = `scan-${++scanSeq}`;
    const t0 = performance.now();
    await publish('events', { v: 1, events: [], equipment: [{ type: 'rfid_scan', ts: Date.now(), scan_id, reader: 'laser_reader', card_id: card, equipment: 'laser' }] });
    const cmd = await eventually(async () => sent.cmds.find((c) => c.kind === 'access_decision' && c.scan_id === scan_id), 5000, 5);
    return { cmd: cmd as Extract<Command, { kind: 'access_decision' }>, ms: performance.now() - t0 };
  };

  beforeAll(async () => {
    tmp = await tempDir('equip-server');
    server = await startServerProcess({ dir: tmp.dir, mqttTcp: true, offlineAfter: '1h' });
    const created = await addNode(server.configFile, 'shop', `${server.url.replace('http', 'ws')}/mqtt`);
    publicKey = (await api<{ public_key_pem: string }>('GET', '/api/v1/access/allow-list-key')).json.public_key_pem;
    node = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.mqttTcpPort}`, { username: 'shop', password: created.credential, protocolVersion: 4, clientId: 'shop-sim', reconnectPeriod: 0 });
    node.on('message', (topic, payload) => {
      const json = JSON.parse(payload.toString()) as unknown;
      if (topic === 'ma/v1/shop/config/allow-list') {
        sent.rawLists.push(json);
        sent.lists.push(verifyAllowList(json, publicKey));
      } else if (topic === 'ma/v1/shop/cmd') {
        const cmd = json as Command;
        sent.cmds.push(cmd);
        // The simulated node applies actuate commands, as the agent would, and reads back.
        if (autoAnswer && cmd.kind === 'actuate') {
          void publish('cmd/result', { v: 1, id: cmd.id, kind: 'actuate', outcome: 'applied', code: 'ok', actuator: cmd.actuator, state: cmd.value, ts: Date.now() });
        }
      }
    });
    await node.subscribeAsync(['ma/v1/shop/cmd', 'ma/v1/shop/config/allow-list'], { qos: 1 });
    await status(0);
    await state(false);
    await eventually(async () => (await api<{ nodes: Array<{ online: boolean }> }>('GET', '/api/v1/nodes')).json.nodes[0]?.online);

    for (const name of ['Ada', 'Bob']) expect((await api('POST', '/api/v1/people', { name, groups: ['members'] })).status).toBe(201);
    const people = (await api<{ people: Array<{ id: number; name: string }> }>('GET', '/api/v1/people')).json.people;
    const id = (n: string) => people.find((p) => p.name === n)!.id;
    expect((await api('POST', `/api/v1/people/${id('Ada')}/cards`, { card_id: ADA_CARD })).status).toBe(201);
    expect((await api('POST', `/api/v1/people/${id('Bob')}/cards`, { card_id: BOB_CARD })).status).toBe(201);
    const eq = await api('PUT', '/api/v1/equipment/laser', { display_name: 'Laser cutter', actuators: [{ node: 'shop', actuator: 'laser_plug', power_channel: 'laser_plug/power' }], maintainers: ['Ada'], rule: { access: { groups: ['members'] }, entry_ttl: '1h' }, reason: 'new laser' });
    expect(eq.status).toBe(200);
    expect((await api('PUT', '/api/v1/equipment/laser/trainings/Ada', { expires_in_days: 365, reason: 'induction done' })).status).toBe(200);
  });

  afterAll(async () => {
    if (process.env.MA_DEBUG_SERVER) console.log(server?.output().slice(-8000));
    await node?.endAsync();
    await server?.stop();
    await tmp?.cleanup();
  });

  it('publishes a signed allow-list for the node: the trained card listed with a TTL, the untrained one not', async () => {
    const list = await eventually(async () => {
      const l = sent.lists.at(-1);
      return l && l.entries.length === 1 ? l : undefined;
    });
    expect(list.node).toBe('shop');
    const ada = cardHash(list.card_salt, ADA_CARD);
    expect(list.entries).toEqual([{ card: ada, person: 'Ada', equipment: ['laser'], expires_at: expect.any(Number) }]);
    expect(list.entries[0]!.expires_at - list.issued_at).toBeLessThanOrEqual(3_600_000);
    expect(list.equipment.laser).toEqual({ fail_secure: true, session: { model: 'toggle' } });
    expect(JSON.stringify(sent.rawLists)).not.toContain(ADA_CARD);
    // A list tampered with in transit does not verify.
    const forged = { ...(sent.rawLists.at(-1) as Record<string, unknown>), entries: [...list.entries, { card: cardHash(list.card_salt, BOB_CARD), person: 'Bob', equipment: ['laser'], expires_at: list.expires_at }] };
    expect(() => verifyAllowList(forged, publicKey)).toThrow(/signature/);
  });

  it('answers a trained card with allow and an untrained one with not_trained, both well within the deadline, and audits both', async () => {
    const ada = await scan(ADA_CARD);
    expect(ada.cmd).toMatchObject({ allow: true, reason: 'trained', person: 'Ada', equipment: 'laser', session: { model: 'toggle' } });
    expect(ada.cmd.expires_at - ada.cmd.issued_at).toBeLessThanOrEqual(300);
    const bob = await scan(BOB_CARD);
    expect(bob.cmd).toMatchObject({ allow: false, reason: 'not_trained', person: 'Bob' });
    const unknown = await scan('1111111111');
    expect(unknown.cmd).toMatchObject({ allow: false, reason: 'unknown_card' });
    const audit = await eventually(async () => {
      const e = (await api<{ entries: Array<{ outcome: string; reason: string; detail: { person: string | null; code: string; card_last4?: string } }> }>('GET', '/api/v1/audit?action=access.decision')).json.entries;
      return e.length >= 3 ? e : undefined;
    });
    expect(audit.map((e) => [e.outcome, e.detail.code, e.detail.person, e.detail.card_last4])).toEqual([
      ['denied', 'unknown_card', null, '1111'],
      ['denied', 'not_trained', 'Bob', '9934'],
      ['ok', 'trained', 'Ada', ADA_CARD.slice(-4)],
    ]);
    expect(JSON.stringify(audit)).not.toContain(ADA_CARD);
  });

  it('streams decisions live only to those who may view the node, with names only for its admins', async () => {
    for (const name of ['watcher', 'keeper', 'stranger']) await createUser(server.url, name, 'a long enough passphrase');
    const grant = (user: string, permission: string) => api('PUT', `/api/v1/users/${user}/grants`, { grants: [{ scope: 'node', target: 'shop', permission }], reason: 'test' });
    expect((await grant('watcher', 'view')).status).toBe(200);
    expect((await grant('keeper', 'admin')).status).toBe(200);
    const feeds: Record<string, Array<{ type: string; event?: { kind: string; decision?: { person: string | null } } }>> = {};
    const sockets: WebSocket[] = [];
    for (const name of ['watcher', 'keeper', 'stranger']) {
      const { cookie } = await login(server.url, name, 'a long enough passphrase');
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/live`, { headers: { cookie, origin: server.url } });
      feeds[name] = [];
      ws.on('message', (d) => feeds[name]!.push(JSON.parse(String(d)) as (typeof feeds)[string][number]));
      await new Promise((r) => ws.once('open', r));
      sockets.push(ws);
    }
    await eventually(async () => Object.values(feeds).every((f) => f.some((m) => m.type === 'hello')));
    await scan(BOB_CARD);
    const decision = (name: string) => feeds[name]!.find((m) => m.type === 'equipment' && m.event?.kind === 'decision')?.event?.decision;
    await eventually(async () => decision('watcher') && decision('keeper'));
    expect(decision('keeper')?.person).toBe('Bob');
    expect(decision('watcher')?.person).toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    expect(feeds.stranger!.filter((m) => m.type === 'equipment')).toEqual([]);
    for (const ws of sockets) ws.close();
  });

  it('logs an unknown card once per minute however often it is tapped', async () => {
    for (let i = 0; i < 3; i++) await scan('2222222222');
    const e = (await api<{ entries: unknown[] }>('GET', '/api/v1/audit?action=access.decision')).json.entries.filter((x) => JSON.stringify(x).includes('"2222"'));
    expect(e).toHaveLength(1);
  });

  it('switches the actuator through the node and audits who, why and the applied state', async () => {
    const r = await api<{ state: string; outcome: string }>('POST', '/api/v1/nodes/shop/actuators/laser_plug/switch', { value: 'on', reason: 'warm up the tube' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ state: 'on', outcome: 'applied' });
    const cmd = sent.cmds.findLast((c) => c.kind === 'actuate')!;
    expect(cmd).toMatchObject({ kind: 'actuate', actuator: 'laser_plug', value: 'on', by: 'bootstrap', reason: 'warm up the tube' });
    expect(cmd.expires_at).toBeGreaterThan(cmd.issued_at);
    const audit = (await api<{ entries: Array<{ actor: string; reason: string; outcome: string; detail: { state: string } }> }>('GET', '/api/v1/audit?action=actuator.switch')).json.entries[0]!;
    expect(audit).toMatchObject({ actor: 'bootstrap', reason: 'warm up the tube', outcome: 'ok', detail: { state: 'on' } });
  });

  it('switches from the CLI: `ma switch <node> <actuator> on|off --reason`', async () => {
    const r = await runToEnd(process.execPath, [CLI_BIN, '--server', server.url, '--token', TEST_ADMIN_TOKEN, 'switch', 'shop', 'laser_plug', 'off', '--reason', 'done for the day']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^shop\/laser_plug: off \(applied, \d+ ms\)\n$/);
    expect(sent.cmds.findLast((c) => c.kind === 'actuate')).toMatchObject({ value: 'off', reason: 'done for the day' });
    const bad = await runToEnd(process.execPath, [CLI_BIN, '--server', server.url, '--token', TEST_ADMIN_TOKEN, 'switch', 'shop', 'laser_plug', 'up', '--reason', 'x']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected on or off');
  });

  it('refuses a bad value and an unknown actuator with a 400 naming them', async () => {
    const bad = await api<{ error: { message: string } }>('POST', '/api/v1/nodes/shop/actuators/laser_plug/switch', { value: 'maybe', reason: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('body.value');
    const unknown = await api<{ error: { message: string } }>('POST', '/api/v1/nodes/shop/actuators/drill/switch', { value: 'on', reason: 'x' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toMatch(/no actuator "drill".*laser_plug/);
  });

  it('passes on an interlock refusal from the node as a 409 naming the rule', async () => {
    autoAnswer = false;
    const pending = api<{ error: { message: string } }>('POST', '/api/v1/nodes/shop/actuators/laser_plug/switch', { value: 'on', reason: 'cut' });
    const cmd = await eventually(async () => sent.cmds.filter((c) => c.kind === 'actuate').at(-1)?.reason === 'cut' && sent.cmds.filter((c) => c.kind === 'actuate').at(-1));
    if (!cmd || cmd.kind !== 'actuate') throw new Error('no command');
    await publish('cmd/result', { v: 1, id: cmd.id, kind: 'actuate', outcome: 'refused', code: 'interlock', rule: 'enclosure_door == 0', message: 'enclosure_door is 1', actuator: 'laser_plug', state: 'off', ts: Date.now() });
    const r = await pending;
    autoAnswer = true;
    expect(r.status).toBe(409);
    expect(r.json.error.message).toContain('enclosure_door == 0');
    expect(r.json.error.message).toContain('enclosure_door is 1');
  });

  it('locks out (maintainer or admin), refuses switching on with a 409 saying why, tells the node, and withdraws the entries', async () => {
    const before = sent.lists.at(-1)!.version;
    const set = await api('POST', '/api/v1/equipment/laser/lockout', { mode: 'maintenance', reason: 'lens cleaning' });
    expect(set.status).toBe(201);
    const lockCmd = await eventually(async () => sent.cmds.findLast((c) => c.kind === 'lockout_set'));
    expect(lockCmd).toMatchObject({ actuator: 'laser_plug', mode: 'maintenance', reason: 'lens cleaning' });
    const refused = await api<{ error: { message: string } }>('POST', '/api/v1/nodes/shop/actuators/laser_plug/switch', { value: 'on', reason: 'try' });
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toMatch(/locked out \(maintenance\).*lens cleaning/);
    const list = await eventually(async () => sent.lists.find((l) => l.version > before));
    expect(list.entries).toEqual([]);
    expect((await scan(ADA_CARD)).cmd).toMatchObject({ allow: false, reason: 'locked_out' });
    const eq = (await api<{ lockout: { mode: string; reason: string } | null }>('GET', '/api/v1/equipment/laser')).json;
    expect(eq.lockout).toMatchObject({ mode: 'maintenance', reason: 'lens cleaning' });
    expect((await api('DELETE', '/api/v1/equipment/laser/lockout?reason=clean')).status).toBe(200);
    await eventually(async () => sent.cmds.findLast((c) => c.kind === 'lockout_clear'));
    await eventually(async () => sent.lists.at(-1)!.entries.length === 1);
  });

  it('revokes a card: pushed at once on the deny list, and reach counts the node once it reports that version', async () => {
    const people = (await api<{ people: Array<{ name: string; cards: Array<{ id: number }> }> }>('GET', '/api/v1/people')).json.people;
    const before = sent.lists.at(-1)!.version;
    const t0 = Date.now();
    expect((await api('DELETE', `/api/v1/cards/${people.find((p) => p.name === 'Ada')!.cards[0]!.id}?reason=lost`)).status).toBe(200);
    const list = await eventually(async () => sent.lists.find((l) => l.version > before), 5000, 5);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(list.deny).toEqual([{ card: cardHash(list.card_salt, ADA_CARD), reason: 'revoked' }]);
    expect(list.entries).toEqual([]);
    expect((await api<{ reached: number; total: number }>('GET', '/api/v1/equipment/laser/reach')).json).toMatchObject({ reached: 0, total: 1 });
    await status(list.version);
    await eventually(async () => (await api<{ reach: { reached: number } }>('GET', '/api/v1/equipment/laser')).json.reach.reached === 1);
    expect((await scan(ADA_CARD)).cmd).toMatchObject({ allow: false, reason: 'card_revoked' });
  });

  it('fails at once with 409 and the last-seen time for a node that is offline, and sends nothing', async () => {
    const cmds = sent.cmds.length;
    await publish('status', { v: 1, state: 'offline' }, true);
    await eventually(async () => !(await api<{ nodes: Array<{ online: boolean }> }>('GET', '/api/v1/nodes')).json.nodes[0]?.online);
    const t0 = Date.now();
    const r = await api<{ error: { message: string } }>('POST', '/api/v1/nodes/shop/actuators/laser_plug/switch', { value: 'on', reason: 'remote start' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r.status).toBe(409);
    expect(r.json.error.message).toMatch(/node shop is offline \(last seen \d{4}-\d\d-\d\dT/);
    expect(sent.cmds.length).toBe(cmds);
    const cli = await runToEnd(process.execPath, [CLI_BIN, '--server', server.url, '--token', TEST_ADMIN_TOKEN, 'switch', 'shop', 'laser_plug', 'on', '--reason', 'remote start']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/409.*offline \(last seen/);
    const audit = (await api<{ entries: Array<{ outcome: string; reason: string }> }>('GET', '/api/v1/audit?action=actuator.switch')).json.entries[0]!;
    expect(audit).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('offline') });
    await status(sent.lists.at(-1)!.version);
  });

  it('imports people, cards and trainings from CSV: a dry run changes nothing, an error writes nothing', async () => {
    const csv = 'name,groups,card,equipment,training_expires,lapse_days\nCarol,members;staff,0000123456,laser,365d,90\nDan,members,0000654321,,,\n';
    const dry = await api<{ applied: boolean; people_created: number; cards_added: number; trainings_granted: number; errors: unknown[] }>('POST', '/api/v1/people/import', { csv, dry_run: true });
    expect(dry.json).toMatchObject({ applied: false, people_created: 2, cards_added: 2, trainings_granted: 1, errors: [] });
    expect((await api<{ people: unknown[] }>('GET', '/api/v1/people')).json.people).toHaveLength(2);
    const bad = await api<{ applied: boolean; errors: Array<{ line: number; message: string }> }>('POST', '/api/v1/people/import', { csv: `${csv}Eve,,xx-1,drill,,\n` });
    expect(bad.json.applied).toBe(false);
    expect(bad.json.errors).toEqual([{ line: 4, message: expect.stringContaining('card id') }, { line: 4, message: expect.stringContaining('no equipment named "drill"') }]);
    expect((await api<{ people: unknown[] }>('GET', '/api/v1/people')).json.people).toHaveLength(2);
    const real = await api<{ applied: boolean }>('POST', '/api/v1/people/import', { csv });
    expect(real.json.applied).toBe(true);
    expect((await api<{ people: Array<{ name: string }> }>('GET', '/api/v1/people')).json.people.map((p) => p.name)).toEqual(['Ada', 'Bob', 'Carol', 'Dan']);
    expect((await scan('0000123456')).cmd).toMatchObject({ allow: true, person: 'Carol' });
  });
});
