import { ErrorCode } from '@ma/protocol';
import { testDatabase } from '../../../../test/support/databases.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authDatabase } from '../auth/auth-database.js';
import { REVOKED_CREDENTIAL } from '../broker/credentials.js';
import type { SshPublicKey } from '../tunnels/public-key.js';
import { UsersStore } from '../users/users-store.js';
import { openStore } from './open-store.js';
import type { Store } from './store.js';
import { TunnelsStore } from './tunnels-store.js';

/** Node tunnel keys and people's SSH keys, one specification run on SQLite and on PostgreSQL. */

const key = (n: number): SshPublicKey => ({ type: 'ssh-ed25519', blob: `AAAAC3NzaC1lZDI1NTE5AAAAI${'A'.repeat(42)}${n}`, fingerprint: `SHA256:fp${n}` });

describe.each(['sqlite', 'postgres'] as const)('tunnel keys on %s', (dialect) => {
  const harness = testDatabase(dialect, 'ma-tunnels');
  let store: Store;
  let tunnels: TunnelsStore;

  beforeAll(() => harness.setup());
  afterAll(() => harness.teardown());
  beforeEach(async () => {
    store = await openStore({ url: await harness.fresh() });
    await store.migrate();
    tunnels = new TunnelsStore(store);
  });
  afterEach(() => store.close());

  it("keeps one key per node, replaced on re-registration, listed with the node's name and state", async () => {
    const a = await store.createNode({ name: 'lab-a', credential_hash: 'a'.repeat(64) });
    const b = await store.createNode({ name: 'lab-b', credential_hash: REVOKED_CREDENTIAL });
    await tunnels.setKey(a.id, key(1), 1000);
    await tunnels.setKey(b.id, key(2), 1000);
    await tunnels.setKey(a.id, key(3), 2000);
    const rows = await tunnels.listKeys();
    expect(rows.map((r) => [r.node, r.key.fingerprint, r.updated_at, r.credential_hash === REVOKED_CREDENTIAL, r.online])).toEqual([
      ['lab-a', 'SHA256:fp3', 2000, false, false],
      ['lab-b', 'SHA256:fp2', 1000, true, false],
    ]);
    expect(await tunnels.deleteKey(a.id)).toBe(true);
    expect(await tunnels.deleteKey(a.id)).toBe(false);
    expect((await tunnels.listKeys()).map((r) => r.node)).toEqual(['lab-b']);
  });

  it("keeps people's keys per user, refusing the same key twice for one user", async () => {
    const users = new UsersStore(authDatabase(store));
    const alice = await users.create({ name: 'alice', role: 'member', password_hash: 'h' });
    const bob = await users.create({ name: 'bob', role: 'member', password_hash: 'h' });
    const k1 = await tunnels.addUserKey(alice.id, key(1), 'alice@laptop', 5);
    await tunnels.addUserKey(bob.id, key(1), 'bob@desk', 6);
    await expect(tunnels.addUserKey(alice.id, key(1), 'again')).rejects.toMatchObject({ code: ErrorCode.Conflict });
    expect((await tunnels.listUserKeys(alice.id)).map((k) => [k.comment, k.key.fingerprint, k.created_at])).toEqual([['alice@laptop', 'SHA256:fp1', 5]]);
    expect(await tunnels.listUserKeys()).toHaveLength(2);
    // Only the owner can delete a key.
    expect(await tunnels.deleteUserKey(bob.id, k1.id)).toBe(false);
    expect(await tunnels.deleteUserKey(alice.id, k1.id)).toBe(true);
    // A deleted user's keys go with them.
    await users.delete(bob.id);
    expect(await tunnels.listUserKeys()).toEqual([]);
  });
});
