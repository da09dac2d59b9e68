import { ConfigError } from '@ma/protocol';
import { describe, expect, it } from 'vitest';
import { loadServerConfig, parseServerConfig, resolveDatabaseUrl } from './load.js';

describe('server config', () => {
  it('has working defaults for every key', () => {
    const c = parseServerConfig('', 'server.yaml', {});
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.database.url).toBe('sqlite:ma.db');
    expect(c.mqtt.tcp.enabled).toBe(false);
    expect(c.nodes.offline_after).toBe(90_000);
  });

  it('parses durations and lets the environment override the file', () => {
    const c = parseServerConfig('nodes:\n  offline_after: 2m\nhttp:\n  port: 9000\n', 'server.yaml', {
      MA_DATABASE_URL: 'postgres://ma@db/ma',
      MA_HTTP_PORT: '9100',
    });
    expect(c.nodes.offline_after).toBe(120_000);
    expect(c.http.port).toBe(9100);
    expect(c.database.url).toBe('postgres://ma@db/ma');
  });

  it('names an invalid environment override by its variable, not as a line of the file', () => {
    let err: ConfigError | undefined;
    try {
      parseServerConfig('', '/etc/ma/server.yaml', { MA_HTTP_PORT: 'abc', MA_LOG_LEVEL: 'loud' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toContain('  MA_HTTP_PORT: got "abc", expected an integer port 0–65535 (environment variable, overrides http.port of /etc/ma/server.yaml)');
    expect(err!.message).toContain('  MA_LOG_LEVEL: got "loud", expected one of fatal, error, warn, info, debug, trace, silent (environment variable');
    expect(err!.message).not.toContain('/etc/ma/server.yaml: http.port');
  });

  it('rejects unknown keys and bad values all at once, naming the file', () => {
    let err: ConfigError | undefined;
    try {
      parseServerConfig('htp:\n  port: 1\nnodes:\n  offline_after: soon\n', '/etc/ma/server.yaml', {});
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toMatch(/\/etc\/ma\/server\.yaml: htp: got an unknown key, expected one of http, database, .* \(did you mean "http"\?\)/);
    expect(err!.message).toContain('/etc/ma/server.yaml: nodes.offline_after: got "soon", expected a duration');
  });

  it('without a config file, names the variable and the key it sets', async () => {
    await expect(loadServerConfig(undefined, { MA_HTTP_PORT: 'abc' })).rejects.toThrow(
      'invalid config (no config file: defaults and environment) (1 problem):\n  MA_HTTP_PORT: got "abc", expected an integer port 0–65535 (environment variable, sets http.port)',
    );
  });

  it('suggests the key meant by a typo, and shows a mistyped section briefly rather than the whole file', () => {
    let err: ConfigError | undefined;
    try {
      parseServerConfig('http:\n  port: eighty\ndatabse:\n  url: postgres://ma@db/ma\n', '/etc/ma/server.yaml', {});
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err!.problems).toHaveLength(2);
    expect(err!.message).toContain('/etc/ma/server.yaml: http.port: got "eighty", expected an integer port 0–65535');
    expect(err!.message).toContain('(did you mean "database"?)');
    expect(err!.message).not.toContain('postgres://');
  });

  it('takes one MQTT packet limit for every transport, and names the key of a bad one', () => {
    expect(parseServerConfig('', 'server.yaml', {}).mqtt.max_packet_bytes).toBe(2 * 1024 * 1024);
    expect(parseServerConfig('mqtt:\n  max_packet_bytes: 65536\n', 'server.yaml', {}).mqtt.max_packet_bytes).toBe(65536);
    expect(() => parseServerConfig('mqtt:\n  max_packet_bytes: 100\n', '/etc/ma/server.yaml', {})).toThrow(/\/etc\/ma\/server\.yaml: mqtt\.max_packet_bytes: got 100/);
  });

  it('names the line of a YAML syntax error', () => {
    expect(() => parseServerConfig('http:\n  port: [1\n', 'server.yaml', {})).toThrow(/invalid YAML in server\.yaml at line/);
  });

  it('resolves a relative SQLite path against the data directory and passes PostgreSQL URLs through', () => {
    expect(resolveDatabaseUrl('sqlite:ma.db', '/var/lib/ma')).toBe('sqlite:/var/lib/ma/ma.db');
    expect(resolveDatabaseUrl('postgres://u@h/db', '/x')).toBe('postgres://u@h/db');
    expect(resolveDatabaseUrl('sqlite::memory:', '/x')).toBe('sqlite::memory:');
  });
});
