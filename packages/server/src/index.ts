export { startServer, SERVER_VERSION, type RunningServer } from './server.js';
export { loadServerConfig, parseServerConfig, resolveDatabaseUrl, type LoadedServerConfig } from './config/load.js';
export { serverConfigSchema, type ServerConfig } from './config/schema.js';
export type { Store } from './store/store.js';
