#!/usr/bin/env node
import { isAuthError, isMaError, isTransportError } from '@ma/protocol';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../program.js';

/** Every command throws a CommanderError instead of exiting, so usage mistakes get exit code 2. */
function throwOnUsageErrors(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) throwOnUsageErrors(sub);
}

/** Exit codes: 1 failure, 2 usage (unknown command or flag, missing argument), 3 cannot reach the server, 4 auth refused. */
const program = buildProgram();
throwOnUsageErrors(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Commander has already printed the message (or the help, or the version).
    process.exitCode = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code) ? 0 : 2;
    return;
  }
  process.stderr.write(`ma: ${isMaError(err) || err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = isTransportError(err) ? 3 : isAuthError(err) ? 4 : 1;
});
