/** Card ids one per line: from a program's stdout (a vendor tool, a script) or the agent's stdin. */
import { createInterface, type Interface } from 'node:readline';
import { PassThrough } from 'node:stream';
import type { ReaderConfig } from './readers-config.js';
import { ByteSource } from './byte-source.js';
import { Debouncer, type CardReader, type ReaderSink } from './reader.js';

const CARD = /^[0-9A-Za-z]{1,64}$/;

export class LineReader implements CardReader {
  #dropped = 0;
  #rl: Interface | undefined;
  readonly #source: ByteSource | undefined;
  readonly #lines = new PassThrough();
  readonly #debounce: Debouncer;

  constructor(
    config: Extract<ReaderConfig, { type: 'line' }>,
    private readonly sink: ReaderSink,
    private readonly stdin: NodeJS.ReadableStream = process.stdin,
  ) {
    this.#debounce = new Debouncer(config.debounce);
    this.#source = config.command
      ? new ByteSource({ command: config.command, reopenAfterMs: config.reopen_after, onData: (d) => this.#lines.write(d), onProblem: (m) => sink.fault(m, this.#dropped) })
      : undefined;
  }

  get dropped(): number {
    return this.#dropped;
  }

  async start(): Promise<void> {
    this.#rl = createInterface({ input: this.#source ? this.#lines : this.stdin, crlfDelay: Infinity });
    this.#rl.on('line', (line) => {
      const card = line.trim();
      if (card === '') return;
      if (!CARD.test(card)) {
        this.#dropped++;
        this.sink.fault(`dropped a line that is not a card id (${card.length} characters)`, this.#dropped);
        return;
      }
      const id = card.toUpperCase();
      if (this.#debounce.isNewTap(id)) this.sink.scan(id);
      else this.sink.present(id);
    });
    this.#source?.start();
    await Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#source?.stop();
    this.#rl?.close();
    await Promise.resolve();
  }
}
