import { Command } from 'commander';
import { ApiClient } from './api-client.js';
import { registerAlertCommands } from './commands/alert.js';
import { registerEquipmentCommands } from './commands/equipment.js';
import { registerExportCommand } from './commands/export.js';
import { registerGrantCommands } from './commands/grant.js';
import { registerImportCommand } from './commands/import.js';
import { registerInitCommand } from './commands/init.js';
import { registerOutboxCommand } from './commands/outbox.js';
import { registerProvisionCommands } from './commands/provision.js';
import { registerNodeCommands, registerNodeCredentialCommands } from './commands/node.js';
import { registerSshConfigCommand } from './commands/ssh-config.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerSshKeyCommands } from './commands/ssh-key.js';
import { registerStatusCommand } from './commands/status.js';
import { registerTokenCommands } from './commands/token.js';
import { registerTunnelCommands } from './commands/tunnel.js';
import { registerUserCommands } from './commands/user.js';

export const CLI_VERSION = '0.1.0';

/** Builds the `ma` command tree; `out` receives stdout so tests can capture it. */
export function buildProgram(out: (s: string) => void = (s) => process.stdout.write(s), env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('ma')
    .description('Monitor Actuator operator CLI')
    .version(CLI_VERSION)
    .option('-s, --server <url>', 'server URL (env MA_SERVER)', env.MA_SERVER ?? 'http://localhost:8080')
    .option('--home <dir>', 'the private directory from `ma init` (env MA_HOME; else found from the working directory upwards)')
    .option('-t, --token <token>', 'API token: a user token (`ma token create`) or the bootstrap admin token (env MA_TOKEN)', env.MA_TOKEN)
    .showHelpAfterError();
  const client = () => {
    const o = program.opts<{ server: string; token?: string }>();
    return new ApiClient({ server: o.server, ...(o.token ? { token: o.token } : {}) });
  };
  registerNodeCommands(program, client, out);
  registerNodeCredentialCommands(program, client, out);
  registerUserCommands(program, client, out);
  registerGrantCommands(program, client, out);
  registerTokenCommands(program, client, out);
  registerAlertCommands(program, client, out);
  registerTunnelCommands(program, client, out);
  registerSshConfigCommand(program, client, out);
  registerSshKeyCommands(program, client, out);
  registerStatusCommand(program, client, out);
  registerEquipmentCommands(program, client, out);
  registerImportCommand(program, client, out);
  registerExportCommand(program, out);
  registerLogsCommand(program, out);
  registerInitCommand(program, out, env);
  registerProvisionCommands(program, client, out, env);
  registerOutboxCommand(program, env);
  return program;
}
