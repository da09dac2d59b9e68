/**
 * Where a command writes its output (stdout), with the two things a pipe needs: backpressure
 * (`export` of a large outbox waits for the reader instead of buffering everything in memory)
 * and a quiet end when the reader goes away (`ma-agent outbox export | head -1`): the write
 * then rejects with OutputClosed, which the command treats as "done", not as a failure.
 */
import type { Writable } from 'node:stream';

export class OutputClosed extends Error {
  constructor() {
    super('the output was closed by its reader');
    this.name = 'OutputClosed';
  }
}

export interface OutputSink {
  write(text: string): Promise<void>;
}

export function streamSink(stream: Writable): OutputSink {
  let closed = false;
  let waiting: { resolve(): void; reject(e: Error): void } | undefined;
  const onClosed = (): void => {
    closed = true;
    waiting?.reject(new OutputClosed());
    waiting = undefined;
  };
  stream.on('error', (e: NodeJS.ErrnoException) => {
    // EPIPE: the reader exited. Anything else is as final for our output; say it once.
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') process.stderr.write(`output error: ${e.message}\n`);
    onClosed();
  });
  stream.on('close', onClosed);
  return {
    write: (text) => {
      if (closed) return Promise.reject(new OutputClosed());
      if (stream.write(text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiting = { resolve, reject };
        stream.once('drain', () => {
          waiting = undefined;
          resolve();
        });
      });
    },
  };
}
