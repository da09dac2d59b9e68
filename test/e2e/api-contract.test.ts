import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, login, request, type RawResponse, type Session } from '../support/login.js';
import { exampleInput, malformedInput, OpenApiOracle, validInput, type OpenApiDocument, type Pools, type RequestInput } from '../support/openapi.js';
import { addNode, runToEnd, startServerProcess, tempDir, type ServerHandle } from '../support/processes.js';
import { tolerateEarlyClose } from '../support/early-close.js';
import { uploadPhoto } from '../support/photos.js';

/**
 * The OpenAPI document against the real server: every response of every route is one the
 * document declares (status, content type, body schema), including the framework's own errors;
 * then a bounded, seeded property-based fuzz of every route, as an admin and as a view-only
 * user, with schema-valid and malformed inputs, failing on any 5xx or undocumented answer.
 */

const PASSWORD = 'a long enough passphrase';
const SEED = 20261202;
/** Per operation, principal and kind of input (valid, malformed): about 1,300 requests in all, ~35 s alone. */
const RUNS = 6;

function sshPublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} fuzz@test`;
}

describe('the API against its OpenAPI document', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let oracle: OpenApiOracle;
  let viewer: Session;
  const pools: Pools = {};

  const call = (method: string, input: RequestInput, headers: Record<string, string>, localAddress?: string): Promise<RawResponse> =>
    request(`${server.url}${input.path}${input.query}`, {
      method: method.toUpperCase(),
      headers: { ...headers, ...(input.body !== undefined ? { 'content-type': input.contentType } : {}) },
      ...(input.body !== undefined ? { body: input.body } : {}),
      ...(localAddress ? { localAddress } : {}),
    });

  beforeAll(async () => {
    tmp = await tempDir('api-contract');
    server = await startServerProcess({ dir: tmp.dir, mqttTcp: true });
    for (const name of ['alpha', 'beta']) {
      const node = await addNode(server.configFile, name, `${server.url.replace('http', 'ws')}/mqtt`);
      if (name === 'alpha') expect(await uploadPhoto(server.url, name, node.credential)).toBe(1);
      const msg = JSON.stringify({ v: 1, channels: { 'm/t': { kind: 'sensor', driver: 'manual', unit: 'C' } }, readings: [{ seq: 1, ch: 'm/t', ts: Date.now(), v: 40 }] });
      expect((await runToEnd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(server.mqttTcpPort), '-V', 'mqttv311', '-q', '1', '-u', name, '-P', node.credential, '-t', `ma/v1/${name}/telemetry`, '-m', msg])).code).toBe(0);
    }
    await createUser(server.url, 'viewer', PASSWORD);
    await createUser(server.url, 'spare', PASSWORD);
    const grants = await request(`${server.url}/api/v1/users/viewer/grants`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ grants: [{ scope: 'node', target: 'alpha', permission: 'view' }], reason: 'fuzz' }) });
    expect(grants.status).toBe(200);
    viewer = await login(server.url, 'viewer', PASSWORD, '127.0.0.50');
    const rule = await request(`${server.url}/api/v1/alert-rules`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'hot', target: { node: 'alpha', channel: 'm/t' }, condition: { type: 'threshold', op: 'above', value: 30 }, recipients: [{ type: 'chat', url: 'https://hooks.slack.com/services/T/B/KEY' }] }),
    });
    expect(rule.status, rule.body).toBe(201);
    // Equipment, people and a card, so that the equipment and people routes reach real rows.
    const admin = (method: string, url: string, body: unknown) => request(`${server.url}${url}`, { method, headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const name of ['Ada', 'Spare']) expect((await admin('POST', '/api/v1/people', { name })).status).toBe(201);
    for (const [name, actuator] of [['laser', 'laser_plug'], ['spare_tool', 'spare_plug']]) {
      const r = await admin('PUT', `/api/v1/equipment/${name}`, { display_name: name, actuators: [{ node: 'alpha', actuator }], rule: {} });
      expect(r.status, r.body).toBe(200);
    }
    expect((await admin('POST', '/api/v1/people/1/cards', { card_id: '04A1B2C3D4E5', reason: 'contract' })).status).toBe(201);
    oracle = new OpenApiOracle((await request(`${server.url}/api/openapi.json`)).json<OpenApiDocument>());
    const channels = (await request(`${server.url}/api/v1/channels`, { headers: bearer() })).json<{ channels: Array<{ id: number }> }>().channels.map((c) => c.id);
    // Real names and ids, so that schema-valid inputs reach real rows; the fuzzing users' own accounts are left out.
    Object.assign(pools, { node: ['alpha', 'beta'], name: ['alpha', 'beta'], user: ['spare', 'nobody'], id: [1, 2, 3], channel: channels, rule: [1], alert: [1, 2], equipment: ['laser'], person: ['Ada'] });
  });
  afterAll(async () => {
    if (process.env.MA_DEBUG_SERVER) console.log(server?.output().slice(-8000));
    await server?.stop();
    await tmp?.cleanup();
  });

  it('documents securitySchemes, and every operation declares a success response and the error body', () => {
    expect(Object.keys(oracle.doc.components.securitySchemes).sort()).toEqual(['bearer', 'session']);
    for (const [p, m, op] of oracle.operations()) {
      const codes = Object.keys(op.responses);
      expect({ op: `${m} ${p}`, success: codes.some((c) => /^[12]/.test(c)), errors: codes.includes('4XX') && codes.includes('5XX') }).toEqual({ op: `${m} ${p}`, success: true, errors: true });
      for (const param of op.parameters ?? []) {
        // Every node-name parameter, whatever it is called, checks the node-name pattern.
        if (param.in === 'path' && /\/nodes\/\{/.test(p) && p.includes(`/nodes/{${param.name}}`)) expect({ op: `${m} ${p}`, pattern: param.schema.pattern }).toEqual({ op: `${m} ${p}`, pattern: expect.stringContaining('[a-z0-9]') });
      }
    }
  });

  it('answers framework errors (bad URL, long parameter, huge headers, unknown route, body too large, wrong media type) in the documented error body', async () => {
    const cases: Array<[string, string, () => Promise<RawResponse>, number]> = [
      ['/api/v1/nodes/{node}', 'get', () => request(`${server.url}/api/v1/nodes/%E0%A4%A`, { headers: bearer() }), 400],
      ['/api/v1/nodes/{node}', 'get', () => request(`${server.url}/api/v1/nodes/${'a'.repeat(3000)}`, { headers: bearer() }), 414],
      ['/api/v1/nodes', 'get', () => request(`${server.url}/api/v1/nodes`, { headers: { ...bearer(), 'x-padding': 'p'.repeat(20_000) } }), 431],
      ['/api/v1/users', 'post', () => tolerateEarlyClose(() => request(`${server.url}/api/v1/users`, { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', password: 'y'.repeat(2 * 1024 * 1024) }) })), 413],
      ['/api/v1/users', 'post', () => request(`${server.url}/api/v1/users`, { method: 'POST', headers: { ...bearer(), 'content-type': 'application/xml' }, body: '<user/>' }), 415],
      ['/api/v1/nodes/{node}', 'get', () => request(`${server.url}/api/v1/nodes/Not_A_Node`, { headers: bearer() }), 400],
      ['/api/v1/nodes/{name}/status', 'get', () => request(`${server.url}/api/v1/nodes/..%2F..%2Fetc/status`, { headers: bearer() }), 400],
      ['/api/v1/live', 'get', () => request(`${server.url}/api/v1/live`, { headers: bearer() }), 426],
      ['/api/v1/nodes', 'get', () => request(`${server.url}/api/v1/nodes`), 401],
    ];
    for (const [template, method, send, status] of cases) {
      const r = await send();
      expect({ template, status: r.status }).toEqual({ template, status });
      expect({ template, problem: oracle.problem(template, method, r) }).toEqual({ template, problem: undefined });
      expect(r.json<{ error: { code: number; message: string } }>().error).toEqual({ code: expect.any(Number), message: expect.any(String) });
    }
    const unknown = await request(`${server.url}/api/v1/no-such-route`, { headers: bearer() });
    expect(unknown.status).toBe(404);
    expect(unknown.json<{ error: { code: number } }>().error.code).toBe(601);
  });

  it('answers a real, valid request to every route with a response the document declares', async () => {
    const examples: Record<string, RequestInput> = {
      'post /api/v1/alert-rules': { path: '/api/v1/alert-rules', query: '', contentType: 'application/json', body: JSON.stringify({ name: 'cold', target: { node: 'beta', channel: 'm/t' }, condition: { type: 'threshold', op: 'below', value: -30 }, recipients: [{ type: 'email', to: 'a@b.test' }] }) },
      'put /api/v1/alert-rules/{id}': { path: '/api/v1/alert-rules/1', query: '', contentType: 'application/json', body: JSON.stringify({ name: 'hot', target: { node: 'alpha', channel: 'm/t' }, condition: { type: 'threshold', op: 'above', value: 35 }, recipients: [{ type: 'email', to: 'a@b.test' }] }) },
      'post /api/v1/alert-rules/preview': { path: '/api/v1/alert-rules/preview', query: '', contentType: 'application/json', body: JSON.stringify({ name: 'p', target: { node: 'alpha', channel: 'm/t' }, condition: { type: 'threshold', op: 'above', value: 30 }, recipients: [] }) },
      'post /api/v1/alert-silences': { path: '/api/v1/alert-silences', query: '', contentType: 'application/json', body: JSON.stringify({ node: 'alpha', duration: '1h', reason: 'maintenance' }) },
      'post /api/v1/users': { path: '/api/v1/users', query: '', contentType: 'application/json', body: JSON.stringify({ name: 'newcomer', password: PASSWORD, role: 'member' }) },
      'post /api/v1/tokens': { path: '/api/v1/tokens', query: '', contentType: 'application/json', body: JSON.stringify({ name: 'contract' }) },
      'post /api/v1/auth/login': { path: '/api/v1/auth/login', query: '', contentType: 'application/json', body: JSON.stringify({ name: 'spare', password: PASSWORD }) },
      'patch /api/v1/channels/{id}': { path: `/api/v1/channels/${String(pools.channel![0])}`, query: '', contentType: 'application/json', body: JSON.stringify({ label: 'probe' }) },
      'put /api/v1/users/{user}/grants': { path: '/api/v1/users/spare/grants', query: '', contentType: 'application/json', body: JSON.stringify({ grants: [{ scope: 'node', target: 'beta', permission: 'view' }] }) },
      'put /api/v1/nodes/{node}/tags': { path: '/api/v1/nodes/beta/tags', query: '', contentType: 'application/json', body: JSON.stringify({ tags: ['lab'] }) },
      'post /api/v1/nodes': { path: '/api/v1/nodes', query: '', contentType: 'application/json', body: JSON.stringify({ name: 'gamma', credential: true }) },
      'post /api/v1/me/ssh-keys': { path: '/api/v1/me/ssh-keys', query: '', contentType: 'application/json', body: JSON.stringify({ public_key: sshPublicKey() }) },
      'get /api/v1/readings': { path: '/api/v1/readings', query: `?channel=${String(pools.channel![0])}`, contentType: 'application/json', body: undefined },
      'get /api/v1/readings.csv': { path: '/api/v1/readings.csv', query: `?channel=${String(pools.channel![0])}`, contentType: 'application/json', body: undefined },
      'post /api/v1/users/{user}/password': { path: '/api/v1/users/spare/password', query: '', contentType: 'application/json', body: JSON.stringify({ password: `${PASSWORD} renewed` }) },
      'patch /api/v1/me/preferences': { path: '/api/v1/me/preferences', query: '', contentType: 'application/json', body: JSON.stringify({ time_zone: 'Europe/Paris', hour_cycle: 'h23' }) },
      'put /api/v1/equipment/{equipment}': { path: '/api/v1/equipment/laser', query: '', contentType: 'application/json', body: JSON.stringify({ display_name: 'Laser cutter', actuators: [{ node: 'alpha', actuator: 'laser_plug' }], rule: { access: { trained: true } }, reason: 'contract' }) },
      'post /api/v1/people/{id}/cards': { path: '/api/v1/people/1/cards', query: '', contentType: 'application/json', body: JSON.stringify({ card_id: '04FFEEDDCCBB', label: 'spare', reason: 'contract' }) },
      'delete /api/v1/equipment/{equipment}': { path: '/api/v1/equipment/spare_tool', query: '?reason=contract', contentType: 'application/json', body: undefined },
      'patch /api/v1/people/{id}': { path: '/api/v1/people/1', query: '', contentType: 'application/json', body: JSON.stringify({ groups: ['members'], reason: 'contract' }) },
      'put /api/v1/equipment/{equipment}/trainings/{person}': { path: '/api/v1/equipment/laser/trainings/Ada', query: '', contentType: 'application/json', body: JSON.stringify({ expires_in_days: 365, reason: 'induction' }) },
      'delete /api/v1/people/{id}': { path: '/api/v1/people/2', query: '?reason=contract', contentType: 'application/json', body: undefined },
      'patch /api/v1/users/{user}': { path: '/api/v1/users/spare', query: '', contentType: 'application/json', body: JSON.stringify({ role: 'member' }) },
      'post /api/v1/nodes/{name}/import': { path: '/api/v1/nodes/alpha/import', query: '', contentType: 'application/json', body: JSON.stringify({ channels: { 'ds18b20/28-00000c1a748d': { driver: 'ds18b20', unit: 'C', labels: { place: 'fridge' } } }, readings: [{ channel: 'ds18b20/28-00000c1a748d', ts: Date.parse('2019-03-04T12:00:15Z'), value: 2.603 }] }) },
      'get /api/v1/export': { path: '/api/v1/export', query: '?node=alpha&format=jsonl', contentType: 'application/json', body: undefined },
    };
    // Routes whose success needs what a contract run cannot have: a connected agent (logs), a
    // valid one-time token or code, no users at all (first run), or a destructive action
    // another route needs; each still answers, and its answer is checked all the same.
    const noSuccessHere = new Set([
      'get /api/v1/nodes/{name}/logs',
      'post /api/v1/enroll',
      'post /api/v1/auth/setup',
      'post /api/v1/auth/password',
      'post /api/v1/auth/totp/enable',
      'post /api/v1/auth/totp/disable',
      'post /api/v1/alerts/{id}/ack',
      'delete /api/v1/nodes/{name}/tunnel/key',
      'delete /api/v1/me/ssh-keys/{id}',
      'delete /api/v1/alert-silences/{id}',
      'delete /api/v1/tokens/{id}',
      'get /api/v1/live',
      // Switching needs a connected agent that has the actuator.
      'post /api/v1/nodes/{node}/actuators/{actuator}/switch',
    ]);
    // Destructive operations last, so the others find their rows.
    const order = (m: string, p: string) => (p.endsWith('/logout') ? 2 : m === 'delete' || p.endsWith('/revoke') ? 1 : 0);
    const ops = oracle.operations().sort(([pa, ma], [pb, mb]) => order(ma, pa) - order(mb, pb));
    const problems: string[] = [];
    const succeeded = new Set<string>();
    await createUser(server.url, 'chief', PASSWORD, 'admin');
    const chief = await login(server.url, 'chief', PASSWORD, '127.0.0.51');
    for (const [p, m, op] of ops) {
      const key = `${m} ${p}`;
      const input = examples[key] ?? exampleInput(p, op, pools, SEED);
      // As an admin user with a session (the bootstrap token has no account: no tokens, keys or TOTP).
      const r = await call(m, input, { cookie: chief.cookie, 'x-csrf-token': chief.csrf });
      const problem = oracle.problem(p, m, r);
      if (problem) problems.push(`${key}: ${problem}`);
      if (r.status < 300) succeeded.add(key);
      else if (!noSuccessHere.has(key)) problems.push(`${key}: expected a success for ${input.path}${input.query}, got ${r.status} ${r.body.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
    expect(succeeded.size).toBeGreaterThanOrEqual(ops.length - noSuccessHere.size);
  });

  it('survives a seeded property-based fuzz of every route, as admin and as a view-only user, with no 5xx and no undocumented answer', { timeout: 300_000 }, async () => {
    const principals: Array<[string, () => Record<string, string>]> = [
      ['admin', () => bearer()],
      ['viewer', () => ({ cookie: viewer.cookie, 'x-csrf-token': viewer.csrf })],
    ];
    let requests = 0;
    const started = Date.now();
    for (const [p, m, op] of oracle.operations()) {
      for (const [who, headers] of principals) {
        for (const [kind, arb] of [
          ['valid', validInput(p, op, pools)],
          ['malformed', malformedInput(p, op)],
        ] as const) {
          await fc
            .assert(
            fc.asyncProperty(arb, async (input) => {
              requests++;
              const r = await call(m, input, headers(), '127.0.0.60');
              const what = `${who} ${kind} ${m.toUpperCase()} ${input.path.slice(0, 200)}${input.query.slice(0, 200)} ${input.contentType} ${String(input.body).slice(0, 200)}`;
              if (r.status >= 500) throw new Error(`${what}: ${r.status} ${r.body.slice(0, 300)}`);
              // A route may only be undeclared for paths the router could not match to it (a hostile
              // segment with a slash in it lands elsewhere): then it must be the documented 404 or 400.
              const problem = oracle.problem(p, m, r);
              if (problem && !(kind === 'malformed' && (r.status === 404 || r.status === 400) && /"error":\{"code":\d+,"message"/.test(r.body))) throw new Error(`${what}: ${problem}`);
              // The fuzz may log the viewer out (POST /auth/logout) or end its session: log in again.
              if (who === 'viewer' && r.status === 401) viewer = await login(server.url, 'viewer', PASSWORD, '127.0.0.50');
            }),
            { seed: SEED, numRuns: RUNS, endOnFailure: true },
          )
            // fast-check prints the whole counterexample (some are 10 kB of "x"); the cause is at the end.
            .catch((e: Error) => {
              throw new Error(`${p} ${m} as ${who}, ${kind}: ${e.message.slice(-2500)}`);
            });
        }
      }
    }
    expect(requests).toBeGreaterThanOrEqual(oracle.operations().length * 4 * RUNS);
    console.log(`api fuzz: ${requests} requests in ${Date.now() - started} ms`);
  });
});
