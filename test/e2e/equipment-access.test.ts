/**
 * Equipment and access control end to end, with real processes only: the built ma-server and
 * ma-agent, simulated Shelly plugs (HTTP servers speaking the device's RPC), a real pty
 * (socat) carrying RDM6300 frames, a FIFO carrying evdev input_event records, and fake
 * libgpiod tools for a door contact. Hardware is faked only at those boundaries.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, open, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rdm6300Frame, typedCard } from '../fakes/card-bytes.js';
import { startShellyDevice, type ShellyDevice } from '../fakes/shelly-device.js';
import { bearer, request } from '../support/login.js';
import { addNode, eventually, startAgentProcess, startServerProcess, tempDir, writeAgentConfig, type CreatedNode, type ManagedProcess, type ServerHandle } from '../support/processes.js';

const FAKE_GPIOD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fakes/gpiod/v2');
const ADA = '0415AB3C7D'; // trained on the laser
const BOB = '62E3086CED'; // not trained
const CAROL = '0004718245'; // trained on the lathe (evdev reader)
const DAN = '0004718246'; // trained on the lathe, card revoked before the server dies
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface AuditEntry {
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  reason: string | null;
  detail: Record<string, unknown> | null;
}

describe('equipment and access, real server and agent', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let agent: ManagedProcess;
  let node: CreatedNode;
  let agentConfig: string;
  let laser: ShellyDevice;
  let lathe: ShellyDevice;
  let fan: ShellyDevice;
  let socat: ChildProcess;
  let tty: FileHandle;
  let fifo: string;
  let ports: { http: number; mqtt: number };

  const api = async <T>(method: string, p: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const r = await request(`${server.url}${p}`, { method, headers: { ...bearer(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, json: (r.body ? JSON.parse(r.body) : undefined) as T };
  };
  const audit = async (action: string) => (await api<{ entries: AuditEntry[] }>('GET', `/api/v1/audit?action=${action}&limit=200`)).json.entries;
  const tapSerial = async (card: string) => {
    await tty.write(rdm6300Frame(card));
    await sleep(400); // past the reader's debounce, so the next frame is a new tap
  };
  const tapEvdev = async (card: string) => {
    const w = await open(fifo, 'w');
    await w.write(typedCard(card, 24));
    await w.close();
    await sleep(400);
  };
  const setDoor = (isOpen: boolean) => writeFile(path.join(tmp.dir, 'gpio', 'gpiochip0-4.json'), JSON.stringify({ value: isOpen ? 1 : 0, holder: null }));
  const startServer = async () => {
    server = await startServerProcess({ dir: tmp.dir, mqttTcp: false, httpPort: ports.http, extra: { equipment: { allow_list_refresh: '1s', command_timeout: '3s' } } });
    ports.http = Number(new URL(server.url).port);
  };
  const stopAgent = async () => {
    await Promise.race([agent.stop(), sleep(5000)]);
    await agent.kill9();
  };
  const startAgent = async () => {
    agent = startAgentProcess(agentConfig, { FAKE_GPIO_DIR: path.join(tmp.dir, 'gpio') });
    await agent.waitForLog((l) => l.msg === 'equipment ready', 30_000);
  };
  const online = () => eventually(async () => (await api<{ online: boolean }>('GET', '/api/v1/nodes/shop')).json.online, 20_000);

  beforeAll(async () => {
    tmp = await tempDir('equip-access');
    ports = { http: 0, mqtt: 0 };
    await writeFile(path.join(tmp.dir, 'synced'), 'yes');
    await mkdir(path.join(tmp.dir, 'gpio'));
    await setDoor(false);
    laser = await startShellyDevice({ loadW: 150 });
    lathe = await startShellyDevice({ loadW: 400 });
    fan = await startShellyDevice({ loadW: 40 });
    laser.setOutput(true); // left on by someone: the node's safe state must switch it off at start
    socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${path.join(tmp.dir, 'ttyReader')}`, `pty,raw,echo=0,link=${path.join(tmp.dir, 'ttyTest')}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let socatLog = '';
    socat.stderr!.setEncoding('utf8').on('data', (d: string) => (socatLog += d));
    await eventually(async () => socatLog.includes('starting data transfer loop'));
    tty = await open(path.join(tmp.dir, 'ttyTest'), 'r+');
    fifo = path.join(tmp.dir, 'event-kbd');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);

    await startServer();
    const mqttUrl = `${server.url.replace('http', 'ws')}/mqtt`;
    node = await addNode(server.configFile, 'shop', mqttUrl);
    const key = (await api<{ public_key_pem: string }>('GET', '/api/v1/access/allow-list-key')).json.public_key_pem;
    // `ma-server node add` writes the key into the node's agent.yaml, so a new node pins it from the start.
    expect(node.agentConfig.access).toEqual({ allow_list_key: key });
    await writeFile(path.join(tmp.dir, 'allow-list.pub'), key);
    agentConfig = await writeAgentConfig(
      tmp.dir,
      node,
      mqttUrl,
      [
        { driver: 'shelly', name: 'laser_plug', url: laser.url, timeout: '500ms', power_interval: '300ms' },
        { driver: 'shelly', name: 'lathe_plug', url: lathe.url, timeout: '500ms', power_interval: '300ms' },
        { driver: 'shelly', name: 'fan_plug', url: fan.url, timeout: '500ms', power_interval: '300ms' },
        { driver: 'gpio', name: 'door', line: 4, direction: 'input', interval: '200ms', gpioget: path.join(FAKE_GPIOD, 'gpioget') },
      ],
      {
        clock: { sync_check: { file: path.join(tmp.dir, 'synced') } },
        actuators: {
          laser_plug: { interlocks: ['door == 0'], readback_interval: '500ms', idle_below_w: 10 },
          lathe_plug: { readback_interval: '500ms' },
          fan_plug: { on_server_loss: '1s', max_on: '5s', readback_interval: '300ms' },
        },
        readers: {
          laser_reader: { type: 'serial', path: path.join(tmp.dir, 'ttyReader'), debounce: '300ms' },
          lathe_reader: { type: 'evdev', path: fifo, event_size: 24, reopen_after: '100ms', debounce: '300ms' },
        },
        equipment: {
          laser: { actuators: ['laser_plug'], reader: 'laser_reader' },
          lathe: { actuators: ['lathe_plug'], reader: 'lathe_reader' },
        },
        access: { allow_list_key_file: 'allow-list.pub' },
      },
    );

    for (const name of ['Ada', 'Bob', 'Carol', 'Dan']) expect((await api('POST', '/api/v1/people', { name, groups: ['members'] })).status).toBe(201);
    const people = (await api<{ people: Array<{ id: number; name: string }> }>('GET', '/api/v1/people')).json.people;
    const pid = (n: string) => people.find((p) => p.name === n)!.id;
    for (const [who, card] of [['Ada', ADA], ['Bob', BOB], ['Carol', CAROL], ['Dan', DAN]] as const) expect((await api('POST', `/api/v1/people/${pid(who)}/cards`, { card_id: card })).status).toBe(201);
    expect((await api('PUT', '/api/v1/equipment/laser', { display_name: 'Laser cutter', actuators: [{ node: 'shop', actuator: 'laser_plug', power_channel: 'laser_plug/power' }], maintainers: ['Ada'], rule: {} })).status).toBe(200);
    // The lathe's entries live 8 s, so the test can watch one lapse while the server is down.
    expect((await api('PUT', '/api/v1/equipment/lathe', { display_name: 'Lathe', actuators: [{ node: 'shop', actuator: 'lathe_plug' }], rule: { entry_ttl: '8s' } })).status).toBe(200);
    expect((await api('PUT', '/api/v1/equipment/fan', { display_name: 'Extraction fan', actuators: [{ node: 'shop', actuator: 'fan_plug' }], rule: { access: { trained: false } } })).status).toBe(200);
    expect((await api('PUT', '/api/v1/equipment/laser/trainings/Ada', { reason: 'induction' })).status).toBe(200);
    for (const who of ['Carol', 'Dan']) expect((await api('PUT', `/api/v1/equipment/lathe/trainings/${who}`, { reason: 'induction' })).status).toBe(200);

    await startAgent();
    await online();
  }, 120_000);

  afterAll(async () => {
    if (process.env.MA_DEBUG_OUT) await writeFile(process.env.MA_DEBUG_OUT, `${agent?.output() ?? ''}\n----\n${server?.output() ?? ''}`);
    // An agent blocked opening the reader's FIFO may not exit on SIGTERM: give it 5 s.
    if (agent) await Promise.race([agent.stop(), sleep(5000)]);
    await agent?.kill9();
    await server?.stop();
    await tty?.close();
    socat?.kill();
    await laser?.close();
    await lathe?.close();
    await fan?.close();
    await tmp?.cleanup();
  });

  it('applies the safe state at agent start: the plug left on is switched off', async () => {
    expect(laser.output()).toBe(false);
    const eq = await eventually(async () => {
      const e = (await api<{ actuators: Array<{ state: string }> }>('GET', '/api/v1/equipment/laser')).json;
      return e.actuators[0]?.state === 'off' && e;
    });
    expect(eq.actuators[0]!.state).toBe('off');
  });

  it('serial pty: a trained card turns the simulated Shelly plug on, an untrained one does not; both audited', async () => {
    // The node holds the server's current list before anyone taps.
    await eventually(async () => (await api<{ reached: number }>('GET', '/api/v1/equipment/laser/reach')).json.reached === 1, 20_000);
    await tapSerial(BOB);
    await sleep(700);
    expect(laser.output()).toBe(false);
    await tapSerial(ADA);
    await eventually(async () => laser.output(), 5000);
    const decisions = await eventually(async () => {
      const e = (await audit('access.decision')).filter((x) => x.target === 'equipment:laser');
      return e.length >= 2 && e;
    });
    expect(decisions.map((d) => [d.outcome, d.detail?.code, d.detail?.person, d.detail?.source])).toEqual([
      ['ok', 'trained', 'Ada', 'server'],
      ['denied', 'not_trained', 'Bob', 'server'],
    ]);
    // A session is recorded on the server with the person.
    await eventually(async () => (await api<{ in_use: { person: string } | null }>('GET', '/api/v1/equipment/laser')).json.in_use?.person === 'Ada');
  });

  it('refuses switching on through an interlock with a 409 naming the rule', async () => {
    await setDoor(true);
    await sleep(700); // the door contact is sampled every 200 ms
    const r = await api<{ error: { message: string } }>('POST', '/api/v1/nodes/shop/actuators/fan_plug/switch', { value: 'on', reason: 'vent' });
    expect(r.status).toBe(200); // the fan has no interlock
    const blocked = await api<{ error: { message: string } }>('POST', '/api/v1/nodes/shop/actuators/laser_plug/switch', { value: 'off', reason: 'stop' });
    expect(blocked.status).toBe(200); // switching off is never blocked
    const on = await api<{ error: { message: string } }>('POST', '/api/v1/nodes/shop/actuators/laser_plug/switch', { value: 'on', reason: 'cut a part' });
    expect(on.status).toBe(409);
    expect(on.json.error.message).toContain('door == 0');
    expect(laser.output()).toBe(false);
    await setDoor(false);
    await sleep(700);
    const last = (await audit('actuator.switch'))[0]!;
    expect(last).toMatchObject({ outcome: 'denied', reason: expect.stringContaining('door == 0') });
  });

  it('fires the maximum on-time', async () => {
    expect(fan.output()).toBe(true);
    await eventually(async () => !fan.output(), 10_000);
  });

  it('evdev stream: a trained card turns the lathe on', async () => {
    await tapEvdev(CAROL);
    await eventually(async () => lathe.output(), 5000);
    await tapEvdev(CAROL); // toggle off
    await eventually(async () => !lathe.output(), 5000);
  });

  it('with the server killed: the trained card works from the allow-list, a card revoked before is refused, a lapsed entry is refused; safe state after server loss', async () => {
    const people = (await api<{ people: Array<{ name: string; cards: Array<{ id: number }> }> }>('GET', '/api/v1/people')).json.people;
    expect((await api('DELETE', `/api/v1/cards/${people.find((p) => p.name === 'Dan')!.cards[0]!.id}?reason=lost`)).status).toBe(200);
    // Wait until the node holds the list with the revocation, and a fresh one for the lathe's 8 s entries.
    await eventually(async () => (await api<{ reached: number }>('GET', '/api/v1/equipment/lathe/reach')).json.reached === 1, 10_000);
    expect((await api('POST', '/api/v1/nodes/shop/actuators/fan_plug/switch', { value: 'on', reason: 'vent' })).status).toBe(200);
    await server.kill9();
    const killedAt = Date.now();
    // The fan's safe state applies 1 s after the server is lost.
    await eventually(async () => !fan.output(), 4000);
    await tapEvdev(CAROL);
    await eventually(async () => lathe.output(), 3000);
    expect(Date.now() - killedAt).toBeLessThan(6000);
    await tapEvdev(CAROL);
    await eventually(async () => !lathe.output(), 3000);
    await tapEvdev(DAN);
    await sleep(800);
    expect(lathe.output()).toBe(false);
    await sleep(Math.max(0, killedAt + 10_000 - Date.now())); // past the 8 s entries' TTL
    await tapEvdev(CAROL);
    await sleep(800);
    expect(lathe.output()).toBe(false);
    // Back up: the node's own decisions reach the audit log, with their reasons.
    await startServer();
    await online();
    const cached = await eventually(async () => {
      const e = (await audit('access.decision')).filter((x) => x.target === 'equipment:lathe' && x.detail?.source === 'cache');
      return e.length >= 4 && e;
    }, 20_000);
    const codes = cached.map((d) => `${String(d.detail?.person ?? '?')}:${d.outcome}`);
    expect(codes).toEqual(expect.arrayContaining(['Carol:ok', 'Carol:denied']));
    expect(cached.some((d) => d.outcome === 'denied' && /revoked/.test(String(d.detail?.code)))).toBe(true);
    expect(cached.some((d) => d.outcome === 'denied' && /expired/.test(String(d.detail?.code)))).toBe(true);
  }, 90_000);

  it('a maintenance lock-out set during a session takes effect when power goes idle, and survives restarts of agent and server', async () => {
    await tapSerial(ADA);
    await eventually(async () => laser.output(), 5000);
    expect((await api('POST', '/api/v1/equipment/laser/lockout', { mode: 'maintenance', reason: 'mirror alignment' })).status).toBe(201);
    await sleep(1500);
    expect(laser.output()).toBe(true); // cutting: the lock-out waits for idle
    laser.setLoad(0);
    await eventually(async () => !laser.output(), 8000);
    await stopAgent();
    await server.stop();
    await startServer();
    await startAgent();
    await online();
    const eq = (await api<{ lockout: { mode: string; reason: string } | null }>('GET', '/api/v1/equipment/laser')).json;
    expect(eq.lockout).toMatchObject({ mode: 'maintenance', reason: 'mirror alignment' });
    laser.setLoad(150);
    await tapSerial(ADA);
    await sleep(800);
    expect(laser.output()).toBe(false);
    const refused = await api<{ error: { message: string } }>('POST', '/api/v1/nodes/shop/actuators/laser_plug/switch', { value: 'on', reason: 'try' });
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain('mirror alignment');
  }, 90_000);

  it('a command to an offline node fails at once and is not executed when the node comes back', async () => {
    await agent.kill9();
    await eventually(async () => !(await api<{ online: boolean }>('GET', '/api/v1/nodes/shop')).json.online, 10_000);
    const t0 = Date.now();
    const r = await api<{ error: { message: string } }>('POST', '/api/v1/nodes/shop/actuators/fan_plug/switch', { value: 'on', reason: 'remote' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r.status).toBe(409);
    expect(r.json.error.message).toMatch(/offline \(last seen/);
    await startAgent();
    await online();
    await sleep(1500);
    expect(fan.output()).toBe(false);
  }, 60_000);
});
