#!/usr/bin/env node
import { isAuthError, isMaError, isTransportError } from '@ma/protocol';
import { buildProgram } from '../program.js';

/** Exit codes: 1 failure, 2 usage (commander), 3 cannot reach the server, 4 auth refused. */
buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`ma: ${isMaError(err) || err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = isTransportError(err) ? 3 : isAuthError(err) ? 4 : 1;
  });
