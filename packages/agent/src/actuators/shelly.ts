/**
 * Shelly Gen2+ (Plus/Pro) relays and plugs over their HTTP RPC: `Switch.Set` to switch,
 * `Switch.GetStatus` to read the output back and `apower` as a power channel (W), which
 * tool sessions use for idle detection. Optional digest auth (user `admin`).
 */
import { ErrorCode, MaError } from '@ma/protocol';
import { z } from 'zod';
import type { ChannelSpec, DriverContext, DriverDescriptor, DriverInstance } from '../drivers/driver.js';
import { durationSchema, labelSchema, notRunning, unknownChannel } from '../drivers/driver-support.js';
import { actuatorNameSchema, powerChannel, switchChannel, switchValue } from './actuator-support.js';
import { HttpDevice } from './http-device.js';

export const shellyConfigSchema = z
  .object({
    name: actuatorNameSchema,
    /** The device's base URL, e.g. `http://192.168.1.50`. */
    url: z.string().url('an http:// URL such as "http://192.168.1.50"'),
    /** Which switch of a multi-channel device (Pro 4PM: 0..3). */
    switch_id: z.number().int().min(0).max(15).default(0),
    /** Set when the device has authentication enabled (the user is always `admin`). */
    password: z.string().min(1).optional(),
    /** `get`: `GET /rpc/Switch.Set?...`; `post`: JSON-RPC `POST /rpc`. */
    transport: z.enum(['get', 'post']).default('get'),
    timeout: durationSchema.default('2s'),
    /** How often the power draw is read. */
    power_interval: durationSchema.default('5s'),
    /** False for relays without metering (Plus 1): no power channel. */
    power: z.boolean().default(true),
    label: labelSchema.optional(),
  })
  .strict();
export type ShellyConfig = z.output<typeof shellyConfigSchema>;

const switchStatusSchema = z.object({ output: z.boolean(), apower: z.number().finite().optional() }).passthrough();

class ShellyDriver implements DriverInstance {
  #running = false;
  readonly #http: HttpDevice;
  #rpcId = 0;

  constructor(private readonly config: ShellyConfig) {
    this.#http = new HttpDevice({ baseUrl: config.url, timeoutMs: config.timeout, username: 'admin', ...(config.password ? { password: config.password } : {}), what: `shelly ${config.name}` });
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
    const out = [switchChannel('shelly', c.name, c.label, c.power_interval)];
    if (c.power) out.push(powerChannel('shelly', c.name, c.label, c.power_interval));
    return out;
  }

  async #rpc(method: string, params: Record<string, string | number | boolean>): Promise<unknown> {
    let reply: unknown;
    if (this.config.transport === 'post') {
      reply = await this.#http.json('/rpc', { method: 'POST', json: { id: ++this.#rpcId, method, params } });
      const r = reply as { result?: unknown; error?: { message?: string } };
      if (r.error) throw new MaError(ErrorCode.DriverReadFailed, `shelly ${this.config.name}: ${method} failed: ${r.error.message ?? 'error'}`);
      return r.result;
    }
    const q = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
    return this.#http.json(`/rpc/${method}?${q.toString()}`);
  }

  async #status(): Promise<z.infer<typeof switchStatusSchema>> {
    const parsed = switchStatusSchema.safeParse(await this.#rpc('Switch.GetStatus', { id: this.config.switch_id }));
    if (!parsed.success) throw new MaError(ErrorCode.DriverBadReading, `shelly ${this.config.name}: Switch.GetStatus has no boolean "output"`);
    return parsed.data;
  }

  async read(key: string): Promise<number> {
    if (!this.#running) throw notRunning('shelly');
    const c = this.config;
    if (key === c.name) return (await this.#status()).output ? 1 : 0;
    if (c.power && key === `${c.name}/power`) {
      const s = await this.#status();
      if (s.apower === undefined) throw new MaError(ErrorCode.DriverBadReading, `shelly ${c.name}: this device reports no apower; set power: false`);
      return s.apower;
    }
    throw unknownChannel('shelly', key, this.channels().map((ch) => ch.key));
  }

  async write(key: string, value: number): Promise<number> {
    if (!this.#running) throw notRunning('shelly');
    if (key !== this.config.name) throw unknownChannel('shelly', key, [this.config.name]);
    const on = switchValue('shelly', key, value) === 1;
    await this.#rpc('Switch.Set', { id: this.config.switch_id, on });
    // The applied state is what the device reports afterwards, not what was asked.
    return (await this.#status()).output ? 1 : 0;
  }
}

export const shellyDriver: DriverDescriptor<typeof shellyConfigSchema> = {
  id: 'shelly',
  description: 'Shelly Gen2+ relay or plug over HTTP RPC (Switch.Set / Switch.GetStatus, apower as power channel)',
  configSchema: shellyConfigSchema,
  create: (config: ShellyConfig, _ctx: DriverContext) => new ShellyDriver(config),
};
