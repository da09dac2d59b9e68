import { testDatabase } from '../../../../test/support/databases.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authDatabase } from '../auth/auth-database.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { UsersStore } from '../users/users-store.js';
import { DEFAULT_PREFERENCES, PreferencesStore } from './preferences-store.js';

/** Each user's dashboard preferences and saved views, one specification run on SQLite and on PostgreSQL. */
describe.each(['sqlite', 'postgres'] as const)('preferences and saved views on %s', (dialect) => {
  const harness = testDatabase(dialect, 'ma-prefs');
  let store: Store;
  let prefs: PreferencesStore;
  let users: UsersStore;

  beforeAll(() => harness.setup());
  afterAll(() => harness.teardown());
  beforeEach(async () => {
    store = await openStore({ url: await harness.fresh() });
    await store.migrate();
    prefs = new PreferencesStore(store);
    users = new UsersStore(authDatabase(store));
  });
  afterEach(() => store.close());

  it('answers the defaults until a user changes something, then keeps each key it was given', async () => {
    const ana = await users.create({ name: 'ana', role: 'member', password_hash: 'x' });
    expect(await prefs.get(ana.id)).toEqual(DEFAULT_PREFERENCES);
    await prefs.update(ana.id, { temperature_unit: 'F' });
    await prefs.update(ana.id, { time_zone: 'America/New_York', hour_cycle: 'h12' });
    expect(await prefs.get(ana.id)).toEqual({ time_zone: 'America/New_York', hour_cycle: 'h12', temperature_unit: 'F', views_imported_at: null });
  });

  it("keeps each user's views apart, replaces a view of the same name, and deletes by name", async () => {
    const ana = await users.create({ name: 'ana', role: 'member', password_hash: 'x' });
    const bo = await users.create({ name: 'bo', role: 'member', password_hash: 'x' });
    await prefs.saveView(ana.id, 'fridges', 'ch=1,2&range=24h', 1000);
    await prefs.saveView(ana.id, 'Bench', 'ch=3', 1000);
    await prefs.saveView(bo.id, 'fridges', 'ch=9', 1000);
    const replaced = await prefs.saveView(ana.id, 'fridges', 'ch=1,2&range=7d', 2000);
    expect(replaced).toEqual({ name: 'fridges', query: 'ch=1,2&range=7d', created_at: 1000, updated_at: 2000 });
    expect((await prefs.listViews(ana.id)).map((v) => [v.name, v.query])).toEqual([
      ['Bench', 'ch=3'],
      ['fridges', 'ch=1,2&range=7d'],
    ]);
    expect((await prefs.listViews(bo.id)).map((v) => v.query)).toEqual(['ch=9']);
    expect(await prefs.deleteView(ana.id, 'Bench')).toBe(true);
    expect(await prefs.deleteView(ana.id, 'Bench')).toBe(false);
    expect((await prefs.listViews(ana.id)).map((v) => v.name)).toEqual(['fridges']);
  });

  it("imports a browser's local views once; the server's copy of a name wins", async () => {
    const ana = await users.create({ name: 'ana', role: 'member', password_hash: 'x' });
    await prefs.saveView(ana.id, 'fridges', 'ch=1', 1000);
    expect(await prefs.importViews(ana.id, [{ name: 'fridges', query: 'ch=7' }, { name: 'freezers', query: 'ch=2' }], 5000)).toBe(1);
    expect(await prefs.importViews(ana.id, [{ name: 'other browser', query: 'ch=4' }], 6000)).toBeNull();
    expect((await prefs.listViews(ana.id)).map((v) => [v.name, v.query])).toEqual([
      ['freezers', 'ch=2'],
      ['fridges', 'ch=1'],
    ]);
    expect((await prefs.get(ana.id)).views_imported_at).toBe(5000);
  });

  it('forgets a deleted user’s preferences and views with the user', async () => {
    const ana = await users.create({ name: 'ana', role: 'member', password_hash: 'x' });
    await prefs.update(ana.id, { temperature_unit: 'F' });
    await prefs.saveView(ana.id, 'fridges', 'ch=1');
    await users.delete(ana.id);
    const again = await users.create({ name: 'ana', role: 'member', password_hash: 'x' });
    expect(await prefs.get(again.id)).toEqual(DEFAULT_PREFERENCES);
    expect(await prefs.listViews(again.id)).toEqual([]);
  });
});
