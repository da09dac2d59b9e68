/**
 * The serial framing of 125 kHz EM4100 readers. RDM6300: STX (0x02), 10 ASCII hex digits
 * (2 version + 8 tag), 2 ASCII hex checksum (XOR of the five data bytes), ETX (0x03).
 * ID-12LA: the same with CR LF before ETX. Bytes are fed as they arrive (frames split across
 * reads are normal); a frame with a bad checksum, wrong length or stray bytes is dropped
 * and counted, never turned into a scan.
 */
const STX = 0x02;
const ETX = 0x03;
const MAX_FRAME = 16;

export interface FrameResult {
  cards: string[];
  dropped: number;
}

export class Rdm6300Framer {
  #buf: number[] = [];
  #inFrame = false;
  #dropped = 0;

  get dropped(): number {
    return this.#dropped;
  }

  /** Feeds bytes; answers the card ids completed by them and how many frames were dropped now. */
  push(bytes: Uint8Array): FrameResult {
    const cards: string[] = [];
    const before = this.#dropped;
    for (const b of bytes) {
      if (b === STX) {
        if (this.#inFrame && this.#buf.length > 0) this.#dropped++; // a frame cut short by a new one
        this.#inFrame = true;
        this.#buf = [];
        continue;
      }
      if (!this.#inFrame) continue; // noise between frames
      if (b === ETX) {
        this.#inFrame = false;
        const card = decodeFrame(this.#buf);
        if (card) cards.push(card);
        else this.#dropped++;
        this.#buf = [];
        continue;
      }
      this.#buf.push(b);
      if (this.#buf.length > MAX_FRAME) {
        this.#inFrame = false;
        this.#buf = [];
        this.#dropped++;
      }
    }
    return { cards, dropped: this.#dropped - before };
  }
}

/** The 10 hex digits of a frame body (without STX/ETX), or undefined when it is not a valid frame. */
export function decodeFrame(body: readonly number[]): string | undefined {
  let text = String.fromCharCode(...body);
  if (text.endsWith('\r\n')) text = text.slice(0, -2); // ID-12LA
  if (!/^[0-9A-Fa-f]{12}$/.test(text)) return undefined;
  let xor = 0;
  for (let i = 0; i < 10; i += 2) xor ^= parseInt(text.slice(i, i + 2), 16);
  if (xor !== parseInt(text.slice(10, 12), 16)) return undefined;
  return text.slice(0, 10).toUpperCase();
}
