import { ConfigError } from '@ma/protocol';
import { describe, expect, it } from 'vitest';
import { drivers } from '../drivers/registry.js';
import { parseAgentConfig } from './load.js';

const VALID = 'node: fridge-1\nserver:\n  mqtt_url: ws://127.0.0.1:8080/mqtt\n  credential: man_abcdefghij\n';

function errorOf(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseAgentConfig(text, '/etc/ma/agent.yaml', env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('agent config errors', () => {
  it('reads an unknown driver the right way round, listing the registry and the likely one', () => {
    const err = errorOf(`${VALID}drivers:\n  - driver: system\n  - driver: simulatd\n`);
    expect(err.message).toContain(`/etc/ma/agent.yaml: drivers[1].driver: got "simulatd", expected one of ${Object.keys(drivers).join(', ')} (did you mean "simulated"?)`);
    expect(err.problems).toHaveLength(1);
  });

  it('reports the top-level and every driver section problem at once', () => {
    const err = errorOf('node: Fridge_1\nserver:\n  mqtt_url: http://x\n  credential: short\ndrivers:\n  - driver: system\n    intervl: 10s\n  - driver: ds18b20\n    interval: often\n');
    expect(err.message.split('\n').slice(1).map((l) => l.trim())).toEqual([
      '/etc/ma/agent.yaml: node: got "Fridge_1", expected a node name: lowercase letters, digits and dashes, e.g. "freezer-room-2"',
      '/etc/ma/agent.yaml: server.mqtt_url: got "http://x", expected an mqtt://, mqtts://, ws:// or wss:// URL',
      '/etc/ma/agent.yaml: server.credential: got (hidden, 5 characters), expected a string of at least 8 characters',
      expect.stringMatching(/^\/etc\/ma\/agent\.yaml: drivers\[0\]\.intervl: got an unknown key, expected one of .*interval.* \(did you mean "interval"\?\)$/),
      expect.stringMatching(/^\/etc\/ma\/agent\.yaml: drivers\[1\]\.interval: got "often", expected a duration such as "500ms"/),
    ]);
  });

  it('names an environment override by its variable', () => {
    const err = errorOf(`${VALID}drivers: []\n`, { MA_AGENT_MQTT_URL: 'http://control' });
    expect(err.message).toContain('  MA_AGENT_MQTT_URL: got "http://control", expected an mqtt://, mqtts://, ws:// or wss:// URL (environment variable, overrides server.mqtt_url of /etc/ma/agent.yaml)');
  });

  it('accepts a valid file', () => {
    const loaded = parseAgentConfig(`${VALID}drivers:\n  - driver: simulated\n`, '/etc/ma/agent.yaml', {});
    expect(loaded.drivers).toEqual([expect.objectContaining({ id: 'simulated', key: 'drivers[0]' })]);
  });
});
