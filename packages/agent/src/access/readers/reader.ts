/** What every card reader gives access control: taps, repeats while the card stays, faults. */
export interface ReaderSink {
  /** A new tap: a card id, normalised (trimmed, uppercase). */
  scan(cardId: string): void;
  /** The same card seen again within the debounce window (still in the field). */
  present(cardId: string): void;
  /** Something went wrong (a malformed frame was dropped, the device vanished). */
  fault(message: string, dropped: number): void;
}

export interface CardReader {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Malformed frames or bad checksums dropped so far. */
  readonly dropped: number;
}

/**
 * Turns a stream of card reads into taps and presence: the same card again within
 * `windowMs` of its last read is presence (readers repeat while a card stays), not a new tap.
 */
export class Debouncer {
  #last: { card: string; at: number } | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True for a new tap, false for a repeat. */
  isNewTap(card: string): boolean {
    const at = this.now();
    const repeat = this.#last !== undefined && this.#last.card === card && at - this.#last.at < this.windowMs;
    this.#last = { card, at };
    return !repeat;
  }
}
