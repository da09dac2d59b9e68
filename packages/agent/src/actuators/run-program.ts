/** Runs a short-lived program with a deadline and answers its exit code and output (no shell). */
import { spawn } from 'node:child_process';
import { ErrorCode, MaError } from '@ma/protocol';

export interface ProgramResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runProgram(argv: readonly string[], timeoutMs: number, what: string): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (!cmd) return reject(new MaError(ErrorCode.ConfigInvalid, `${what}: empty command`));
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-8192)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8192)));
    child.on('error', (err) => reject(new MaError(ErrorCode.DriverDeviceMissing, `${what}: cannot run ${cmd} (${(err as NodeJS.ErrnoException).code ?? err.message})`, { cause: err })));
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL' && code === null) return reject(new MaError(ErrorCode.DriverReadFailed, `${what}: ${cmd} did not finish within ${timeoutMs} ms`));
      resolve({ code, signal, stdout, stderr });
    });
  });
}
