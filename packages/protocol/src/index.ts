export * from './topics.js';
export * from './schemas.js';
export * from './errors.js';
export * from './config-validation.js';
export * from './api.js';
export * from './dashboard-api.js';
export * from './closest-match.js';
export { describeSchema, oneOf } from './config-describe.js';
