import { spawn } from 'node:child_process';

/** Runs a program (no shell) with a deadline and answers its stdout as bytes (at most 1 MiB). */
export function runProgramBytes(argv: readonly string[], timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= 1 << 20) chunks.push(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2048)));
    child.on('error', (err) => reject(new Error(`cannot run ${cmd} (${(err as NodeJS.ErrnoException).code ?? err.message})`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new Error(`${cmd} exited with ${code ?? signal}${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`));
    });
  });
}
