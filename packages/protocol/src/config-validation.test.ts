import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from './closest-match.js';
import { ConfigError, describeValue, durationSchema, parseDuration, validateConfig } from './config-validation.js';

const schema = z
  .object({
    http: z.object({ port: z.number().int().min(0).max(65535).default(8080), host: z.string().default('x') }).strict().default({}),
    database: z.object({ url: z.string().min(1) }).strict().optional(),
    mode: z.enum(['a', 'b']).default('a'),
    secret: z.object({ password: z.string().min(8) }).strict().optional(),
    name: z.string().regex(/^[a-z]+$/, 'lowercase letters').optional(),
    timeout: durationSchema('1s'),
    items: z.array(z.object({ id: z.string() }).strict()).default([]),
  })
  .strict();

/** The ConfigError thrown by validating `raw`, for its message and problems. */
function errorOf(raw: unknown, env: Record<string, string> = {}): ConfigError {
  try {
    validateConfig(schema, raw, '/etc/ma/server.yaml', env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('validateConfig', () => {
  it('returns the typed value when valid', () => {
    expect(validateConfig(schema, { http: { port: 80 }, mode: 'b' }, 'x.yaml')).toMatchObject({ http: { port: 80, host: 'x' }, mode: 'b', timeout: 1000 });
  });

  it('reports every problem at once, one line each: file, key, value, expected form', () => {
    const err = errorOf({ http: { port: 'eighty' }, mode: 'c', timeout: 'soon' });
    expect(err.problems).toHaveLength(3);
    const lines = err.message.split('\n').slice(1).map((l) => l.trim());
    expect(lines).toEqual([
      '/etc/ma/server.yaml: http.port: got "eighty", expected an integer 0–65535',
      '/etc/ma/server.yaml: mode: got "c", expected one of a, b',
      '/etc/ma/server.yaml: timeout: got "soon", expected a duration such as "500ms", "30s", "5m", "1h"',
    ]);
    expect(err.message).toMatch(/^invalid config in \/etc\/ma\/server\.yaml \(3 problems\):/);
  });

  it('names an unknown key on its own line with the closest valid key, never dumping the document', () => {
    const doc = { http: { port: 'eighty', prot: 1 }, databse: { url: 'sqlite:ma.db' } };
    const err = errorOf(doc);
    expect(err.message).toContain('/etc/ma/server.yaml: databse: got an unknown key, expected one of http, database, mode, secret, name, timeout, items (did you mean "database"?)');
    expect(err.message).toContain('/etc/ma/server.yaml: http.prot: got an unknown key, expected one of port, host (did you mean "port"?)');
    expect(err.message).not.toContain(JSON.stringify(doc));
    expect(err.message).not.toContain('(top level)');
  });

  it('suggests nothing when no key is close', () => {
    expect(errorOf({ zzzzzz: 1 }).message).toMatch(/zzzzzz: got an unknown key, expected one of http, database, mode, secret, name, timeout, items$/m);
  });

  it('suggests the closest enum value', () => {
    expect(errorOf({ mode: 'B ' }).message).toContain('mode: got "B ", expected one of a, b (did you mean "b"?)');
  });

  it('never shows raw validator wording', () => {
    const err = errorOf({ secret: { password: 'short' }, database: { url: '' }, name: 'Ab', items: [{ id: 3 }] });
    expect(err.message).toContain('secret.password: got (hidden, 5 characters), expected a string of at least 8 characters');
    expect(err.message).toContain('database.url: got "", expected a string (not empty)');
    expect(err.message).toContain('name: got "Ab", expected lowercase letters');
    expect(err.message).toContain('items[0].id: got 3, expected a string');
    expect(err.message).not.toMatch(/character\(s\)|String must|Expected \w+, received|Invalid/);
  });

  it('marks a missing required key', () => {
    expect(errorOf({ database: {} }).message).toContain('database.url: got (missing), expected a string (not empty) (required)');
  });

  it('names an environment variable as such, not the file', () => {
    const err = errorOf({ http: { port: 'abc' } }, { 'http.port': 'MA_HTTP_PORT' });
    expect(err.message).toContain('  MA_HTTP_PORT: got "abc", expected an integer 0–65535 (environment variable, overrides http.port of /etc/ma/server.yaml)');
    expect(err.problems[0]).toMatchObject({ key: 'http.port', env: 'MA_HTTP_PORT' });
  });
});

describe('describeValue', () => {
  it('shows values briefly', () => {
    expect(describeValue('x'.repeat(100))).toHaveLength(40);
    expect(describeValue({ a: 1, b: 2, c: 3, d: 4, e: 5 })).toBe('a mapping (a, b, c, d, …)');
    expect(describeValue([1, 2])).toBe('a list of 2 items');
    expect(describeValue(undefined)).toBe('(missing)');
    expect(describeValue(null)).toBe('null');
  });

  it('hides secrets', () => {
    expect(describeValue('man_abcdefgh', 'server.credential')).toBe('(hidden, 12 characters)');
  });
});

describe('closestMatch', () => {
  it('finds likely typos only', () => {
    expect(closestMatch('databse', ['http', 'database', 'data_dir'])).toBe('database');
    expect(closestMatch('simulatd', ['ds18b20', 'system', 'simulated'])).toBe('simulated');
    expect(closestMatch('htp', ['http', 'mqtt'])).toBe('http');
    expect(closestMatch('cameras', ['http', 'mqtt'])).toBeUndefined();
    expect(editDistance('ab', 'ba')).toBe(1);
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
