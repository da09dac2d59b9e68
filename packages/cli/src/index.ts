export { buildProgram, CLI_VERSION } from './program.js';
export { ApiClient } from './api-client.js';
