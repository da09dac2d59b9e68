import { describe, expect, it } from 'vitest';
import { kioskFromUrl } from './kiosk';

describe('kioskFromUrl', () => {
  it('turns on with ?kiosk=1 and off with ?kiosk=0, whatever the tab remembered', () => {
    expect(kioskFromUrl('?kiosk=1', null)).toBe(true);
    expect(kioskFromUrl('kiosk=true', '0')).toBe(true);
    expect(kioskFromUrl('?kiosk=0', '1')).toBe(false);
  });
  it('keeps what the tab remembered when the URL says nothing', () => {
    expect(kioskFromUrl('', '1')).toBe(true);
    expect(kioskFromUrl('?range=1h', null)).toBe(false);
  });
});
