#!/usr/bin/env node
// Starts the whole system on this machine with simulated sensors: a server (embedded
// SQLite and MQTT broker, dashboard on http://localhost:8080) and two simulated nodes.
// State lives in .demo/ (git-ignored; MA_DEMO_DIR puts it elsewhere); delete it to start from scratch.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { startShelly } from './shelly-sim.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const demoDir = path.resolve(process.env.MA_DEMO_DIR ?? path.join(root, '.demo'));
const serverBin = path.join(root, 'packages/server/dist/bin/ma-server.js');
const agentBin = path.join(root, 'packages/agent/dist/bin/ma-agent.js');
const httpPort = Number(process.env.MA_HTTP_PORT ?? 8080);
// Mosquitto often holds 1883 already; the demo's broker takes 1884 for mosquitto_pub.
const mqttTcpPort = Number(process.env.MA_MQTT_TCP_PORT ?? 1884);

mkdirSync(demoDir, { recursive: true });

// A demo admin token, so `ma node add` works against the demo server.
const tokenFile = path.join(demoDir, 'admin-token');
if (!existsSync(tokenFile)) writeFileSync(tokenFile, `mat_${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
const adminToken = readFileSync(tokenFile, 'utf8').trim();

const serverConfig = path.join(demoDir, 'server.yaml');
writeFileSync(
  serverConfig,
  toYaml({
    http: { host: '127.0.0.1', port: httpPort },
    database: { url: 'sqlite:ma.db' },
    mqtt: { websocket: true, tcp: { enabled: true, host: '127.0.0.1', port: mqttTcpPort } },
    nodes: { offline_after: '30s' },
    api: { admin_token_sha256: [createHash('sha256').update(adminToken).digest('hex')] },
    data_dir: './data',
  }),
);

const nodes = [
  { name: 'lab-fridge', display: 'Lab fridge (B12)', sensors: [{ name: 'fridge', model: 'fridge', label: 'fridge', labels: { room: 'B12' } }], system: true },
  { name: 'cold-room', display: 'Cold room freezer', sensors: [{ name: 'freezer', model: 'freezer', label: 'freezer', labels: { room: 'cold room' } }], system: false },
];

/** Creates each node on first run, or issues a fresh credential on later runs. */
function credentialFor(name, display) {
  const list = spawnSync(process.execPath, [serverBin, 'node', 'list', '--config', serverConfig], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(list.stderr);
  const exists = list.stdout.split('\n').some((l) => l.trim().split(/\s+/)[1] === name);
  const args = exists ? ['node', 'rotate', name] : ['node', 'add', name, '--display-name', display];
  const r = spawnSync(process.execPath, [serverBin, ...args, '--config', serverConfig], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return parseYaml(r.stdout).server.credential;
}

const children = [];
function run(label, bin, args) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MA_LOG_LEVEL: process.env.MA_LOG_LEVEL ?? 'info' } });
  const prefix = (chunk) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        try {
          const j = JSON.parse(l);
          const extra = Object.entries(j)
            .filter(([k]) => !['level', 'time', 'pid', 'hostname', 'msg', 'name'].includes(k))
            .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
            .join(' ');
          // Warnings and errors keep their level, so they stand out (and a test can find them).
          const level = j.level >= 50 ? 'ERROR ' : j.level >= 40 ? 'WARN ' : '';
          return `[${label}] ${level}${j.msg ?? ''} ${extra}`;
        } catch {
          return `[${label}] ${l}`;
        }
      })
      .join('\n') + '\n';
  child.stdout.on('data', (c) => process.stdout.write(prefix(c)));
  child.stderr.on('data', (c) => process.stderr.write(prefix(c)));
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[demo] ${label} exited (${code ?? signal}); stopping the demo`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children.reverse()) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const clockFile = path.join(demoDir, 'clock-synced');
writeFileSync(clockFile, 'yes\n');
const agentConfigs = nodes.map((n) => {
  const credential = credentialFor(n.name, n.display);
  const file = path.join(demoDir, `agent-${n.name}.yaml`);
  const drivers = [{ driver: 'simulated', interval: '2s', sensors: n.sensors }];
  if (n.system) drivers.push({ driver: 'system', interval: '10s' });
  writeFileSync(
    file,
    toYaml({
      node: n.name,
      server: { mqtt_url: `ws://127.0.0.1:${httpPort}/mqtt`, credential },
      data_dir: `./agent-${n.name}`,
      // Simulated nodes share this machine's clock with the server, so there is nothing to check;
      // the default check (timedatectl) is absent on macOS and in containers and would only warn.
      clock: { sync_check: { file: clockFile } },
      drivers,
    }),
    { mode: 0o600 },
  );
  return { name: n.name, file };
});

const server = run('server', serverBin, ['serve', '--config', serverConfig]);
await new Promise((resolve, reject) => {
  const deadline = Date.now() + 60_000;
  const poll = async () => {
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      if (res.ok) return resolve();
    } catch {
      /* not up yet */
    }
    if (server.exitCode !== null || Date.now() > deadline) return reject(new Error('the server did not start; see its log above'));
    setTimeout(poll, 200);
  };
  void poll();
});
for (const a of agentConfigs) run(a.name, agentBin, ['run', '--config', a.file]);

// A demo admin user (password kept in .demo/admin-password) and a read-only API token, so a
// newcomer can log in to the dashboard and script against the API at once.
const base = `http://127.0.0.1:${httpPort}/api/v1`;
const passwordFile = path.join(demoDir, 'admin-password');
if (!existsSync(passwordFile)) writeFileSync(passwordFile, `${randomBytes(12).toString('base64url')}\n`, { mode: 0o600 });
const adminPassword = readFileSync(passwordFile, 'utf8').trim();
const call = async (method, p, body, headers = {}) => {
  const res = await fetch(`${base}${p}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { res, json: await res.json().catch(() => null) };
};
const created = await call('POST', '/users', { name: 'admin', password: adminPassword, role: 'admin', reason: 'demo' }, { authorization: `Bearer ${adminToken}` });
if (created.res.status !== 201 && created.res.status !== 409) throw new Error(`demo: cannot create the admin user: ${JSON.stringify(created.json)}`);
const session = await call('POST', '/auth/login', { name: 'admin', password: adminPassword });
if (!session.res.ok) throw new Error(`demo: cannot log in as admin (delete .demo/ to start over): ${JSON.stringify(session.json)}`);
const readToken = await call('POST', '/tokens', { name: 'demo read-only', scope: 'read', expires_in_days: 30 }, { cookie: session.res.headers.get('set-cookie').split(';')[0], 'x-csrf-token': session.json.csrf_token });
if (readToken.res.status !== 201) throw new Error(`demo: cannot create a read-only token: ${JSON.stringify(readToken.json)}`);

// Equipment (issue #14): a workshop node with a simulated Shelly plug (an HTTP server speaking its
// RPC, drawing 180 W while on) and a card reader fed through a FIFO; Ada is trained on the laser
// cutter, Bob is not.
const auth = { authorization: `Bearer ${adminToken}` };
const plug = await startShelly({ loadW: 180 });
// A tap is a line appended to this file; the line reader follows it (only lines added from now on).
const readerFile = path.join(demoDir, 'workshop-taps');
writeFileSync(readerFile, '', { flag: 'a' });
const key = await call('GET', '/access/allow-list-key', undefined, auth);
writeFileSync(path.join(demoDir, 'allow-list.pub'), key.json.public_key_pem);
const workshopFile = path.join(demoDir, 'agent-workshop.yaml');
writeFileSync(
  workshopFile,
  toYaml({
    node: 'workshop',
    server: { mqtt_url: `ws://127.0.0.1:${httpPort}/mqtt`, credential: credentialFor('workshop', 'Workshop') },
    data_dir: './agent-workshop',
    drivers: [{ driver: 'shelly', name: 'laser_plug', url: plug.url, power_interval: '2s' }],
    actuators: { laser_plug: { max_on: '4h', idle_below_w: 20 } },
    readers: { laser_reader: { type: 'line', command: ['tail', '-n', '0', '-F', readerFile], debounce: '500ms' } },
    equipment: { laser: { actuators: ['laser_plug'], reader: 'laser_reader', session: { model: 'toggle' } } },
    access: { allow_list_key_file: 'allow-list.pub' },
  }),
  { mode: 0o600 },
);
const CARDS = { Ada: '0004567811', Bob: '0004567822' };
for (const [name, card] of Object.entries(CARDS)) {
  await call('POST', '/people', { name, groups: ['members'] }, auth); // 409 on later runs: already there
  const person = (await call('GET', '/people', undefined, auth)).json.people.find((p) => p.name === name);
  if (person.cards.length === 0) await call('POST', `/people/${person.id}/cards`, { card_id: card }, auth);
}
await call('PUT', '/equipment/laser', { display_name: 'Laser cutter', actuators: [{ node: 'workshop', actuator: 'laser_plug', power_channel: 'laser_plug/power' }], trainers: ['Ada'], maintainers: ['Ada'], rule: { access: { groups: ['members'] } } }, auth);
await call('PUT', '/equipment/laser/trainings/Ada', { expires_in_days: 365, reason: 'demo induction' }, auth);
run('workshop', agentBin, ['run', '--config', workshopFile]);

console.log(`
  Monitor Actuator demo is running.

    Dashboard:     http://localhost:${httpPort}
    API:           http://localhost:${httpPort}/api/v1/nodes   (OpenAPI: /api/openapi.json)
    Log in:        user admin, password ${adminPassword}
    Read-only API token (30 days):  ${readToken.json.token}
                   e.g.  curl -H 'Authorization: Bearer ${readToken.json.token}' http://localhost:${httpPort}/api/v1/nodes
    Bootstrap admin token (for the ma CLI):  ${adminToken}
                   e.g.  MA_SERVER=http://localhost:${httpPort} MA_TOKEN=${adminToken} npx ma node list
    MQTT (TCP):    127.0.0.1:${mqttTcpPort}. To publish by hand, give yourself a node of your own (a node's
                   seq numbers are its own, so never publish as an agent's node), then use its credential:
                   MA_SERVER=http://localhost:${httpPort} MA_TOKEN=${adminToken} npx ma node add manual --agent-config | grep credential
                   mosquitto_pub -p ${mqttTcpPort} -u manual -P '<credential>' -q 1 -t ma/v1/manual/telemetry \\
                     -m '{"v":1,"readings":[{"seq":'$(date +%s)',"ch":"manual/probe","ts":'$(date +%s%3N)',"v":21.5}]}'

  Two simulated nodes (lab-fridge, cold-room) report every 2 s.

    Equipment:     the workshop node has a laser cutter on a simulated Shelly plug (${plug.url}).
                   Tap a card on its reader:  echo ${CARDS.Ada} >> .demo/workshop-taps   (Ada, trained: toggles the plug)
                                              echo ${CARDS.Bob} >> .demo/workshop-taps   (Bob, not trained: denied)
                   Watch it on http://localhost:${httpPort}/equipment and /access/events; switch it with
                   MA_TOKEN=${adminToken} node packages/cli/dist/bin/ma.js switch workshop laser_plug on --reason demo

  Press Ctrl-C to stop.
`);
