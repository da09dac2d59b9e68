import { describe, expect, it } from 'vitest';
import { matchPath } from './router';

describe('matchPath', () => {
  it('matches literal paths, ignoring a trailing slash', () => {
    expect(matchPath('/', '/')).toEqual({});
    expect(matchPath('/charts', '/charts/')).toEqual({});
    expect(matchPath('/charts', '/chart')).toBeNull();
  });

  it('captures and decodes parameters', () => {
    expect(matchPath('/nodes/:name', '/nodes/lab%2D1')).toEqual({ name: 'lab-1' });
    expect(matchPath('/nodes/:name', '/nodes')).toBeNull();
    expect(matchPath('/nodes/:name', '/nodes/a/b')).toBeNull();
    expect(matchPath('/nodes/:name', '/nodes/%E0%A4%A')).toBeNull();
  });
});
