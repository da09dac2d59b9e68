import { KyselyStore } from './kysely-store.js';
import { describeLocation, openDatabase, parseStoreUrl, type StoreLog } from './dialect.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** `sqlite:<path>`, a file path, `:memory:`, or `postgres://…` / `postgresql://…`. */
  url: string;
  log?: StoreLog;
}

const silent: StoreLog = { info() {}, warn() {}, error() {} };

/** Opens the store named by `url` and brings its schema up to date before returning it. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const log = options.log ?? silent;
  const location = parseStoreUrl(options.url);
  const { db, dialect } = openDatabase(location, log);
  const store = new KyselyStore(db, dialect);
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => undefined);
    log.error({ err: e, store: describeLocation(location) }, 'database migration failed');
    throw e;
  }
  log.info({ store: describeLocation(location), dialect }, 'store open');
  return store;
}
