import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeDriverContract } from '../drivers/contract.js';
import { silentLogger } from '../logger.js';
import { gpioDriver, gpiosetArgs, parseGpiodVersion, parseGpiogetOutput } from './gpio.js';

const FAKES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../test/fakes/gpiod');
// The fakes are Node scripts (~100 ms to start, where the C tools take ~2 ms), so a fresh
// holder is given longer to come up before a write counts as applied.
const tools = (v: 1 | 2) => ({ gpioset: path.join(FAKES, `v${v}`, 'gpioset'), gpioget: path.join(FAKES, `v${v}`, 'gpioget'), settle: '1500ms' });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ma-gpio-'));
  process.env.FAKE_GPIO_DIR = dir;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = async (offset: number) => JSON.parse(await readFile(path.join(dir, `gpiochip0-${offset}.json`), 'utf8')) as { value: number; holder: number | null };
const create = (config: Record<string, unknown>) => gpioDriver.create(gpioDriver.configSchema.parse(config), { log: silentLogger(), now: Date.now });

for (const v of [1, 2] as const) {
  describeDriverContract(`gpio (libgpiod v${v} tools)`, async () => {
    await writeFile(path.join(dir, 'gpiochip0-4.json'), JSON.stringify({ value: 1, holder: null }));
    return { descriptor: gpioDriver, config: { name: 'door', line: 4, direction: 'input', ...tools(v) } };
  });

  describe(`gpio outputs with libgpiod v${v}`, () => {
    it('holds the line with a long-running gpioset in the version\'s own syntax, and releases it on stop', async () => {
      const d = create({ name: 'relay', line: 17, ...tools(v) });
      await d.start(new AbortController().signal);
      expect(await d.write!('relay', 1)).toBe(1);
      const held = await line(17);
      expect(held.value).toBe(1);
      expect(held.holder).toBeGreaterThan(0);
      expect(await d.read!('relay')).toBe(1);
      expect(await d.write!('relay', 0)).toBe(0);
      expect((await line(17)).value).toBe(0);
      await d.stop();
      expect((await line(17)).holder).toBeNull();
    });

    it('drives an active-low relay low for on', async () => {
      const d = create({ name: 'relay', line: 22, active_low: true, ...tools(v) });
      await d.start(new AbortController().signal);
      await d.write!('relay', 1);
      expect((await line(22)).value).toBe(0);
      await d.write!('relay', 0);
      expect((await line(22)).value).toBe(1);
      await d.stop();
    });

    it('a line another process holds fails the write with the tool\'s message', async () => {
      const a = create({ name: 'a', line: 5, ...tools(v) });
      const b = create({ name: 'b', line: 5, ...tools(v) });
      await a.start(new AbortController().signal);
      await b.start(new AbortController().signal);
      await a.write!('a', 1);
      await expect(b.write!('b', 0)).rejects.toThrow(/Device or resource busy/);
      await a.stop();
      await b.stop();
    });

    it('a holder that dies (killed by someone) makes the read back fail: the state is not known', async () => {
      const d = create({ name: 'relay', line: 6, ...tools(v) });
      await d.start(new AbortController().signal);
      await d.write!('relay', 1);
      process.kill((await line(6)).holder!, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      await expect(d.read!('relay')).rejects.toThrow(/exited/);
      await d.stop();
    });
  });
}

describe('libgpiod tool syntax', () => {
  it('detects the major version from --version', () => {
    expect(parseGpiodVersion('gpioset (libgpiod) v1.6.3\nCopyright')).toBe(1);
    expect(parseGpiodVersion('gpioset (libgpiod) v2.1\n')).toBe(2);
    expect(parseGpiodVersion('bash: gpioset: command not found')).toBeUndefined();
  });
  it('builds v1 and v2 arguments', () => {
    expect(gpiosetArgs(1, { chip: 'gpiochip0', line: 17, active_low: false }, 1)).toEqual(['--mode=signal', 'gpiochip0', '17=1']);
    expect(gpiosetArgs(2, { chip: 'gpiochip0', line: 'GPIO17', active_low: true }, 1)).toEqual(['-c', 'gpiochip0', '-l', 'GPIO17=1']);
  });
  it('reads both gpioget output forms', () => {
    expect(parseGpiogetOutput('1\n')).toBe(1);
    expect(parseGpiogetOutput('"GPIO17"=inactive\n')).toBe(0);
    expect(parseGpiogetOutput('"17"=active')).toBe(1);
    expect(parseGpiogetOutput('garbage')).toBeUndefined();
  });
  it('an absent tool is a clear start error', async () => {
    const d = create({ name: 'relay', line: 17, gpioset: '/nonexistent/gpioset' });
    await expect(d.start(new AbortController().signal)).rejects.toThrow(/cannot run \/nonexistent\/gpioset/);
  });
  it('an input is read with gpioget (v2 by line name)', async () => {
    await writeFile(path.join(dir, 'gpiochip0-27.json'), JSON.stringify({ value: 1, holder: null }));
    const d = create({ name: 'door', line: 'GPIO27', direction: 'input', ...tools(2) });
    await d.start(new AbortController().signal);
    expect(await d.read!('door')).toBe(1);
    await writeFile(path.join(dir, 'gpiochip0-27.json'), JSON.stringify({ value: 0, holder: null }));
    expect(await d.read!('door')).toBe(0);
  });
});
