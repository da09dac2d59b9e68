/**
 * Card reader byte streams exactly as real readers produce them, for tests and the demo:
 * RDM6300 / ID-12LA serial frames, and evdev `struct input_event` records (16 or 24 bytes).
 */
export function rdm6300Frame(card: string, style: 'rdm6300' | 'id12' = 'rdm6300', checksum?: number): Buffer {
  let xor = 0;
  for (let i = 0; i < 10; i += 2) xor ^= parseInt(card.slice(i, i + 2), 16);
  const sum = (checksum ?? xor).toString(16).toUpperCase().padStart(2, '0');
  return Buffer.concat([Buffer.from([0x02]), Buffer.from(`${card.toUpperCase()}${sum}${style === 'id12' ? '\r\n' : ''}`, 'ascii'), Buffer.from([0x03])]);
}

const KEY_CODES: Record<string, number> = { '1': 2, '2': 3, '3': 4, '4': 5, '5': 6, '6': 7, '7': 8, '8': 9, '9': 10, '0': 11, A: 30, B: 48, C: 46, D: 32, E: 18, F: 33 };
export const KEY_ENTER = 28;
export const KEY_KPENTER = 96;
export const KEY_LEFTSHIFT = 42;

/** One input_event: time from `atMs`, then type, code, value (little-endian, as on ARM and x86). */
export function inputEvent(size: 16 | 24, type: number, code: number, value: number, atMs = Date.now()): Buffer {
  const buf = Buffer.alloc(size);
  const sec = Math.floor(atMs / 1000);
  const usec = (atMs % 1000) * 1000;
  if (size === 24) {
    buf.writeBigInt64LE(BigInt(sec), 0);
    buf.writeBigInt64LE(BigInt(usec), 8);
  } else {
    buf.writeInt32LE(sec, 0);
    buf.writeInt32LE(usec, 4);
  }
  const t = size === 24 ? 16 : 8;
  buf.writeUInt16LE(type, t);
  buf.writeUInt16LE(code, t + 2);
  buf.writeInt32LE(value, t + 4);
  return buf;
}

/**
 * What a keyboard-emulating reader sends for a card: per character an EV_MSC scan code, the key
 * press, EV_SYN, the release, EV_SYN; then Enter (or keypad Enter). Upper-case hex letters are
 * typed with Shift held, as such readers do.
 */
export function typedCard(card: string, size: 16 | 24, opts: { enter?: number; atMs?: number } = {}): Buffer {
  const at = opts.atMs ?? Date.now();
  const parts: Buffer[] = [];
  const key = (code: number) => {
    parts.push(inputEvent(size, 4, 4, 0x70000 + code, at), inputEvent(size, 1, code, 1, at), inputEvent(size, 0, 0, 0, at), inputEvent(size, 1, code, 0, at), inputEvent(size, 0, 0, 0, at));
  };
  for (const ch of card.toUpperCase()) {
    const code = KEY_CODES[ch];
    if (code === undefined) throw new Error(`no key for ${ch}`);
    const shifted = /[A-F]/.test(ch);
    if (shifted) parts.push(inputEvent(size, 1, KEY_LEFTSHIFT, 1, at));
    key(code);
    if (shifted) parts.push(inputEvent(size, 1, KEY_LEFTSHIFT, 0, at));
  }
  key(opts.enter ?? KEY_ENTER);
  return Buffer.concat(parts);
}
