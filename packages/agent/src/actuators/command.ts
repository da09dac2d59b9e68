/**
 * An actuator driven by programs the operator configures: `on` and `off` switch it, and
 * `status` (optional) reads it back by printing on/off (or 1/0, true/false). Without a
 * status program the applied state is what the last successful on/off reported by its
 * exit code: say so in the docs, since such an actuator cannot detect a mismatch.
 */
import { ErrorCode, MaError } from '@ma/protocol';
import { z } from 'zod';
import type { ChannelSpec, DriverContext, DriverDescriptor, DriverInstance } from '../drivers/driver.js';
import { durationSchema, labelSchema, notRunning, unknownChannel } from '../drivers/driver-support.js';
import { actuatorNameSchema, switchChannel, switchValue } from './actuator-support.js';
import { runProgram } from './run-program.js';

const argvSchema = z.array(z.string().min(1)).min(1, 'a program and its arguments, e.g. ["/usr/local/bin/relay", "on"]');

export const commandActuatorConfigSchema = z
  .object({
    name: actuatorNameSchema,
    on: argvSchema,
    off: argvSchema,
    /** Prints `on`/`off` (or `1`/`0`, `true`/`false`) on stdout. */
    status: argvSchema.optional(),
    timeout: durationSchema.default('5s'),
    status_interval: durationSchema.default('10s'),
    label: labelSchema.optional(),
  })
  .strict();
export type CommandActuatorConfig = z.output<typeof commandActuatorConfigSchema>;

export function parseSwitchOutput(text: string): 0 | 1 | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'on' || t === '1' || t === 'true') return 1;
  if (t === 'off' || t === '0' || t === 'false') return 0;
  return undefined;
}

class CommandActuator implements DriverInstance {
  #running = false;
  #last: 0 | 1 | undefined;

  constructor(private readonly config: CommandActuatorConfig) {}

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
    return [switchChannel('command', this.config.name, this.config.label, this.config.status_interval)];
  }

  async #run(argv: readonly string[], what: string): Promise<string> {
    const r = await runProgram(argv, this.config.timeout, `command ${this.config.name} ${what}`);
    if (r.code !== 0) throw new MaError(ErrorCode.DriverReadFailed, `command ${this.config.name}: ${what} program exited with ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 200)}`);
    return r.stdout;
  }

  async read(key: string): Promise<number> {
    if (!this.#running) throw notRunning('command');
    if (key !== this.config.name) throw unknownChannel('command', key, [this.config.name]);
    if (!this.config.status) {
      if (this.#last === undefined) throw new MaError(ErrorCode.DriverReadFailed, `command ${this.config.name}: no status program and not switched yet, so its state is unknown`);
      return this.#last;
    }
    const out = await this.#run(this.config.status, 'status');
    const v = parseSwitchOutput(out);
    if (v === undefined) throw new MaError(ErrorCode.DriverBadReading, `command ${this.config.name}: status printed ${JSON.stringify(out.trim().slice(0, 60))}, expected on or off`);
    return v;
  }

  async write(key: string, value: number): Promise<number> {
    if (!this.#running) throw notRunning('command');
    if (key !== this.config.name) throw unknownChannel('command', key, [this.config.name]);
    const v = switchValue('command', key, value);
    await this.#run(v === 1 ? this.config.on : this.config.off, v === 1 ? 'on' : 'off');
    this.#last = v;
    return this.config.status ? this.read(key) : v;
  }
}

export const commandActuatorDriver: DriverDescriptor<typeof commandActuatorConfigSchema> = {
  id: 'command',
  description: 'an actuator switched by configured programs (on, off, optional status)',
  configSchema: commandActuatorConfigSchema,
  create: (config: CommandActuatorConfig, _ctx: DriverContext) => new CommandActuator(config),
};
