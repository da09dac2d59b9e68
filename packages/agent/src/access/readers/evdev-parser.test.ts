import { describe, expect, it } from 'vitest';
import { inputEvent, KEY_KPENTER, typedCard } from '../../../../../test/fakes/card-bytes.js';
import { EvdevCardParser, eventSizeFor } from './evdev-parser.js';

describe('evdev input_event parsing', () => {
  for (const size of [16, 24] as const) {
    it(`reads a 10-digit card typed as ${size}-byte events, ended by Enter`, () => {
      const p = new EvdevCardParser(size);
      const bytes = typedCard('0004718245', size);
      expect(bytes.length % size).toBe(0);
      expect(p.push(bytes)).toEqual(['0004718245']);
    });

    it(`(${size} bytes) reassembles events split anywhere and ends on keypad Enter`, () => {
      const p = new EvdevCardParser(size);
      const bytes = typedCard('1A2B3C', size, { enter: KEY_KPENTER });
      const cards: string[] = [];
      for (let i = 0; i < bytes.length; i += 7) cards.push(...p.push(bytes.subarray(i, i + 7)));
      expect(cards).toEqual(['1A2B3C']);
    });
  }

  it('ignores auto-repeat, releases, EV_SYN and EV_MSC; a stray key drops the partial id (counted)', () => {
    const p = new EvdevCardParser(24);
    const repeat = inputEvent(24, 1, 2, 2);
    const stray = Buffer.concat([inputEvent(24, 1, 3, 1), inputEvent(24, 1, 57 /* KEY_SPACE */, 1)]);
    expect(p.push(Buffer.concat([repeat, stray, typedCard('42', 24)]))).toEqual(['42']);
    expect(p.dropped).toBe(1);
  });

  it('the wrong event size does not produce cards (so the size matters)', () => {
    const p = new EvdevCardParser(16);
    expect(p.push(typedCard('0004718245', 24))).not.toEqual(['0004718245']);
  });

  it('picks 16 bytes on 32-bit ARM and 24 on 64-bit', () => {
    expect(eventSizeFor('arm')).toBe(16);
    expect(eventSizeFor('arm64')).toBe(24);
    expect(eventSizeFor('x64')).toBe(24);
  });
});
