import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { isMaError } from '@ma/protocol';
import { describe, expect, it } from 'vitest';
import { OutputClosed, streamSink } from './output-sink.js';

describe('command output (stdout) to a pipe or a file', () => {
  it('ends with OutputClosed when the reader of a real pipe goes away', async () => {
    // `head -c 10` reads ten bytes and exits: the pipe's read end closes under the writer.
    const head = spawn('head', ['-c', '10'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = once(head, 'exit');
    const sink = streamSink(head.stdin);
    let error: unknown;
    try {
      for (let i = 0; i < 100_000; i++) await sink.write(`line ${i} ${'x'.repeat(100)}\n`);
    } catch (e) {
      error = e;
    }
    await exited;
    expect(error).toBeInstanceOf(OutputClosed);
  });

  it('waits for the reader (backpressure) rather than buffering without bound', async () => {
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 16,
      write: (_chunk, _enc, done) => {
        release = done;
      },
    });
    const sink = streamSink(slow);
    let written = false;
    // More than the stream buffers: the write resolves only once the reader took it.
    const p = sink.write('0123456789abcdefghij').then(() => (written = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(written).toBe(false);
    release?.();
    await p;
    expect(written).toBe(true);
  });

  it('reports any other write error as a failure, not as a quiet end', async () => {
    const full = new Writable({
      write: (_chunk, _enc, done) => done(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })),
    });
    const sink = streamSink(full);
    await sink.write('a').catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    const error = await sink.write('b').then(() => undefined, (e: unknown) => e);
    expect(isMaError(error)).toBe(true);
    expect(String(error)).toMatch(/could not write the output: ENOSPC/);
  });
});
