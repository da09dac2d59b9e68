/** A keyboard-emulating USB reader, read from its evdev device (or a grab helper's stdout). */
import os from 'node:os';
import type { ReaderConfig } from './readers-config.js';
import { ByteSource } from './byte-source.js';
import { EvdevCardParser, eventSizeFor } from './evdev-parser.js';
import { Debouncer, type CardReader, type ReaderSink } from './reader.js';

export class EvdevReader implements CardReader {
  readonly #parser: EvdevCardParser;
  readonly #source: ByteSource;
  readonly #debounce: Debouncer;

  constructor(config: Extract<ReaderConfig, { type: 'evdev' }>, sink: ReaderSink, arch: string = os.arch()) {
    const size = config.event_size === 'auto' ? eventSizeFor(arch) : config.event_size;
    this.#parser = new EvdevCardParser(size);
    this.#debounce = new Debouncer(config.debounce);
    this.#source = new ByteSource({
      ...(config.path ? { path: config.path } : {}),
      ...(config.command ? { command: config.command } : {}),
      reopenAfterMs: config.reopen_after,
      chunkBytes: size * 64,
      onData: (chunk) => {
        const before = this.#parser.dropped;
        for (const card of this.#parser.push(chunk)) {
          if (this.#debounce.isNewTap(card)) sink.scan(card);
          else sink.present(card);
        }
        if (this.#parser.dropped > before) sink.fault('dropped keys that no card reader types (a real keyboard?)', this.#parser.dropped);
      },
      onProblem: (message) => sink.fault(message, this.#parser.dropped),
    });
  }

  get dropped(): number {
    return this.#parser.dropped;
  }

  async start(): Promise<void> {
    this.#source.start();
    await Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#source.stop();
    await Promise.resolve();
  }
}
