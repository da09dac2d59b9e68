import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeDriverContract } from '../drivers/contract.js';
import { silentLogger } from '../logger.js';
import { commandActuatorDriver, parseSwitchOutput } from './command.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ma-cmd-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A relay driven by shell programs writing a state file, as an operator's script would. */
const config = (d: string) => ({
  name: 'fan',
  on: ['/bin/sh', '-c', `echo on > ${d}/state`],
  off: ['/bin/sh', '-c', `echo off > ${d}/state`],
  status: ['/bin/sh', '-c', `cat ${d}/state 2>/dev/null || echo off`],
});

describeDriverContract('command', async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'ma-cmd-contract-'));
  return { descriptor: commandActuatorDriver, config: config(d), cleanup: () => rm(d, { recursive: true, force: true }) };
});

describe('command actuator', () => {
  const create = (c: Record<string, unknown>) => commandActuatorDriver.create(commandActuatorDriver.configSchema.parse(c), { log: silentLogger(), now: Date.now });

  it('runs on/off and reads status back', async () => {
    const d = create(config(dir));
    await d.start(new AbortController().signal);
    expect(await d.write!('fan', 1)).toBe(1);
    expect((await readFile(path.join(dir, 'state'), 'utf8')).trim()).toBe('on');
    await writeFile(path.join(dir, 'state'), 'off\n');
    expect(await d.read!('fan')).toBe(0);
  });

  it('a failing program is a MaError with its exit code and stderr', async () => {
    const d = create({ ...config(dir), on: ['/bin/sh', '-c', 'echo relay jammed >&2; exit 3'] });
    await d.start(new AbortController().signal);
    await expect(d.write!('fan', 1)).rejects.toThrow(/exited with 3: relay jammed/);
  });

  it('a program that hangs is killed at the timeout', async () => {
    const d = create({ ...config(dir), on: ['/bin/sleep', '10'], timeout: '200ms' });
    await d.start(new AbortController().signal);
    await expect(d.write!('fan', 1)).rejects.toThrow(/did not finish within 200 ms/);
  });

  it('without a status program the state is unknown until switched', async () => {
    const { status: _s, ...noStatus } = config(dir);
    const d = create(noStatus);
    await d.start(new AbortController().signal);
    await expect(d.read!('fan')).rejects.toThrow(/unknown/);
    await d.write!('fan', 1);
    expect(await d.read!('fan')).toBe(1);
  });

  it('parses status output leniently but never guesses', () => {
    expect(parseSwitchOutput(' ON\n')).toBe(1);
    expect(parseSwitchOutput('false')).toBe(0);
    expect(parseSwitchOutput('maybe')).toBeUndefined();
  });
});
