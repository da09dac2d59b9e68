import { describe, expect, it } from 'vitest';
import { channelsOf, evaluateInterlock, parseInterlock } from './interlock-expression.js';

const values = (v: Record<string, number>) => (k: string) => v[k];

describe('interlock expressions', () => {
  it('"never on while enclosure_door is open": door contact 1 = open', () => {
    const rule = parseInterlock('enclosure_door == 0');
    expect(evaluateInterlock(rule, values({ enclosure_door: 0 }))).toEqual({ ok: true });
    expect(evaluateInterlock(rule, values({ enclosure_door: 1 }))).toEqual({ ok: false, message: 'not satisfied (enclosure_door = 1)' });
  });

  it('"only while coolant_temp < 30", with channel keys that have slashes and dots', () => {
    const rule = parseInterlock('ds18b20/28-00000c1a748d < 30 and (not estop || override.key >= 1.5)');
    expect([...channelsOf(rule)].sort()).toEqual(['ds18b20/28-00000c1a748d', 'estop', 'override.key']);
    expect(evaluateInterlock(rule, values({ 'ds18b20/28-00000c1a748d': 21.5, estop: 0, 'override.key': 0 })).ok).toBe(true);
    expect(evaluateInterlock(rule, values({ 'ds18b20/28-00000c1a748d': 31, estop: 0, 'override.key': 0 })).ok).toBe(false);
    expect(evaluateInterlock(rule, values({ 'ds18b20/28-00000c1a748d': 21, estop: 1, 'override.key': 2 })).ok).toBe(true);
  });

  it('precedence: not binds tighter than and, and tighter than or', () => {
    const rule = parseInterlock('a or b and not c');
    expect(evaluateInterlock(rule, values({ a: 0, b: 1, c: 0 })).ok).toBe(true);
    expect(evaluateInterlock(rule, values({ a: 0, b: 1, c: 1 })).ok).toBe(false);
    expect(evaluateInterlock(rule, values({ a: 1, b: 0, c: 1 })).ok).toBe(true);
  });

  it('a channel with no recent value fails the rule and is named (fail-safe)', () => {
    const rule = parseInterlock('door == 0 or bypass');
    expect(evaluateInterlock(rule, values({ door: 1 }))).toEqual({ ok: false, message: 'no recent value for bypass' });
  });

  it('syntax errors name the position; nothing is evaluated as code', () => {
    expect(() => parseInterlock('door ==')).toThrow(/expected a channel, number or "\(" at the end/);
    expect(() => parseInterlock('door = 0')).toThrow(/unexpected "="/);
    expect(() => parseInterlock('(door == 0')).toThrow(/expected "\)"/);
    expect(() => parseInterlock('process.exit(1)')).toThrow(/interlock/);
    expect(() => parseInterlock('')).toThrow(/empty rule/);
    expect(() => parseInterlock('door == 0 door')).toThrow(/unexpected at "door"/);
  });
});
