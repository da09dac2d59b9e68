/**
 * Where a command writes its output (stdout), with the two things a pipe needs: backpressure
 * (`export` of a large outbox waits for the reader instead of buffering everything in memory)
 * and a quiet end when the reader goes away (`ma-agent outbox export | head -1`): the write
 * then rejects with OutputClosed, which the command treats as "done", not as a failure. Any
 * other write error (say, the file stdout goes to is on a full disk) is a failure.
 */
import type { Writable } from 'node:stream';
import { ErrorCode, MaError } from '@ma/protocol';

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
  let ended: Error | undefined;
  let waiting: ((e?: Error) => void) | undefined;
  const end = (e: Error): void => {
    ended ??= e;
    waiting?.(ended);
    waiting = undefined;
  };
  stream.on('error', (e: NodeJS.ErrnoException) => {
    end(e.code === 'EPIPE' ? new OutputClosed() : new MaError(ErrorCode.StorageFailed, `could not write the output: ${e.message}`, { cause: e }));
  });
  stream.on('close', () => end(new OutputClosed()));
  stream.on('drain', () => {
    waiting?.();
    waiting = undefined;
  });
  return {
    write: (text) => {
      if (ended) return Promise.reject(ended);
      if (stream.write(text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiting = (e) => (e ? reject(e) : resolve());
      });
    },
  };
}
