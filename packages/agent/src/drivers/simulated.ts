/**
 * Simulated cold-storage and room probes, for demos and tests without hardware. Keys are
 * `sim/<name>`, in °C, quantised to a DS18B20's 1/16 °C.
 *
 * The value is a pure function of the injected clock (ctx.now()), the seed and the door
 * events, so a run is reproducible and the curve is continuous across agent restarts:
 * - fridge 3–5 °C and freezer -22..-18 °C follow a compressor cycle (slow warming while
 *   the compressor is off, faster pull-down while it runs) of ~25–35 min and ~30–45 min,
 *   plus a small daily drift and gaussian noise;
 * - room is ~21 °C with a daily swing of ±1 °C;
 * - a door left open (openDoor(), or `door_open_at` in config) warms the probe towards
 *   room temperature with the model's time constant, and after it closes the temperature
 *   recovers towards the cycle with a slower one.
 */
import { ErrorCode, MaError } from '@ma/protocol';
import { z } from 'zod';
import type { ChannelSpec, DriverContext, DriverDescriptor, DriverInstance } from './driver.js';
import { checkRange, durationSchema, labelSchema, labelsSchema, notRunning, unknownChannel } from './driver-support.js';

export type SimulatedModelName = 'fridge' | 'freezer' | 'room';

interface Model {
  low: number;
  high: number;
  /** Nominal compressor cycle; 0 for no compressor. Each sensor gets ±15 % by seed. */
  cycleMs: number;
  /** Share of the cycle with the compressor running (pulling down). */
  coolingShare: number;
  dailySwing: number;
  noiseSd: number;
  /** Time constant of the warm-up towards room temperature while the door is open. */
  doorOpenTauMs: number;
  /** Time constant of the recovery after the door closes. */
  recoveryTauMs: number;
}

const MIN = 60_000;
const DAY = 86_400_000;
export const ROOM_TEMPERATURE = 21;
export const SIMULATED_RANGE = { min: -40, max: 60 } as const;

export const MODELS: Readonly<Record<SimulatedModelName, Model>> = {
  fridge: { low: 3, high: 5, cycleMs: 30 * MIN, coolingShare: 0.4, dailySwing: 0.15, noiseSd: 0.03, doorOpenTauMs: 20 * MIN, recoveryTauMs: 15 * MIN },
  freezer: { low: -22, high: -18, cycleMs: 38 * MIN, coolingShare: 0.45, dailySwing: 0.2, noiseSd: 0.05, doorOpenTauMs: 30 * MIN, recoveryTauMs: 25 * MIN },
  room: { low: ROOM_TEMPERATURE, high: ROOM_TEMPERATURE, cycleMs: 0, coolingShare: 0, dailySwing: 1, noiseSd: 0.04, doorOpenTauMs: 10 * MIN, recoveryTauMs: 10 * MIN },
};

const instantSchema = z.union([
  z.string().datetime({ offset: true, message: 'an ISO 8601 time such as "2025-06-01T14:00:00Z"' }).transform((s) => Date.parse(s)),
  z.number().int().positive(),
]);

export const simulatedSensorSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9_][a-z0-9_.-]{0,63}$/i, 'a name of letters, digits, "_", "." or "-", such as "fridge_1"'),
    model: z.enum(['fridge', 'freezer', 'room']),
    label: labelSchema.optional(),
    labels: labelsSchema.optional(),
    /** Opens the door once at this time (ISO 8601 or epoch ms), for scripted demos. */
    door_open_at: instantSchema.optional(),
    /** How long the scripted door opening lasts. */
    door_open_for: durationSchema.default('5m'),
  })
  .strict();

export const simulatedConfigSchema = z
  .object({
    interval: durationSchema.default('5s'),
    /** Seeds cycle lengths, phases and noise; the same seed and clock give the same readings. */
    seed: z.number().int().default(0),
    sensors: z
      .array(simulatedSensorSchema)
      .min(1)
      .default([
        { name: 'fridge', model: 'fridge', label: 'Simulated fridge' },
        { name: 'freezer', model: 'freezer', label: 'Simulated freezer' },
      ])
      .superRefine((sensors, ctx) => {
        const seen = new Set<string>();
        sensors.forEach((s, i) => {
          if (seen.has(s.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'name'], message: `each sensor name once ("${s.name}" is used twice)` });
          seen.add(s.name);
        });
      }),
  })
  .strict();

export type SimulatedConfig = z.output<typeof simulatedConfigSchema>;
type SensorConfig = SimulatedConfig['sensors'][number];

/** A 32-bit integer hash of its inputs (deterministic, well mixed). */
function hash32(parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    h = Math.imul(h, 0x297a2d39);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

function hashString(s: string): number {
  return hash32([...s].map((c) => c.codePointAt(0) ?? 0));
}

/** A uniform number in (0, 1) determined by `parts`. */
const uniform = (parts: readonly number[]): number => (hash32(parts) + 0.5) / 2 ** 32;

/** A standard normal number determined by `parts` (Box–Muller). */
function gaussian(parts: readonly number[]): number {
  const u1 = uniform([...parts, 1]);
  const u2 = uniform([...parts, 2]);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Concave rise from 0 to 1, like a temperature approaching a target. */
const approach = (x: number): number => (1 - Math.exp(-1.5 * x)) / (1 - Math.exp(-1.5));

interface DoorEvent {
  start: number;
  end: number;
}

class SimulatedSensor {
  readonly model: Model;
  private readonly nameHash: number;
  private readonly cycleMs: number;
  private readonly phaseMs: number;
  private readonly doors: DoorEvent[] = [];

  constructor(
    readonly config: SensorConfig,
    private readonly seed: number,
  ) {
    this.model = MODELS[config.model];
    this.nameHash = hashString(config.name);
    this.cycleMs = this.model.cycleMs * (0.85 + 0.3 * uniform([seed, this.nameHash, 101]));
    this.phaseMs = Math.floor(uniform([seed, this.nameHash, 102]) * Math.max(this.cycleMs, DAY));
    if (config.door_open_at !== undefined) this.openDoor(config.door_open_at, config.door_open_for);
  }

  openDoor(at: number, durationMs: number): void {
    // Keep openings sorted and merge overlapping ones: opening an open door extends it.
    const all = [...this.doors, { start: at, end: at + durationMs }].sort((a, b) => a.start - b.start);
    this.doors.length = 0;
    for (const d of all) {
      const last = this.doors[this.doors.length - 1];
      if (last && d.start <= last.end) last.end = Math.max(last.end, d.end);
      else this.doors.push({ ...d });
    }
  }

  closeDoor(at: number): void {
    for (const d of this.doors) if (d.start <= at && at < d.end) d.end = at;
  }

  doorOpen(at: number): boolean {
    return this.doors.some((d) => d.start <= at && at < d.end);
  }

  /** The model's temperature at `t` without door excursions or noise. */
  cycleValue(t: number): number {
    const m = this.model;
    let v = m.low;
    if (this.cycleMs > 0) {
      const x = (((t + this.phaseMs) % this.cycleMs) + this.cycleMs) % this.cycleMs / this.cycleMs;
      const warmShare = 1 - m.coolingShare;
      v = x < warmShare ? m.low + (m.high - m.low) * approach(x / warmShare) : m.high - (m.high - m.low) * approach((x - warmShare) / m.coolingShare);
    }
    // Daily swing, warmest mid-afternoon (UTC).
    return v + m.dailySwing * Math.sin((2 * Math.PI * (t - 9 * 3_600_000)) / DAY);
  }

  /** Extra warmth from door openings at `t`: first-order warm-up while open, decay after. */
  excursion(t: number): number {
    const m = this.model;
    const target = ROOM_TEMPERATURE - (m.low + m.high) / 2;
    let e = 0;
    let since = -Infinity;
    for (const d of this.doors) {
      if (d.start >= t) break;
      if (Number.isFinite(since)) e *= Math.exp(-(d.start - since) / m.recoveryTauMs);
      const openFor = Math.min(t, d.end) - d.start;
      e = target - (target - e) * Math.exp(-openFor / m.doorOpenTauMs);
      since = d.end;
    }
    if (Number.isFinite(since) && t > since) e *= Math.exp(-(t - since) / m.recoveryTauMs);
    return e;
  }

  valueAt(t: number): number {
    const lo = t % 2 ** 32;
    const hi = Math.floor(t / 2 ** 32);
    const noise = this.model.noiseSd * gaussian([this.seed, this.nameHash, hi, lo]);
    const v = this.cycleValue(t) + this.excursion(t) + noise;
    return Math.round(v * 16) / 16;
  }
}

export interface SimulatedDriverInstance extends DriverInstance {
  read(key: string): Promise<number>;
  /** Opens sensor `name`'s door now (ctx.now()) for `durationMs`; the probe warms, then recovers. */
  openDoor(name: string, durationMs: number): void;
  /** Closes a door opened with openDoor() before its time is up. */
  closeDoor(name: string): void;
  isDoorOpen(name: string): boolean;
}

export function isSimulatedInstance(instance: DriverInstance): instance is SimulatedDriverInstance {
  return 'openDoor' in instance && typeof instance.openDoor === 'function';
}

class SimulatedDriver implements SimulatedDriverInstance {
  private readonly sensors = new Map<string, SimulatedSensor>();
  private running = false;

  constructor(
    private readonly config: SimulatedConfig,
    private readonly ctx: DriverContext,
  ) {
    for (const s of config.sensors) this.sensors.set(s.name, new SimulatedSensor(s, config.seed));
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.running = true;
    this.ctx.log.debug({ seed: this.config.seed, sensors: [...this.sensors.keys()] }, 'simulated sensors started');
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  channels(): ChannelSpec[] {
    return [...this.sensors.values()].map(({ config: s }) => ({
      key: `sim/${s.name}`,
      kind: 'sensor',
      driver: 'simulated',
      quantity: 'temperature',
      unit: '°C',
      ...(s.label !== undefined ? { label: s.label } : {}),
      labels: { model: s.model, ...s.labels },
      intervalMs: this.config.interval,
      range: { ...SIMULATED_RANGE },
    }));
  }

  async read(key: string): Promise<number> {
    const sensor = key.startsWith('sim/') ? this.sensors.get(key.slice(4)) : undefined;
    if (!sensor) throw unknownChannel('simulated', key, this.channels().map((c) => c.key));
    if (!this.running) throw notRunning('simulated');
    return checkRange(sensor.valueAt(this.ctx.now()), SIMULATED_RANGE, key);
  }

  private sensor(name: string): SimulatedSensor {
    const s = this.sensors.get(name);
    if (!s) throw new MaError(ErrorCode.NotFound, `simulated: no sensor "${name}"; known sensors: ${[...this.sensors.keys()].join(', ')}`);
    return s;
  }

  openDoor(name: string, durationMs: number): void {
    if (!Number.isFinite(durationMs) || durationMs <= 0) {
      throw new MaError(ErrorCode.InputInvalid, `simulated: door opening must last a positive number of ms, got ${durationMs}`);
    }
    this.sensor(name).openDoor(this.ctx.now(), durationMs);
    this.ctx.log.info({ channel: `sim/${name}`, duration_ms: durationMs }, 'simulated door opened');
  }

  closeDoor(name: string): void {
    this.sensor(name).closeDoor(this.ctx.now());
  }

  isDoorOpen(name: string): boolean {
    return this.sensor(name).doorOpen(this.ctx.now());
  }
}

export const simulatedDriver = {
  id: 'simulated',
  description: 'Simulated fridge, freezer and room probes with compressor cycles and door openings',
  configSchema: simulatedConfigSchema,
  create: (config: SimulatedConfig, ctx: DriverContext): SimulatedDriverInstance => new SimulatedDriver(config, ctx),
} satisfies DriverDescriptor<typeof simulatedConfigSchema>;
