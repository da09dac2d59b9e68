/**
 * Linux GPIO lines through the libgpiod command-line tools (Debian package `gpiod`), for
 * relays, LEDs and buzzers (output) and door or limit switches (input).
 *
 * The kernel releases a line when the process holding it exits, so an output is held by a
 * long-running `gpioset`: v1 (Bookworm) `gpioset --mode=signal <chip> <line>=<v>` until
 * signalled, v2 (Trixie) `gpioset -c <chip> <line>=<v>` until killed. The version is detected
 * once from `gpioset --version`. Active-low lines use the tools' own `-l` flag, so values here
 * are always logical (1 = on). While held, a line cannot be read with `gpioget` (busy), so an
 * output's applied state is confirmed by its holder still running with that value; a holder
 * that died is a fault, never a silent "off".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ErrorCode, MaError } from '@ma/protocol';
import { z } from 'zod';
import type { ChannelSpec, DriverContext, DriverDescriptor, DriverInstance } from '../drivers/driver.js';
import { durationSchema, labelSchema, notRunning, unknownChannel } from '../drivers/driver-support.js';
import { actuatorNameSchema, switchChannel, switchValue } from './actuator-support.js';
import { runProgram } from './run-program.js';

export const gpioConfigSchema = z
  .object({
    name: actuatorNameSchema,
    chip: z.string().min(1).default('gpiochip0'),
    /** Line offset (17) or, with libgpiod v2, a line name (`GPIO17`). */
    line: z.union([z.number().int().min(0).max(1023), z.string().regex(/^[A-Za-z0-9_-]+$/, 'a line offset or name like "GPIO17"')]),
    direction: z.enum(['output', 'input']).default('output'),
    /** Relay boards are often active-low: on = line driven low. */
    active_low: z.boolean().default(false),
    /** Paths of the tools, when not on PATH. */
    gpioset: z.string().min(1).default('gpioset'),
    gpioget: z.string().min(1).default('gpioget'),
    /** How long a fresh holder must stay up before a write counts as applied (it exits at once on errors). */
    settle: durationSchema.default('25ms'),
    /** Sampling interval of an input. */
    interval: durationSchema.default('1s'),
    label: labelSchema.optional(),
  })
  .strict();
export type GpioConfig = z.output<typeof gpioConfigSchema>;

export type GpiodVersion = 1 | 2;

/** The major version from `gpioset --version` (`gpioset (libgpiod) v1.6.3`, `... v2.1`). */
export function parseGpiodVersion(text: string): GpiodVersion | undefined {
  const m = /libgpiod\)?\s+v?(\d+)\./.exec(text);
  if (m?.[1] === '1') return 1;
  if (m?.[1] === '2') return 2;
  return undefined;
}

/** The argv of the process that holds an output at `value`. */
export function gpiosetArgs(version: GpiodVersion, c: Pick<GpioConfig, 'chip' | 'line' | 'active_low'>, value: 0 | 1): string[] {
  const lowFlag = c.active_low ? ['-l'] : [];
  if (version === 1) return ['--mode=signal', ...lowFlag, c.chip, `${c.line}=${value}`];
  return ['-c', c.chip, ...lowFlag, `${c.line}=${value}`];
}

export function gpiogetArgs(version: GpiodVersion, c: Pick<GpioConfig, 'chip' | 'line' | 'active_low'>): string[] {
  const lowFlag = c.active_low ? ['-l'] : [];
  if (version === 1) return [...lowFlag, c.chip, String(c.line)];
  return ['--numeric', '-c', c.chip, ...lowFlag, String(c.line)];
}

/** `1`/`0` (v1, v2 --numeric) or `"17"=active` / `"GPIO17"=inactive` (v2 default). */
export function parseGpiogetOutput(text: string): 0 | 1 | undefined {
  const t = text.trim();
  if (t === '1' || /=active$/.test(t)) return 1;
  if (t === '0' || /=inactive$/.test(t)) return 0;
  return undefined;
}

interface Holder {
  child: ChildProcess;
  value: 0 | 1;
  exited: { code: number | null; signal: NodeJS.Signals | null; stderr: string } | undefined;
  done: Promise<void>;
}

class GpioDriver implements DriverInstance {
  #running = false;
  #version: GpiodVersion | undefined;
  #holder: Holder | undefined;
  /** Writes are serialised: one holder at a time. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: GpioConfig,
    private readonly ctx: DriverContext,
  ) {}

  get #what(): string {
    return `gpio ${this.config.name} (${this.config.chip} line ${this.config.line})`;
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const tool = this.config.direction === 'output' ? this.config.gpioset : this.config.gpioget;
    const r = await runProgram([tool, '--version'], 5000, this.#what);
    signal.throwIfAborted();
    const version = parseGpiodVersion(r.stdout + r.stderr);
    if (!version) throw new MaError(ErrorCode.DriverDeviceMissing, `${this.#what}: cannot tell the libgpiod version from "${tool} --version" (${(r.stdout || r.stderr).trim().slice(0, 80)}); install Debian's gpiod package`);
    this.#version = version;
    this.#running = true;
    this.ctx.log.info({ version, chip: this.config.chip, line: this.config.line }, 'libgpiod tools found');
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#chain.catch(() => undefined);
    await this.#release();
  }

  channels(): ChannelSpec[] {
    const c = this.config;
    if (c.direction === 'output') return [switchChannel('gpio', c.name, c.label, c.interval)];
    return [{ key: c.name, kind: 'sensor', driver: 'gpio', quantity: 'contact', unit: '', intervalMs: c.interval, range: { min: 0, max: 1 }, ...(c.label ? { label: c.label } : {}) }];
  }

  async #release(): Promise<void> {
    const h = this.#holder;
    this.#holder = undefined;
    if (!h) return;
    if (!h.exited) {
      // v1 --mode=signal exits cleanly on SIGTERM/SIGINT; v2 is simply terminated.
      h.child.kill('SIGTERM');
      const killer = setTimeout(() => h.child.kill('SIGKILL'), 2000);
      await h.done;
      clearTimeout(killer);
    }
  }

  async #hold(value: 0 | 1): Promise<0 | 1> {
    if (this.#holder && !this.#holder.exited && this.#holder.value === value) return value;
    await this.#release();
    const child = spawn(this.config.gpioset, gpiosetArgs(this.#version!, this.config, value), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2048)));
    const holder: Holder = { child, value, exited: undefined, done: Promise.resolve() };
    holder.done = new Promise<void>((resolve) => {
      child.on('error', (err) => {
        holder.exited ??= { code: null, signal: null, stderr: (err as NodeJS.ErrnoException).code ?? err.message };
        resolve();
      });
      child.on('exit', (code, signal) => {
        holder.exited ??= { code, signal, stderr };
        resolve();
      });
    });
    this.#holder = holder;
    // A request the kernel refuses (busy line, bad offset) makes gpioset exit at once.
    await Promise.race([holder.done, new Promise((r) => setTimeout(r, this.config.settle))]);
    if (holder.exited) {
      this.#holder = undefined;
      throw new MaError(ErrorCode.DriverReadFailed, `${this.#what}: gpioset exited with ${holder.exited.code ?? holder.exited.signal}: ${(holder.exited.stderr || stderr).trim().slice(0, 200)}`);
    }
    return value;
  }

  async read(key: string): Promise<number> {
    if (!this.#running) throw notRunning('gpio');
    if (key !== this.config.name) throw unknownChannel('gpio', key, [this.config.name]);
    if (this.config.direction === 'output') {
      const h = this.#holder;
      if (!h) throw new MaError(ErrorCode.DriverReadFailed, `${this.#what}: not driven yet, so its state is unknown`);
      if (h.exited) throw new MaError(ErrorCode.DriverReadFailed, `${this.#what}: the gpioset holding the line exited (${h.exited.code ?? h.exited.signal}); the line is released`);
      return h.value;
    }
    const r = await runProgram([this.config.gpioget, ...gpiogetArgs(this.#version!, this.config)], 5000, this.#what);
    if (r.code !== 0) throw new MaError(ErrorCode.DriverReadFailed, `${this.#what}: gpioget exited with ${r.code}: ${r.stderr.trim().slice(0, 200)}`);
    const v = parseGpiogetOutput(r.stdout);
    if (v === undefined) throw new MaError(ErrorCode.DriverBadReading, `${this.#what}: gpioget printed ${JSON.stringify(r.stdout.trim().slice(0, 60))}`);
    return v;
  }

  write(key: string, value: number): Promise<number> {
    if (!this.#running) return Promise.reject(notRunning('gpio'));
    if (key !== this.config.name) return Promise.reject(unknownChannel('gpio', key, [this.config.name]));
    if (this.config.direction !== 'output') return Promise.reject(new MaError(ErrorCode.InputInvalid, `${this.#what} is an input`));
    const v = switchValue('gpio', key, value);
    const p = this.#chain.then(() => this.#hold(v));
    this.#chain = p.catch(() => undefined);
    return p;
  }
}

export const gpioDriver: DriverDescriptor<typeof gpioConfigSchema> = {
  id: 'gpio',
  description: 'a Linux GPIO line through the libgpiod tools (v1 or v2): relay, LED or buzzer output, or a contact input',
  configSchema: gpioConfigSchema,
  create: (config: GpioConfig, ctx: DriverContext) => new GpioDriver(config, ctx),
};
