import { Command } from 'commander';
import { ApiClient } from './api-client.js';
import { registerNodeCommands } from './commands/node.js';

export const CLI_VERSION = '0.1.0';

/** Builds the `ma` command tree; `out` receives stdout so tests can capture it. */
export function buildProgram(out: (s: string) => void = (s) => process.stdout.write(s), env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('ma')
    .description('Monitor Actuator operator CLI')
    .version(CLI_VERSION)
    .option('-s, --server <url>', 'server URL (env MA_SERVER)', env.MA_SERVER ?? 'http://localhost:8080')
    .option('-t, --token <token>', 'admin API token (env MA_TOKEN)', env.MA_TOKEN)
    .showHelpAfterError();
  const client = () => {
    const o = program.opts<{ server: string; token?: string }>();
    return new ApiClient({ server: o.server, ...(o.token ? { token: o.token } : {}) });
  };
  registerNodeCommands(program, client, out);
  return program;
}
