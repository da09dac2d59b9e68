import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, jsonBody, login, request, type Session } from '../support/login.js';
import { addNode, runToEnd, startServerProcess, tempDir, type ServerHandle } from '../support/processes.js';
import { tolerateEarlyClose } from '../support/early-close.js';
import { uploadPhoto } from '../support/photos.js';

/**
 * The API's security, against a real server: the permission matrix over every route of the
 * OpenAPI document (so a new route without a rule here fails), login brute force, cookie
 * flags, CSRF, security headers, and bad input.
 */

const PASSWORD = 'a long enough passphrase';
interface OpenApi {
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string; required: boolean }>; requestBody?: unknown }>>;
}

describe('API security', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  const channelOf: Record<string, number> = {};
  const credentialOf: Record<string, string> = {};
  const photoOf: Record<string, number> = {};
  const sessions: Record<string, Session> = {};

  // Who may view which node: alpha carries the tag "freezers".
  const users = {
    viewer: { grants: [{ scope: 'node', target: 'alpha', permission: 'view' }], sees: ['alpha'], adminOf: [] as string[] },
    tagged: { grants: [{ scope: 'tag', target: 'freezers', permission: 'actuate' }], sees: ['alpha'], adminOf: [] as string[] },
    keeper: { grants: [{ scope: 'node', target: 'beta', permission: 'admin' }], sees: ['beta'], adminOf: ['beta'] },
    nobody: { grants: [], sees: [] as string[], adminOf: [] as string[] },
  } as const;

  beforeAll(async () => {
    tmp = await tempDir('sec-api');
    server = await startServerProcess({ dir: tmp.dir, mqttTcp: true });
    for (const name of ['alpha', 'beta']) {
      const node = await addNode(server.configFile, name, `${server.url.replace('http', 'ws')}/mqtt`);
      credentialOf[name] = node.credential;
      photoOf[name] = await uploadPhoto(server.url, name, node.credential);
      const msg = JSON.stringify({ v: 1, channels: { 'm/t': { kind: 'sensor', driver: 'manual', unit: 'C' } }, readings: [{ seq: 1, ch: 'm/t', ts: Date.now(), v: 1 }] });
      const r = await runToEnd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(server.mqttTcpPort), '-V', 'mqttv311', '-q', '1', '-u', name, '-P', node.credential, '-t', `ma/v1/${name}/telemetry`, '-m', msg]);
      expect(r.code).toBe(0);
    }
    const channels = (await request(`${server.url}/api/v1/channels`, { headers: bearer() })).json<{ channels: Array<{ id: number; node: string }> }>().channels;
    for (const c of channels) channelOf[c.node] = c.id;
    expect(Object.keys(channelOf).sort()).toEqual(['alpha', 'beta']);
    const tags = await request(`${server.url}/api/v1/nodes/alpha/tags`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ tags: ['freezers'] }) });
    expect(tags.status).toBe(200);
    for (const [name, u] of Object.entries(users)) {
      await createUser(server.url, name, PASSWORD);
      const g = await request(`${server.url}/api/v1/users/${name}/grants`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ grants: u.grants, reason: 'test' }) });
      expect(g.status).toBe(200);
      sessions[name] = await login(server.url, name, PASSWORD);
    }
    // Equipment (issue #14): one tool per node; viewer maintains alpha's, tagged trains on it.
    const admin = (method: string, path: string, body: unknown) => request(`${server.url}${path}`, { method, headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await admin('POST', '/api/v1/people', { name: 'Vera', user: 'viewer' })).status).toBe(201);
    expect((await admin('POST', '/api/v1/people', { name: 'Tom', user: 'tagged' })).status).toBe(201);
    expect((await admin('POST', '/api/v1/people', { name: 'Pat' })).status).toBe(201);
    for (const node of ['alpha', 'beta']) {
      const r = await admin('PUT', `/api/v1/equipment/${node}_tool`, { actuators: [{ node, actuator: 'relay' }], maintainers: node === 'alpha' ? ['Vera'] : [], trainers: node === 'alpha' ? ['Tom'] : [] });
      expect(r.status).toBe(200);
    }
  });
  afterAll(async () => {
    if (process.env.MA_DEBUG_SERVER) console.log(server?.output().slice(-6000));
    await server?.stop();
    await tmp?.cleanup();
  });

  const as = (name: string, method = 'GET', extra: Record<string, string> = {}) => ({ method, headers: { cookie: sessions[name]!.cookie, 'x-csrf-token': sessions[name]!.csrf, ...extra } });

  it('answers every GET route of the OpenAPI document exactly as each user\'s grants allow', async () => {
    const doc = (await request(`${server.url}/api/openapi.json`)).json<OpenApi>();
    const gets = Object.entries(doc.paths).filter(([, ops]) => ops.get);
    expect(gets.length).toBeGreaterThan(10);
    const adminOnly = new Set(['/api/v1/users', '/api/v1/audit', '/api/v1/users/{user}/grants', '/api/v1/tunnel/server-config']);
    // Everyone may ask; lists answer only what the caller may see (tunnels and ssh-targets are
    // filtered by view and ssh grants: the tunnel issue's own tests check their content).
    const everyone = new Set(['/api/v1/nodes', '/api/v1/channels', '/api/v1/features', '/api/v1/auth/me', '/api/v1/auth/state', '/api/v1/tokens', '/api/v1/tunnels', '/api/v1/tunnel/ssh-targets', '/api/v1/me/ssh-keys']);
    // Alerts (issue #6): lists filtered to the nodes each user may view.
    for (const p of ['/api/v1/alerts', '/api/v1/alert-rules', '/api/v1/alert-silences', '/api/v1/alert-deliveries']) everyone.add(p);
    // Preferences and saved views (issue #13): each user's own.
    for (const p of ['/api/v1/me/preferences', '/api/v1/me/views', '/api/v1/node-tags']) everyone.add(p);
    // Equipment (issue #14): lists filtered to equipment on nodes each user may view.
    for (const p of ['/api/v1/equipment', '/api/v1/trainings', '/api/v1/usage', '/api/v1/usage.csv', '/api/v1/access/allow-list-key']) everyone.add(p);
    adminOnly.add('/api/v1/people');
    const unclassified = new Set<string>();
    for (const [name, u] of Object.entries(users)) {
      for (const [path, ops] of gets) {
        if (path === '/api/v1/live') continue; // the WebSocket feed: its own test below
        const params = ops.get!.parameters ?? [];
        const nodeParam = /\/nodes\/\{(\w+)\}/.exec(path)?.[1];
        const nodeScoped = nodeParam !== undefined || params.some((p) => p.in === 'query' && p.name === 'channel' && p.required);
        const equipmentParam = /\/equipment\/\{(\w+)\}/.exec(path)?.[1];
        if (equipmentParam) {
          // Equipment is seen by whoever may view its node, and answered 404 to others.
          for (const node of ['alpha', 'beta']) {
            const url = path.replace(`{${equipmentParam}}`, `${node}_tool`);
            const r = await request(`${server.url}${url}`, as(name));
            expect({ name, url, status: r.status }).toEqual({ name, url, status: (u.sees as readonly string[]).includes(node) ? 200 : 404 });
          }
        } else if (path === '/api/v1/export') {
          // Export (issue #18) by node: every reading of a node its viewers may read, 404 for others.
          for (const node of ['alpha', 'beta']) {
            const url = `${path}?node=${node}&format=jsonl`;
            const r = await request(`${server.url}${url}`, as(name));
            expect({ name, url, status: r.status }).toEqual({ name, url, status: (u.sees as readonly string[]).includes(node) ? 200 : 404 });
          }
        } else if (nodeScoped) {
          for (const node of ['alpha', 'beta']) {
            // A photo (issue #16) is seen exactly as its node is.
            let url = (nodeParam ? path.replace(`{${nodeParam}}`, node) : path).replace('/photos/{id}', `/photos/${photoOf[node]}`);
            if (params.some((p) => p.name === 'channel')) url += `?channel=${channelOf[node]}`;
            const r = await request(`${server.url}${url}`, as(name));
            // An agent's logs (issue #7) need admin or ssh on the node beyond view; these nodes have no agent log channel (409).
            const seen = (u.sees as readonly string[]).includes(node);
            const allowed = path.endsWith('/logs') ? ((u.adminOf as readonly string[]).includes(node) ? 409 : 403) : 200;
            expect({ name, url, status: r.status }).toEqual({ name, url, status: seen ? allowed : 404 });
          }
        } else if (adminOnly.has(path)) {
          const r = await request(`${server.url}${path.replace('{user}', 'viewer')}`, as(name));
          expect({ name, path, status: r.status }).toEqual({ name, path, status: path.includes('{user}') && name === 'viewer' ? 200 : 403 });
        } else if (!everyone.has(path)) {
          unclassified.add(path);
        } else {
          const r = await request(`${server.url}${path}`, as(name));
          expect({ name, path, status: r.status }).toEqual({ name, path, status: 200 });
        }
      }
      const nodes = (await request(`${server.url}/api/v1/nodes`, as(name))).json<{ nodes: Array<{ name: string }> }>().nodes.map((n) => n.name);
      expect(nodes).toEqual([...u.sees]);
      const channels = (await request(`${server.url}/api/v1/channels`, as(name))).json<{ channels: Array<{ node: string }> }>().channels.map((c) => c.node);
      expect(channels).toEqual([...u.sees]);
    }
    expect([...unclassified], 'GET routes without a rule in this matrix: add them').toEqual([]);
  });

  it('refuses node changes without the node admin grant: 404 for an unseen node, 403 for a seen one', async () => {
    const cases = [
      { method: 'POST', path: (n: string) => `/api/v1/nodes/${n}/enrollment`, body: undefined },
      { method: 'PATCH', path: (n: string) => `/api/v1/channels/${channelOf[n]}`, body: { label: 'renamed' } },
    ];
    for (const [name, u] of Object.entries(users)) {
      for (const node of ['alpha', 'beta']) {
        for (const c of cases) {
          const r = await request(`${server.url}${c.path(node)}`, { ...as(name, c.method, c.body ? { 'content-type': 'application/json' } : {}), ...(c.body ? { body: JSON.stringify(c.body) } : {}) });
          const expected = (u.adminOf as readonly string[]).includes(node) ? [200, 201] : (u.sees as readonly string[]).includes(node) ? [403] : [404];
          expect({ name, node, path: c.path(node), status: r.status }).toEqual({ name, node, path: c.path(node), status: expect.toBeOneOf(expected) });
        }
      }
    }
  });

  it('lets a user who may view a node acknowledge its alert only with a write scope: every read-only token is refused', async () => {
    const rule = await request(`${server.url}/api/v1/alert-rules`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'matrix', target: { node: 'alpha', channel: 'm/t' }, condition: { type: 'threshold', op: 'above', value: 0 }, recipients: [{ type: 'email', to: 'ops@lab.test' }] }),
    });
    expect(rule.status, rule.body).toBe(201);
    const alertFor = async (): Promise<number> => {
      for (let i = 0; i < 50; i++) {
        const open = (await request(`${server.url}/api/v1/alerts?state=pending,firing&node=alpha`, { headers: bearer() })).json<{ alerts: Array<{ id: number; acked_at: number | null }> }>().alerts.find((a) => a.acked_at === null);
        if (open) return open.id;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('no alert opened');
    };
    // alpha's first reading came before the rule existed; a new one above the threshold opens the alert.
    expect((await runToEnd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(server.mqttTcpPort), '-V', 'mqttv311', '-q', '1', '-u', 'alpha', '-P', credentialOf.alpha!, '-t', 'ma/v1/alpha/telemetry', '-m', JSON.stringify({ v: 1, readings: [{ seq: 2, ch: 'm/t', ts: Date.now(), v: 5 }] })])).code).toBe(0);
    const id = await alertFor();
    const ack = (headers: Record<string, string>) => request(`${server.url}/api/v1/alerts/${id}/ack`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ note: 'matrix' }) });
    for (const name of ['viewer', 'tagged']) {
      const t = await request(`${server.url}/api/v1/tokens`, { ...as(name, 'POST', { 'content-type': 'application/json' }), body: JSON.stringify({ name: 'ro', scope: 'read' }) });
      expect(t.status).toBe(201);
      expect({ name, status: (await ack(bearer(t.json<{ token: string }>().token))).status }).toEqual({ name, status: 403 });
    }
    // Who cannot view alpha cannot learn the alert exists; who can, acknowledges from a session.
    expect((await ack({ cookie: sessions.keeper!.cookie, 'x-csrf-token': sessions.keeper!.csrf })).status).toBe(404);
    expect((await ack({ cookie: sessions.nobody!.cookie, 'x-csrf-token': sessions.nobody!.csrf })).status).toBe(404);
    expect((await ack({ cookie: sessions.viewer!.cookie, 'x-csrf-token': sessions.viewer!.csrf })).status).toBe(200);
  });

  it('lets only actuate switch, only maintainers lock out, only trainers train, only admins manage people', async () => {
    const call = (name: string, method: string, path: string, body?: unknown) =>
      request(`${server.url}${path}`, { ...as(name, method, body !== undefined ? { 'content-type': 'application/json' } : {}), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    // Switching needs actuate (or node admin); these nodes have no agent connected, so an allowed call reaches the offline check (409).
    const sw = { viewer: { alpha: 403, beta: 404 }, tagged: { alpha: 409, beta: 404 }, keeper: { alpha: 404, beta: 409 }, nobody: { alpha: 404, beta: 404 } } as const;
    for (const [name, byNode] of Object.entries(sw)) {
      for (const [node, status] of Object.entries(byNode)) {
        const r = await call(name, 'POST', `/api/v1/nodes/${node}/actuators/relay/switch`, { value: 'on', reason: 'matrix' });
        expect({ name, node, status: r.status }).toEqual({ name, node, status });
      }
    }
    // Lock-out: Vera (viewer) maintains alpha_tool; others who see it are refused, others do not see it.
    const lock = { tagged: 403, keeper: 404, nobody: 404 } as const;
    for (const [name, status] of Object.entries(lock)) {
      expect({ name, status: (await call(name, 'POST', '/api/v1/equipment/alpha_tool/lockout', { mode: 'safety', reason: 'matrix' })).status }).toEqual({ name, status });
    }
    expect((await call('viewer', 'POST', '/api/v1/equipment/alpha_tool/lockout', { mode: 'safety', reason: 'matrix' })).status).toBe(201);
    expect((await call('tagged', 'DELETE', '/api/v1/equipment/alpha_tool/lockout')).status).toBe(403);
    expect((await call('viewer', 'DELETE', '/api/v1/equipment/alpha_tool/lockout')).status).toBe(200);
    // Training: Tom (tagged) trains on alpha_tool.
    const train = { viewer: 403, keeper: 404, nobody: 404 } as const;
    for (const [name, status] of Object.entries(train)) {
      expect({ name, status: (await call(name, 'PUT', '/api/v1/equipment/alpha_tool/trainings/Pat', { reason: 'matrix' })).status }).toEqual({ name, status });
    }
    expect((await call('tagged', 'PUT', '/api/v1/equipment/alpha_tool/trainings/Pat', { reason: 'matrix' })).status).toBe(200);
    expect((await call('viewer', 'DELETE', '/api/v1/equipment/alpha_tool/trainings/Pat')).status).toBe(403);
    expect((await call('tagged', 'DELETE', '/api/v1/equipment/alpha_tool/trainings/Pat')).status).toBe(200);
    // Defining equipment and people is admin work, even for a node admin or a maintainer.
    for (const name of ['viewer', 'tagged', 'keeper', 'nobody']) {
      expect({ name, status: (await call(name, 'POST', '/api/v1/people', { name: 'Mallory' })).status }).toEqual({ name, status: 403 });
      expect({ name, status: (await call(name, 'PUT', '/api/v1/equipment/beta_tool', { actuators: [] })).status }).toEqual({ name, status: 403 });
      expect({ name, status: (await call(name, 'POST', '/api/v1/people/import', { csv: 'name\nMallory\n' })).status }).toEqual({ name, status: 403 });
    }
    // Usage is open to everyone, but shows only equipment on nodes the caller may view.
    const usage = (await call('nobody', 'GET', '/api/v1/usage')).json<{ totals: unknown[]; sessions: unknown[] }>();
    expect(usage).toMatchObject({ totals: [], sessions: [] });
  });

  it('refuses anonymous requests to every non-public route', async () => {
    const doc = (await request(`${server.url}/api/openapi.json`)).json<OpenApi>();
    const isPublic = new Set(['/api/v1/features', '/api/v1/auth/state', '/api/v1/auth/login', '/api/v1/auth/setup', '/api/v1/enroll']);
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (isPublic.has(path)) continue;
      for (const method of Object.keys(ops)) {
        const r = await request(`${server.url}${path.replace(/\{\w+\}/g, '1')}`, { method: method.toUpperCase(), ...(['get', 'delete'].includes(method) ? {} : jsonBody({})) });
        expect({ method, path, status: r.status }).toEqual({ method, path, status: 401 });
      }
    }
  });

  it('sets HttpOnly, SameSite=Strict session cookies and helmet-like headers', async () => {
    const r = await request(`${server.url}/api/v1/auth/login`, { method: 'POST', ...jsonBody({ name: 'viewer', password: PASSWORD }) });
    const cookie = String(r.headers['set-cookie']?.[0]);
    expect(cookie).toMatch(/^ma_session=mas_[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(r.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect((await request(`${server.url}/`)).headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('refuses a cookie-authenticated POST without the CSRF token, and accepts it with the token', async () => {
    const s = sessions.keeper!;
    const without = await request(`${server.url}/api/v1/nodes/beta/enrollment`, { method: 'POST', headers: { cookie: s.cookie } });
    expect(without.status).toBe(403);
    expect(without.body).toContain('CSRF');
    const wrong = await request(`${server.url}/api/v1/nodes/beta/enrollment`, { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': 'csrf_forged' } });
    expect(wrong.status).toBe(403);
    const ok = await request(`${server.url}/api/v1/nodes/beta/enrollment`, { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    expect(ok.status).toBe(201);
  });

  it('rate limits 100 wrong passwords from one address, while another user logs in from another address', async () => {
    await createUser(server.url, 'victim', PASSWORD);
    await createUser(server.url, 'bystander', PASSWORD);
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await request(`${server.url}/api/v1/auth/login`, { method: 'POST', localAddress: '127.0.0.2', ...jsonBody({ name: 'victim', password: `guess-number-${i}` }) });
      statuses.push(r.status);
      if (r.status === 429) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(90);
    // Even the right password is refused while locked out.
    const locked = await request(`${server.url}/api/v1/auth/login`, { method: 'POST', localAddress: '127.0.0.2', ...jsonBody({ name: 'victim', password: PASSWORD }) });
    expect(locked.status).toBe(429);
    const other = await request(`${server.url}/api/v1/auth/login`, { method: 'POST', localAddress: '127.0.0.3', ...jsonBody({ name: 'bystander', password: PASSWORD }) });
    expect(other.status).toBe(200);
    const audit = (await request(`${server.url}/api/v1/audit?action=auth.login&target=user:victim&limit=1000`, { headers: bearer() })).json<{ entries: Array<{ outcome: string; ip: string }> }>().entries;
    expect(audit.length).toBe(101);
    expect(audit.every((e) => e.ip.endsWith('127.0.0.2'))).toBe(true);
  });

  it('answers bad input with a clear 4xx and stores nothing', async () => {
    const before = (await request(`${server.url}/api/v1/users`, { headers: bearer() })).json<{ users: unknown[] }>().users.length;
    const post = (body: string, path = '/api/v1/users') => request(`${server.url}${path}`, { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json' }, body });
    const cases: Array<[string, RegExp]> = [
      [JSON.stringify({ name: 'eve', password: PASSWORD, is_root: true }), /must NOT have additional properties/],
      [JSON.stringify({ name: 12345, password: PASSWORD }), /must be string/],
      [JSON.stringify({ name: "x'); DROP TABLE users; --", password: PASSWORD }), /invalid user name/],
      [JSON.stringify({ name: '../../etc/passwd', password: PASSWORD }), /invalid user name/],
      ['{"name": "eve", "password": ', /JSON|Unexpected/i],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      expect(r.status, body).toBeGreaterThanOrEqual(400);
      expect(r.status, body).toBeLessThan(500);
      expect(r.body).toMatch(message);
    }
    const huge = await tolerateEarlyClose(() => post(JSON.stringify({ name: 'eve', password: 'x'.repeat(2 * 1024 * 1024) })));
    expect(huge.status).toBe(413);
    const traversal = await request(`${server.url}/api/v1/nodes/..%2F..%2Fetc%2Fpasswd`, { headers: bearer() });
    expect(traversal.status).toBe(400);
    const nodeSql = await post(JSON.stringify({ name: "a'--", credential: true }), '/api/v1/nodes');
    expect(nodeSql.status).toBe(400);
    expect((await request(`${server.url}/api/v1/users`, { headers: bearer() })).json<{ users: unknown[] }>().users.length).toBe(before);
    expect((await request(`${server.url}/api/v1/nodes`, { headers: bearer() })).json<{ nodes: unknown[] }>().nodes.length).toBe(2);
  });

  it('survives random JSON at every route of the OpenAPI document without a 5xx', async () => {
    const doc = (await request(`${server.url}/api/openapi.json`)).json<OpenApi>();
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = (): unknown => {
      const pick = Math.floor(rnd() * 9);
      return [null, true, -1, 1e308, 'x'.repeat(Math.floor(rnd() * 300)), "'; DROP TABLE nodes; --", '../../../etc/passwd', [1, 'a', null], { nested: { deep: [{}] } }][pick];
    };
    const randomJson = (): unknown => {
      const keys = ['name', 'password', 'role', 'grants', 'tags', 'label', 'token', 'scope', 'disabled', 'reason', 'credential', 'code', 'expires_in_days', 'zzz'];
      const o: Record<string, unknown> = {};
      for (let i = 0; i < 1 + rnd() * 4; i++) o[keys[Math.floor(rnd() * keys.length)]!] = values();
      return rnd() < 0.1 ? values() : o;
    };
    let requests = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        for (let i = 0; i < 15; i++) {
          const url = path.replace(/\{\w+\}/g, () => encodeURIComponent(String(values())));
          for (const headers of [bearer(), { cookie: sessions.nobody!.cookie, 'x-csrf-token': sessions.nobody!.csrf }]) {
            const target = `${server.url}${url}?channel=${encodeURIComponent(String(values()))}`;
            const body = JSON.stringify(randomJson());
            const r = await request(target, { method: method.toUpperCase(), headers: { ...headers, 'content-type': 'application/json' }, body }).catch((e: Error) => {
              throw new Error(`${method} ${target} ${body.slice(0, 200)}: ${e.message}`);
            });
            requests++;
            expect({ method, url, body: r.status >= 500 || r.status < 200 ? `${r.status} ${r.body}` : '' }).toEqual({ method, url, body: '' });
          }
        }
      }
    }
    expect(requests).toBeGreaterThan(500);
    // Thirty requests per operation, one after another: the time grows with the API, so it gets its own limit.
  }, 180_000);
});
