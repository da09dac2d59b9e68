export type { ChannelRow, InsertResult, NodeRow, ReadingInput, StatCounter, Store } from './store.js';
export { openStore, type OpenStoreOptions } from './open-store.js';
export { parseStoreUrl, type StoreLog, type StoreLocation } from './dialect.js';
