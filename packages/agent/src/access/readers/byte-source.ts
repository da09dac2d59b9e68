/**
 * A byte stream from a device file, a FIFO or a helper program's stdout, reopened after it
 * ends or fails (a USB reader unplugged and plugged back in).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, type ReadStream } from 'node:fs';

export interface ByteSourceOptions {
  path?: string;
  command?: readonly string[];
  reopenAfterMs: number;
  onData(chunk: Buffer): void;
  onProblem(message: string): void;
  /** Read size for files; an evdev device delivers whole events per read. */
  chunkBytes?: number;
}

export class ByteSource {
  #stream: ReadStream | undefined;
  #child: ChildProcess | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(private readonly opts: ByteSourceOptions) {}

  start(): void {
    this.#stopped = false;
    this.#open();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#stream?.destroy();
    this.#child?.kill('SIGTERM');
    this.#stream = undefined;
    this.#child = undefined;
  }

  #again(message: string): void {
    if (this.#stopped) return;
    this.opts.onProblem(message);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#open(), this.opts.reopenAfterMs);
    this.#timer.unref();
  }

  #open(): void {
    if (this.#stopped) return;
    if (this.opts.command) {
      const [cmd, ...args] = this.opts.command;
      const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.#child = child;
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-512)));
      child.stdout!.on('data', (d: Buffer) => this.opts.onData(d));
      child.on('error', (err) => this.#again(`cannot run ${cmd}: ${err.message}`));
      child.on('exit', (code, signal) => {
        if (this.#child === child) this.#again(`${cmd} exited with ${code ?? signal}${stderr ? `: ${stderr.trim()}` : ''}`);
      });
      return;
    }
    const stream = createReadStream(this.opts.path!, { highWaterMark: this.opts.chunkBytes ?? 4096 });
    this.#stream = stream;
    stream.on('data', (d) => this.opts.onData(d as Buffer));
    stream.on('error', (err) => this.#again(`${this.opts.path}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    stream.on('end', () => {
      if (this.#stream === stream) this.#again(`${this.opts.path} ended`);
    });
  }
}
