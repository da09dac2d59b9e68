import { testDatabase } from '../../../../test/support/databases.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@ma/protocol';
import { AuditStore } from '../audit/audit-store.js';
import { EnrollmentStore } from '../enrollment/enrollment-store.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { TokensStore } from '../tokens/tokens-store.js';
import { GrantsStore } from '../users/grants-store.js';
import { SessionsStore } from '../users/sessions-store.js';
import { UsersStore } from '../users/users-store.js';
import { authDatabase } from './auth-database.js';

/** The auth repositories, one specification run on SQLite and on PostgreSQL. */

describe.each(['sqlite', 'postgres'] as const)('auth repositories on %s', (dialect) => {
  const harness = testDatabase(dialect, 'ma-auth');
  let store: Store;
  let users: UsersStore;
  let sessions: SessionsStore;
  let grants: GrantsStore;
  let tokens: TokensStore;
  let enrollment: EnrollmentStore;
  let audit: AuditStore;

  beforeAll(() => harness.setup());
  afterAll(() => harness.teardown());
  beforeEach(async () => {
    store = await openStore({ url: await harness.fresh() });
    const a = authDatabase(store);
    expect(a.dialect).toBe(dialect);
    users = new UsersStore(a);
    sessions = new SessionsStore(a);
    grants = new GrantsStore(a);
    tokens = new TokensStore(a);
    enrollment = new EnrollmentStore(a);
    audit = new AuditStore(a);
  });
  afterEach(() => store.close());

  it('creates users with unique names and reads back booleans as booleans', async () => {
    const alice = await users.create({ name: 'alice', role: 'admin', password_hash: 'h1' });
    expect(alice).toMatchObject({ name: 'alice', role: 'admin', disabled: false, totp_enabled: false });
    await expect(users.create({ name: 'alice', role: 'member', password_hash: 'h2' })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    const updated = await users.update(alice.id, { disabled: true, totp_enabled: true, totp_secret: 'S' });
    expect(updated).toMatchObject({ disabled: true, totp_enabled: true, totp_secret: 'S' });
    expect(await users.countActiveAdmins()).toBe(0);
    expect(await users.count()).toBe(1);
  });

  it('creates the first user only while there is none', async () => {
    const first = await users.createFirst({ name: 'root', role: 'admin', password_hash: 'h' });
    expect(first?.name).toBe('root');
    expect(await users.createFirst({ name: 'second', role: 'admin', password_hash: 'h' })).toBeUndefined();
    expect((await users.list()).map((u) => u.name)).toEqual(['root']);
  });

  it('stores a name full of SQL metacharacters as plain text', async () => {
    const name = `x'); DROP TABLE users; --%_\\`;
    await users.create({ name, role: 'member', password_hash: 'h' });
    expect((await users.getByName(name))?.name).toBe(name);
    expect(await users.count()).toBe(1);
  });

  it('finds a session only until it expires, and ends all of a user\'s sessions but one', async () => {
    const u = await users.create({ name: 'bob', role: 'member', password_hash: 'h' });
    const base = { user_id: u.id, csrf_token: 'c', created_at: 1000, last_seen_at: 1000, ip: '127.0.0.1' };
    await sessions.create({ ...base, id_hash: 'a', expires_at: 2000 });
    await sessions.create({ ...base, id_hash: 'b', expires_at: 2000 });
    expect(await sessions.get('a', 1999)).toMatchObject({ user_id: u.id });
    expect(await sessions.get('a', 2000)).toBeUndefined();
    expect(await sessions.deleteForUser(u.id, 'b')).toBe(1);
    expect(await sessions.get('b', 1500)).toBeDefined();
    await users.delete(u.id);
    expect(await sessions.get('b', 1500)).toBeUndefined();
  });

  it('replaces a user\'s grants as a whole and keeps node tags', async () => {
    const u = await users.create({ name: 'tech', role: 'member', password_hash: 'h' });
    await grants.replace(u.id, [
      { scope: 'node', target: 'laser', permission: 'view' },
      { scope: 'node', target: 'laser', permission: 'view' },
      { scope: 'tag', target: 'freezers', permission: 'actuate' },
    ]);
    expect(await grants.list(u.id)).toEqual([
      { scope: 'node', target: 'laser', permission: 'view' },
      { scope: 'tag', target: 'freezers', permission: 'actuate' },
    ]);
    await grants.replace(u.id, []);
    expect(await grants.list(u.id)).toEqual([]);
    const node = await store.createNode({ name: 'f1', credential_hash: 'x' });
    await grants.setNodeTags(node.id, ['freezers', 'b12', 'freezers']);
    expect((await grants.allNodeTags()).get('f1')).toEqual(['b12', 'freezers']);
  });

  it('finds API tokens only while neither revoked nor expired', async () => {
    const u = await users.create({ name: 'script', role: 'member', password_hash: 'h' });
    const t = await tokens.create({ user_id: u.id, name: 'ci', token_hash: 'th', scope: 'read', created_at: 1, expires_at: 5000 });
    const forever = await tokens.create({ user_id: u.id, name: 'cron', token_hash: 'th2', scope: 'grants', created_at: 1, expires_at: null });
    expect((await tokens.findUsable('th', 4999))?.id).toBe(t.id);
    expect(await tokens.findUsable('th', 5000)).toBeUndefined();
    expect((await tokens.findUsable('th2', 1e15))?.id).toBe(forever.id);
    expect(await tokens.revoke(forever.id, 10)).toBe(true);
    expect(await tokens.revoke(forever.id, 11)).toBe(false);
    expect(await tokens.findUsable('th2', 20)).toBeUndefined();
  });

  it('consumes an enrollment token once, never after it expires, and a newer token cancels the older', async () => {
    const node = await store.createNode({ name: 'n1', credential_hash: 'x' });
    await enrollment.create({ node_id: node.id, token_hash: 'e1', created_at: 0, expires_at: 1000, created_by: 'user:a' });
    expect(await enrollment.consume('e1', 1000)).toBeUndefined();
    await enrollment.create({ node_id: node.id, token_hash: 'e2', created_at: 0, expires_at: 1000, created_by: 'user:a' });
    await enrollment.create({ node_id: node.id, token_hash: 'e3', created_at: 0, expires_at: 1000, created_by: 'user:a' });
    expect(await enrollment.consume('e2', 10)).toBeUndefined();
    const [a, b] = await Promise.all([enrollment.consume('e3', 10), enrollment.consume('e3', 10)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
  });

  it('appends audit entries and filters them by actor, action prefix (literal), target, outcome and time', async () => {
    await audit.append({ actor: 'user:a', ip: '10.0.0.1', action: 'auth.login', target: 'user:a', outcome: 'ok', reason: null }, 100);
    await audit.append({ actor: 'anonymous', ip: '10.0.0.2', action: 'auth.login', target: 'user:b', outcome: 'failed', reason: 'wrong password' }, 200);
    await audit.append({ actor: 'user:a', ip: null, action: 'grants.replace', target: 'user:b', outcome: 'ok', reason: 'new technician', detail: { n: 2 } }, 300);
    await audit.append({ actor: 'user:a', ip: null, action: 'authx.weird', target: null, outcome: 'ok', reason: null }, 400);
    expect((await audit.query({ limit: 10 })).map((r) => r.at)).toEqual([400, 300, 200, 100]);
    expect((await audit.query({ limit: 10, action: 'auth.' })).map((r) => r.at)).toEqual([200, 100]);
    expect((await audit.query({ limit: 10, action: 'auth_.' })).map((r) => r.at)).toEqual([]);
    expect((await audit.query({ limit: 10, actor: 'user:a', target: 'user:b' }))[0]).toMatchObject({ action: 'grants.replace', reason: 'new technician', detail: { n: 2 } });
    expect((await audit.query({ limit: 10, outcome: 'failed' }))[0]).toMatchObject({ ip: '10.0.0.2', reason: 'wrong password' });
    expect((await audit.query({ limit: 10, from: 150, to: 350 })).map((r) => r.at)).toEqual([300, 200]);
    const page = await audit.query({ limit: 2 });
    expect((await audit.query({ limit: 2, before: page[1]!.id })).map((r) => r.at)).toEqual([200, 100]);
  });
});
