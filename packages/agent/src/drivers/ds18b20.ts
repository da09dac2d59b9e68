/**
 * DS18B20 1-wire temperature probes through the kernel's w1-gpio + w1-therm drivers
 * (HARDWARE.md). One channel per probe, `ds18b20/<probe id>`, in °C.
 *
 * A read prefers `<dev>/temperature` (newer kernels) and falls back to `<dev>/w1_slave`.
 * Known false readings are rejected as DriverBadReading, never returned: a failed CRC,
 * 85 °C (the power-on reset value), -127 °C, the all-zero scratchpad of a disconnected
 * probe, anything unparsable or outside -55..125 °C. Each read of a real probe takes
 * ~750 ms, so reads of different probes run independently (no shared lock).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';
import { z } from 'zod';
import type { ChannelSpec, DriverContext, DriverDescriptor, DriverInstance } from './driver.js';
import {
  checkRange,
  deviceReadError,
  durationSchema,
  isMissing,
  labelSchema,
  labelsSchema,
  notRunning,
  readDeviceText,
  unknownChannel,
} from './driver-support.js';

export const DS18B20_RANGE = { min: -55, max: 125 } as const;
/** The family code of DS18B20 probes on the 1-wire bus. */
const PROBE_ID = /^28-[0-9a-f]{12}$/;
const POWER_ON_RESET_MILLI_C = 85000;
const DISCONNECTED_MILLI_C = -127000;

export const ds18b20ProbeSchema = z
  .object({
    id: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.string().regex(PROBE_ID, 'a DS18B20 probe id like "28-00000c1a748d" (see /sys/bus/w1/devices/)')),
    label: labelSchema.optional(),
    labels: labelsSchema.optional(),
    interval: durationSchema.optional(),
  })
  .strict();

export const ds18b20ConfigSchema = z
  .object({
    /** Where sysfs is mounted, `/` on a real node; tests point it at a fake tree. */
    sysfs_root: z.string().min(1).default('/'),
    /** Probes to read; empty or absent means every DS18B20 found on the bus. */
    probes: z
      .array(ds18b20ProbeSchema)
      .default([])
      .superRefine((probes, ctx) => {
        const seen = new Set<string>();
        probes.forEach((p, i) => {
          if (seen.has(p.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'id'], message: `each probe id once (${p.id} is listed twice)` });
          seen.add(p.id);
        });
      }),
    interval: durationSchema.default('10s'),
  })
  .strict();

export type Ds18b20Config = z.output<typeof ds18b20ConfigSchema>;

/** What a w1_slave or temperature file said, before plausibility checks. */
export type Ds18b20Parse = { ok: true; milliC: number } | { ok: false; reason: string };

/** Parses the two-line w1_slave text; see HARDWARE.md for the format. */
export function parseW1Slave(text: string): Ds18b20Parse & { zeroScratchpad?: boolean } {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const bytes = '((?:[0-9a-f]{2} ){8}[0-9a-f]{2})';
  const crcLine = new RegExp(`^${bytes} : crc=([0-9a-f]{2}) (YES|NO)$`, 'i').exec(lines[0] ?? '');
  const tLine = new RegExp(`^${bytes} t=(-?\\d+)$`, 'i').exec(lines[1] ?? '');
  if (!crcLine || lines.length !== 2) return { ok: false, reason: `unparsable w1_slave content ${JSON.stringify(text.slice(0, 120))}` };
  if (crcLine[3]!.toUpperCase() !== 'YES') return { ok: false, reason: 'CRC check failed (crc=.. NO): electrical noise, a long cable or a missing pull-up resistor' };
  if (!tLine) return { ok: false, reason: `unparsable w1_slave temperature line ${JSON.stringify(lines[1] ?? '')}` };
  const zeroScratchpad = /^(00 ){8}00$/.test(crcLine[1]!);
  return { ok: true, milliC: Number(tLine[2]), zeroScratchpad };
}

/** Parses the one-line `temperature` file (millidegrees Celsius). */
export function parseTemperatureFile(text: string): Ds18b20Parse {
  const m = /^\s*(-?\d+)\s*$/.exec(text);
  if (!m) return { ok: false, reason: `unparsable temperature content ${JSON.stringify(text.slice(0, 60))}` };
  return { ok: true, milliC: Number(m[1]) };
}

/** Rejects the classic false readings; returns millidegrees that are a real temperature. */
export function plausibleMilliC(milliC: number, zeroScratchpad: boolean): Ds18b20Parse {
  if (zeroScratchpad) return { ok: false, reason: 'all-zero scratchpad (a disconnected probe reads a false 0 °C): check the data wire' };
  if (milliC === POWER_ON_RESET_MILLI_C) return { ok: false, reason: '85 °C power-on reset value: the probe lost power during conversion; check power wiring' };
  if (milliC === DISCONNECTED_MILLI_C) return { ok: false, reason: '-127 °C: the probe is disconnected' };
  return { ok: true, milliC };
}

interface Probe {
  id: string;
  label?: string;
  labels?: Record<string, string>;
  intervalMs: number;
}

class Ds18b20Driver implements DriverInstance {
  private readonly probes = new Map<string, Probe>();
  private running: AbortController | undefined;

  constructor(
    private readonly config: Ds18b20Config,
    private readonly ctx: DriverContext,
  ) {}

  private get devicesDir(): string {
    return join(this.config.sysfs_root, 'sys/bus/w1/devices');
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.running = new AbortController();
    for (const p of this.config.probes) {
      this.probes.set(p.id, { id: p.id, label: p.label, labels: p.labels, intervalMs: p.interval ?? this.config.interval });
    }
    await this.rediscover();
    signal.throwIfAborted();
    if (this.probes.size === 0) {
      this.ctx.log.warn({ dir: this.devicesDir }, 'no DS18B20 probes found; is dtoverlay=w1-gpio set and are the probes wired (with a 4.7 kΩ pull-up)?');
    }
  }

  async stop(): Promise<void> {
    this.running?.abort();
    this.running = undefined;
  }

  channels(): ChannelSpec[] {
    return [...this.probes.values()].map((p) => ({
      key: `ds18b20/${p.id}`,
      kind: 'sensor',
      driver: 'ds18b20',
      quantity: 'temperature',
      unit: '°C',
      ...(p.label !== undefined ? { label: p.label } : {}),
      ...(p.labels !== undefined ? { labels: p.labels } : {}),
      intervalMs: p.intervalMs,
      range: { ...DS18B20_RANGE },
    }));
  }

  /** With probes in config, they are the channels; without, every `28-*` device on the bus. */
  async rediscover(): Promise<void> {
    if (this.config.probes.length > 0) return;
    for (const id of await this.discover()) {
      if (this.probes.has(id)) continue;
      this.probes.set(id, { id, intervalMs: this.config.interval });
      this.ctx.log.info({ probe: id }, 'DS18B20 probe found');
    }
  }

  private async discover(): Promise<string[]> {
    const found = new Set<string>();
    let entries: string[] = [];
    try {
      entries = await readdir(this.devicesDir);
    } catch (e) {
      if (!isMissing(e)) throw deviceReadError(e, 'the 1-wire bus', this.devicesDir);
      return [];
    }
    for (const name of entries) {
      if (PROBE_ID.test(name)) found.add(name);
    }
    // Each bus master also lists its slaves ("not found." when there are none).
    for (const master of entries.filter((n) => n.startsWith('w1_bus_master'))) {
      const file = join(this.devicesDir, master, 'w1_master_slaves');
      try {
        const text = await readDeviceText(file, 'the 1-wire bus master', this.running?.signal);
        for (const line of text.split('\n')) if (PROBE_ID.test(line.trim())) found.add(line.trim());
      } catch (e) {
        this.ctx.log.debug({ file, err: e }, 'cannot read w1_master_slaves');
      }
    }
    return [...found].sort();
  }

  async read(key: string): Promise<number> {
    const id = key.startsWith('ds18b20/') ? key.slice('ds18b20/'.length) : undefined;
    if (id === undefined || !this.probes.has(id)) throw unknownChannel('ds18b20', key, this.channels().map((c) => c.key));
    const signal = this.running?.signal;
    if (!signal) throw notRunning('ds18b20');
    const what = `DS18B20 probe ${id}`;
    const dir = join(this.devicesDir, id);
    let result: Ds18b20Parse;
    try {
      result = await this.readProbe(dir, what, signal);
    } catch (e) {
      if (signal.aborted) throw notRunning('ds18b20');
      throw e;
    }
    if (!result.ok) throw new MaError(ErrorCode.DriverBadReading, `${what}: ${result.reason}`);
    return checkRange(result.milliC / 1000, DS18B20_RANGE, what);
  }

  private async readProbe(dir: string, what: string, signal: AbortSignal): Promise<Ds18b20Parse> {
    const temperatureFile = join(dir, 'temperature');
    let text: string | undefined;
    try {
      text = await readDeviceText(temperatureFile, what, signal);
    } catch (e) {
      // Older kernels have no `temperature` file: fall back to w1_slave. Any other failure stands.
      if (!(e instanceof MaError && e.code === ErrorCode.DriverDeviceMissing)) throw e;
    }
    if (text !== undefined) {
      const parsed = parseTemperatureFile(text);
      if (!parsed.ok) return parsed;
      // A disconnected probe also reads 0 here; w1_slave's bytes tell it from a real 0 °C.
      if (parsed.milliC !== 0) return plausibleMilliC(parsed.milliC, false);
    }
    const slave = parseW1Slave(await readDeviceText(join(dir, 'w1_slave'), what, signal));
    if (!slave.ok) return slave;
    return plausibleMilliC(slave.milliC, slave.zeroScratchpad === true);
  }
}

export const ds18b20Driver = {
  id: 'ds18b20',
  description: 'DS18B20 1-wire temperature probes via the kernel w1-therm driver (sysfs)',
  configSchema: ds18b20ConfigSchema,
  create: (config: Ds18b20Config, ctx: DriverContext): DriverInstance => new Ds18b20Driver(config, ctx),
} satisfies DriverDescriptor<typeof ds18b20ConfigSchema>;
