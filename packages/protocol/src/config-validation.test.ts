import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseDuration, validateConfig } from './config-validation.js';

const schema = z.object({ http: z.object({ port: z.number().int().max(65535) }).strict(), mode: z.enum(['a', 'b']) }).strict();

describe('validateConfig', () => {
  it('returns the typed value when valid', () => {
    expect(validateConfig(schema, { http: { port: 80 }, mode: 'a' }, 'x.yaml')).toEqual({ http: { port: 80 }, mode: 'a' });
  });

  it('reports every problem with file, key, value and expected form', () => {
    let err: unknown;
    try {
      validateConfig(schema, { http: { port: 'eighty' }, mode: 'c', extra: 1 }, '/etc/ma/server.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toContain('/etc/ma/server.yaml: http.port: got "eighty", expected a number');
    expect(msg).toContain('mode: got "c", expected one of "a", "b"');
    expect(msg).toContain('no unknown keys (extra)');
    expect((err as ConfigError).problems).toHaveLength(3);
  });
});

describe('parseDuration', () => {
  it('understands units', () => {
    expect(parseDuration('200ms')).toBe(200);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration('soon')).toBeUndefined();
  });
});
