import { describe, expect, it } from 'vitest';
import { rdm6300Frame } from '../../../../../test/fakes/card-bytes.js';
import { decodeFrame, Rdm6300Framer } from './rdm6300-framing.js';

describe('RDM6300 / ID-12LA framing', () => {
  it('decodes a frame: 10 hex digits, XOR checksum verified', () => {
    // 0x62 ^ 0xE3 ^ 0x08 ^ 0x6C ^ 0xED = 0x08
    const f = new Rdm6300Framer();
    expect(f.push(Buffer.from('\x0262E3086CED08\x03', 'latin1'))).toEqual({ cards: ['62E3086CED'], dropped: 0 });
  });

  it('accepts the ID-12LA variant with CR LF before ETX', () => {
    expect(new Rdm6300Framer().push(rdm6300Frame('0415AB3C7D', 'id12')).cards).toEqual(['0415AB3C7D']);
  });

  it('reassembles frames split across reads, byte by byte', () => {
    const f = new Rdm6300Framer();
    const bytes = Buffer.concat([rdm6300Frame('0415AB3C7D'), rdm6300Frame('62E3086CED')]);
    const cards: string[] = [];
    for (const b of bytes) cards.push(...f.push(Buffer.from([b])).cards);
    expect(cards).toEqual(['0415AB3C7D', '62E3086CED']);
  });

  it('drops and counts a bad checksum, a short frame, a frame cut by a new STX, and runaway bytes', () => {
    const f = new Rdm6300Framer();
    const r = f.push(
      Buffer.concat([
        rdm6300Frame('0415AB3C7D', 'rdm6300', 0x00),
        Buffer.from('\x020415AB\x03', 'latin1'),
        Buffer.from('\x020415AB', 'latin1'),
        rdm6300Frame('62E3086CED'),
        Buffer.from(`\x02${'A'.repeat(40)}\x03`, 'latin1'),
        Buffer.from('noise between frames', 'latin1'),
        rdm6300Frame('0415AB3C7D'),
      ]),
    );
    expect(r.cards).toEqual(['62E3086CED', '0415AB3C7D']);
    expect(r.dropped).toBe(4);
    expect(f.dropped).toBe(4);
  });

  it('rejects non-hex digits even with a matching length', () => {
    expect(decodeFrame([...Buffer.from('0415AB3C7G00')])).toBeUndefined();
  });
});
