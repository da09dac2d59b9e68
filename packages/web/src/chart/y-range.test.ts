import { describe, expect, it } from 'vitest';
import { unitRange } from './y-range';

describe('y ranges of small charts', () => {
  it('draws a percentage 0–100, so disk at 22–23.6 % is a flat line, not a spike', () => {
    expect(unitRange('%', 22, 23.6)).toEqual([0, 100]);
    expect(unitRange('%', null, null)).toEqual([0, 100]);
    expect(unitRange('%', -2, 104)).toEqual([-2, 104]);
  });

  it('keeps at least a few degrees (or 30 dB) in view, centred on the data', () => {
    expect(unitRange('°C', 50.5, 51.5)).toEqual([49, 53]);
    expect(unitRange('dBm', -62, -60)).toEqual([-76, -46]);
  });

  it('leaves a series that moves more than that to fit its data, and widens a flat one', () => {
    expect(unitRange('°C', -20, 5)).toBeNull();
    expect(unitRange('ppm', 400, 400)).toEqual([399, 401]);
  });
});
