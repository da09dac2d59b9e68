import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';

/**
 * `ma outbox inspect|export|replay`: runs on a node, so it hands over to the node's own
 * `ma-agent outbox ...` (which owns the outbox format and the node's MQTT credential) instead
 * of making the operator CLI depend on the agent package. MA_AGENT_BIN names another binary.
 */
export function registerOutboxCommand(program: Command, env: NodeJS.ProcessEnv = process.env): void {
  program
    .command('outbox')
    .description('on a node: inspect the agent outbox, export records (JSONL/CSV), or replay a range to the server (runs `ma-agent outbox`)')
    .argument('<command>', 'inspect | export | replay')
    .argument('[args...]', 'options for ma-agent outbox, e.g. --config /etc/ma/agent.yaml --all --from 100 --to 200 --format csv')
    .allowUnknownOption()
    .helpOption(false)
    .action((sub: string, args: string[]) => {
      const bin = env.MA_AGENT_BIN ?? 'ma-agent';
      const [cmd, pre] = bin.endsWith('.js') ? [process.execPath, [bin]] : [bin, []];
      const r = spawnSync(cmd, [...pre, 'outbox', sub, ...args], { stdio: 'inherit' });
      if (r.error) {
        process.stderr.write(`ma outbox: cannot run ${bin} (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); run this on a node where ma-agent is installed, or set MA_AGENT_BIN\n`);
        process.exitCode = 1;
        return;
      }
      process.exitCode = r.status ?? 1;
    });
}
