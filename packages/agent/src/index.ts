export { startAgent, type RunningAgent } from './agent.js';
export { loadAgentConfig, parseAgentConfig, type LoadedAgentConfig } from './config/load.js';
export { agentConfigSchema, type AgentConfig } from './config/schema.js';
export type { DriverDescriptor, DriverInstance, ChannelSpec } from './drivers/driver.js';
export type { Outbox, OutboxRecord, OutboxStats } from './outbox/outbox.js';
