/**
 * A serial EM4100 reader (RDM6300, ID-12LA) through the `serialport` package, imported only
 * when a serial reader is configured (it carries a native binding most nodes never need).
 */
import type { ReaderConfig } from './readers-config.js';
import { Rdm6300Framer } from './rdm6300-framing.js';
import { Debouncer, type CardReader, type ReaderSink } from './reader.js';

interface Port {
  open(cb: (err: Error | null) => void): void;
  close(cb?: (err: Error | null) => void): void;
  on(event: 'data', cb: (d: Buffer) => void): void;
  on(event: 'close' | 'error', cb: (err?: Error) => void): void;
  removeAllListeners(): void;
  isOpen: boolean;
}

export class SerialReader implements CardReader {
  readonly #framer = new Rdm6300Framer();
  readonly #debounce: Debouncer;
  #port: Port | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(
    private readonly config: Extract<ReaderConfig, { type: 'serial' }>,
    private readonly sink: ReaderSink,
  ) {
    this.#debounce = new Debouncer(config.debounce);
  }

  get dropped(): number {
    return this.#framer.dropped;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#open();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const port = this.#port;
    this.#port = undefined;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
    port?.removeAllListeners();
  }

  #retry(message: string): void {
    if (this.#stopped) return;
    this.sink.fault(message, this.#framer.dropped);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#open(), this.config.reopen_after);
    this.#timer.unref();
  }

  async #open(): Promise<void> {
    const { SerialPort } = await import('serialport');
    if (this.#stopped) return;
    const port = new SerialPort({ path: this.config.path, baudRate: this.config.baud, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false }) as unknown as Port;
    this.#port = port;
    port.on('data', (d: Buffer) => {
      const { cards, dropped } = this.#framer.push(d);
      if (dropped > 0) this.sink.fault(`dropped ${dropped} malformed frame(s) or bad checksum(s)`, this.#framer.dropped);
      for (const card of cards) {
        if (this.#debounce.isNewTap(card)) this.sink.scan(card);
        else this.sink.present(card);
      }
    });
    port.on('close', () => {
      if (this.#port === port) this.#retry(`${this.config.path} closed`);
    });
    port.on('error', (err) => {
      if (this.#port === port && err) this.sink.fault(`${this.config.path}: ${err.message}`, this.#framer.dropped);
    });
    await new Promise<void>((resolve) =>
      port.open((err) => {
        if (err) this.#retry(`cannot open ${this.config.path}: ${err.message}`);
        resolve();
      }),
    );
  }
}
