import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rdm6300Frame, typedCard } from '../../../../../test/fakes/card-bytes.js';
import { createReader } from './create-reader.js';
import type { CardReader, ReaderSink } from './reader.js';
import { readerConfigSchema } from './readers-config.js';

let dir: string;
let reader: CardReader | undefined;
const seen = { scans: [] as string[], present: [] as string[], faults: [] as string[] };
const sink: ReaderSink = {
  scan: (c) => seen.scans.push(c),
  present: (c) => seen.present.push(c),
  fault: (m) => seen.faults.push(m),
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ma-readers-'));
  seen.scans = [];
  seen.present = [];
  seen.faults = [];
});
afterEach(async () => {
  await reader?.stop();
  reader = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A real pty pair from socat: the reader opens one end, the test writes the other. */
async function ptyPair(): Promise<{ a: string; b: string; proc: ChildProcess }> {
  const a = path.join(dir, 'ttyA');
  const b = path.join(dir, 'ttyB');
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  await expect.poll(() => (err.match(/starting data transfer loop/) ? true : false), { timeout: 10_000 }).toBe(true);
  return { a, b, proc };
}

describe('serial reader on a real pty (socat)', () => {
  it('turns RDM6300 frames into one tap per card (repeats are presence), and drops bad frames', async () => {
    const { a, b, proc } = await ptyPair();
    try {
      reader = await createReader(readerConfigSchema.parse({ type: 'serial', path: a, debounce: '500ms' }), sink);
      await reader.start();
      const tty = await open(b, 'r+');
      // The card held in the field: the reader repeats the frame every ~100 ms.
      for (let i = 0; i < 3; i++) {
        await tty.write(rdm6300Frame('0415AB3C7D'));
        await new Promise((r) => setTimeout(r, 50));
      }
      await tty.write(rdm6300Frame('62E3086CED', 'rdm6300', 0x11)); // bad checksum
      await tty.write(rdm6300Frame('62E3086CED', 'id12'));
      await expect.poll(() => seen.scans).toEqual(['0415AB3C7D', '62E3086CED']);
      expect(seen.present).toEqual(['0415AB3C7D', '0415AB3C7D']);
      expect(reader.dropped).toBe(1);
      expect(seen.faults.some((f) => /bad checksum/.test(f))).toBe(true);
      await tty.close();
    } finally {
      proc.kill();
    }
  });

  it('a port that does not exist is a fault, retried; never a crash', async () => {
    reader = await createReader(readerConfigSchema.parse({ type: 'serial', path: path.join(dir, 'nope'), reopen_after: '100ms' }), sink);
    await reader.start();
    await expect.poll(() => seen.faults.length).toBeGreaterThanOrEqual(2);
    expect(seen.faults[0]).toMatch(/cannot open/);
  });
});

describe('evdev reader', () => {
  it('reads input_event records from a FIFO as the kernel delivers them', async () => {
    const fifo = path.join(dir, 'event-kbd');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    reader = await createReader(readerConfigSchema.parse({ type: 'evdev', path: fifo, event_size: 16 }), sink);
    await reader.start();
    const w = await open(fifo, 'w');
    await w.write(typedCard('0004718245', 16));
    await w.write(typedCard('0009999999', 16));
    await expect.poll(() => seen.scans).toEqual(['0004718245', '0009999999']);
    await w.close();
  });

  it('auto-sizes events from the architecture (24 bytes here on x64) and reads from a grab helper\'s stdout', async () => {
    const file = path.join(dir, 'events.bin');
    await writeFile(file, typedCard('1234567890', 24));
    reader = await createReader(readerConfigSchema.parse({ type: 'evdev', command: ['/bin/sh', '-c', `cat ${file}; sleep 30`] }), sink);
    await reader.start();
    await expect.poll(() => seen.scans).toEqual(['1234567890']);
  });

  it('config needs exactly one of path or command', () => {
    expect(readerConfigSchema.safeParse({ type: 'evdev', path: '/dev/input/event0' }).success).toBe(true);
    expect(readerConfigSchema.safeParse({ type: 'evdev', event_size: 20, path: '/x' }).success).toBe(false);
  });
});

describe('line reader', () => {
  it('reads one card per line from a program, dropping lines that are not card ids', async () => {
    const file = path.join(dir, 'cards.txt');
    await writeFile(file, '0004718245\r\nnot a card!\n\n0009999999\n');
    reader = await createReader(readerConfigSchema.parse({ type: 'line', command: ['/bin/sh', '-c', `cat ${file}; sleep 30`] }), sink);
    await reader.start();
    await expect.poll(() => seen.scans).toEqual(['0004718245', '0009999999']);
    expect(reader.dropped).toBe(1);
  });
});
