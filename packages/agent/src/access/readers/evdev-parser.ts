/**
 * Keyboard-emulating USB card readers through evdev: a stream of `struct input_event`
 * ({ timeval time; u16 type; u16 code; s32 value }, little-endian), 24 bytes on a 64-bit
 * kernel (two 64-bit time fields) and 16 on a 32-bit one (a Pi Zero's). Key presses
 * (EV_KEY, value 1) of digits and hex letters build the card id; Enter or keypad Enter ends
 * it. Auto-repeats (value 2), releases, EV_SYN and EV_MSC are ignored.
 */
export const EV_KEY = 1;
const KEY_ENTER = 28;
const KEY_KPENTER = 96;
const KEY_LEFTSHIFT = 42;
const KEY_RIGHTSHIFT = 54;
const MAX_CARD = 32;

export const KEYS: Record<number, string> = {
  2: '1', 3: '2', 4: '3', 5: '4', 6: '5', 7: '6', 8: '7', 9: '8', 10: '9', 11: '0',
  // Keypad digits, which some readers use.
  79: '1', 80: '2', 81: '3', 75: '4', 76: '5', 77: '6', 71: '7', 72: '8', 73: '9', 82: '0',
  30: 'A', 48: 'B', 46: 'C', 32: 'D', 18: 'E', 33: 'F',
};

export type EventSize = 16 | 24;

/** 24 on 64-bit kernels, 16 on 32-bit (arm, ia32). */
export function eventSizeFor(arch: string): EventSize {
  return arch === 'arm' || arch === 'ia32' || arch === 'mips' || arch === 'ppc' ? 16 : 24;
}

export class EvdevCardParser {
  #pending = Buffer.alloc(0);
  #card = '';
  #dropped = 0;

  constructor(private readonly eventSize: EventSize) {}

  get dropped(): number {
    return this.#dropped;
  }

  /** Feeds bytes (any split); answers the card ids completed by an Enter in them. */
  push(bytes: Buffer): string[] {
    const buf = this.#pending.length > 0 ? Buffer.concat([this.#pending, bytes]) : bytes;
    const cards: string[] = [];
    const size = this.eventSize;
    const typeAt = size === 24 ? 16 : 8;
    let off = 0;
    for (; off + size <= buf.length; off += size) {
      const type = buf.readUInt16LE(off + typeAt);
      const code = buf.readUInt16LE(off + typeAt + 2);
      const value = buf.readInt32LE(off + typeAt + 4);
      if (type !== EV_KEY || value !== 1) continue;
      if (code === KEY_ENTER || code === KEY_KPENTER) {
        if (this.#card.length > 0) cards.push(this.#card);
        this.#card = '';
        continue;
      }
      if (code === KEY_LEFTSHIFT || code === KEY_RIGHTSHIFT) continue; // case does not matter: ids are upper-cased
      const ch = KEYS[code];
      if (ch === undefined || this.#card.length >= MAX_CARD) {
        // A key no card reader types (someone at a real keyboard), or runaway input: drop the partial id.
        if (this.#card.length > 0) this.#dropped++;
        this.#card = '';
        continue;
      }
      this.#card += ch;
    }
    this.#pending = Buffer.from(buf.subarray(off));
    return cards;
  }
}
