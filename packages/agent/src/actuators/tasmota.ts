/**
 * Tasmota relays and plugs over HTTP: `cm?cmnd=Power%20On` to switch (answers `{"POWER":"ON"}`),
 * `cm?cmnd=Power` to read back, and `Status 8` (`StatusSNS.ENERGY.Power`) for the power draw of
 * metering plugs. A web password goes as `user`/`password` query parameters, as Tasmota expects.
 */
import { ErrorCode, MaError } from '@ma/protocol';
import { z } from 'zod';
import type { ChannelSpec, DriverContext, DriverDescriptor, DriverInstance } from '../drivers/driver.js';
import { durationSchema, labelSchema, notRunning, unknownChannel } from '../drivers/driver-support.js';
import { actuatorNameSchema, powerChannel, switchChannel, switchValue } from './actuator-support.js';
import { HttpDevice } from './http-device.js';

export const tasmotaConfigSchema = z
  .object({
    name: actuatorNameSchema,
    url: z.string().url('an http:// URL such as "http://192.168.1.51"'),
    /** Relay number on multi-relay devices (`Power2`); absent for the single relay (`Power`). */
    relay: z.number().int().min(1).max(32).optional(),
    username: z.string().min(1).default('admin'),
    /** The web password, when set on the device. */
    password: z.string().min(1).optional(),
    timeout: durationSchema.default('2s'),
    power_interval: durationSchema.default('5s'),
    /** Metering plug: read `Status 8` ENERGY.Power as `<name>/power`. */
    energy: z.boolean().default(true),
    label: labelSchema.optional(),
  })
  .strict();
export type TasmotaConfig = z.output<typeof tasmotaConfigSchema>;

class TasmotaDriver implements DriverInstance {
  #running = false;
  readonly #http: HttpDevice;

  constructor(private readonly config: TasmotaConfig) {
    this.#http = new HttpDevice({ baseUrl: config.url, timeoutMs: config.timeout, what: `tasmota ${config.name}` });
  }

  get #powerCmd(): string {
    return `Power${this.config.relay ?? ''}`;
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.#running = true;
    await Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.resolve();
  }

  channels(): ChannelSpec[] {
    const c = this.config;
    const out = [switchChannel('tasmota', c.name, c.label, c.power_interval)];
    if (c.energy) out.push(powerChannel('tasmota', c.name, c.label, c.power_interval));
    return out;
  }

  async #cmnd(command: string): Promise<Record<string, unknown>> {
    const q = new URLSearchParams({ cmnd: command });
    if (this.config.password) {
      q.set('user', this.config.username);
      q.set('password', this.config.password);
    }
    // Tasmota wants %20 for the space, not the "+" URLSearchParams writes.
    const reply = await this.#http.json(`/cm?${q.toString().replace(/\+/g, '%20')}`);
    if (reply === null || typeof reply !== 'object') throw new MaError(ErrorCode.DriverBadReading, `tasmota ${this.config.name}: ${command} answered ${JSON.stringify(reply)}`);
    const r = reply as Record<string, unknown>;
    if (r.WARNING === 'Need user=<username>&password=<password>') throw new MaError(ErrorCode.DriverReadFailed, `tasmota ${this.config.name}: the device needs its web password; set password`);
    return r;
  }

  #powerState(reply: Record<string, unknown>): 0 | 1 {
    // A single-relay device answers POWER; relay 1 of several may answer POWER1.
    const v = reply[this.#powerCmd.toUpperCase()] ?? (this.config.relay === 1 ? reply.POWER : undefined);
    if (v === 'ON') return 1;
    if (v === 'OFF') return 0;
    throw new MaError(ErrorCode.DriverBadReading, `tasmota ${this.config.name}: no ${this.#powerCmd.toUpperCase()} ON/OFF in ${JSON.stringify(reply).slice(0, 120)}`);
  }

  async read(key: string): Promise<number> {
    if (!this.#running) throw notRunning('tasmota');
    const c = this.config;
    if (key === c.name) return this.#powerState(await this.#cmnd(this.#powerCmd));
    if (c.energy && key === `${c.name}/power`) {
      const reply = await this.#cmnd('Status 8');
      const power = (reply.StatusSNS as { ENERGY?: { Power?: unknown } } | undefined)?.ENERGY?.Power;
      // Multi-channel meters report an array, one per channel.
      const value = Array.isArray(power) ? power[(c.relay ?? 1) - 1] : power;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new MaError(ErrorCode.DriverBadReading, `tasmota ${c.name}: Status 8 has no StatusSNS.ENERGY.Power; set energy: false for plugs without metering`);
      return value;
    }
    throw unknownChannel('tasmota', key, this.channels().map((ch) => ch.key));
  }

  async write(key: string, value: number): Promise<number> {
    if (!this.#running) throw notRunning('tasmota');
    if (key !== this.config.name) throw unknownChannel('tasmota', key, [this.config.name]);
    const v = switchValue('tasmota', key, value);
    return this.#powerState(await this.#cmnd(`${this.#powerCmd} ${v === 1 ? 'On' : 'Off'}`));
  }
}

export const tasmotaDriver: DriverDescriptor<typeof tasmotaConfigSchema> = {
  id: 'tasmota',
  description: 'Tasmota relay or plug over HTTP (cm?cmnd=Power, Status 8 energy as power channel)',
  configSchema: tasmotaConfigSchema,
  create: (config: TasmotaConfig, _ctx: DriverContext) => new TasmotaDriver(config),
};
