/** The `actuators:` section of agent.yaml: safety settings per actuator channel. */
import { ACTUATOR_KEY_PATTERN } from '@ma/protocol';
import { z } from 'zod';
import { durationSchema } from '../drivers/driver-support.js';
import { parseInterlock, type Expr } from './interlock-expression.js';

const interlockSchema = z.string().transform((src, ctx): { src: string; expr: Expr } => {
  try {
    return { src, expr: parseInterlock(src) };
  } catch (err) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `a rule such as "enclosure_door == 0" or "coolant_temp < 30" (${(err as Error).message})` });
    return z.NEVER;
  }
});

export const actuatorSettingsSchema = z
  .object({
    /** `switch` (a relay or plug) or `indicator` (an LED or buzzer the access hooks pulse). */
    kind: z.enum(['switch', 'indicator']).default('switch'),
    /** Applied at agent start, at shutdown and after losing the server (`keep`: leave as is). */
    safe_state: z.enum(['off', 'on', 'keep']).default('off'),
    /** After this long without the server the safe state is applied; `never` (default) keeps running. */
    on_server_loss: z.union([z.literal('never'), durationSchema]).default('never'),
    /** Switched off after being on this long, whoever turned it on. */
    max_on: durationSchema.optional(),
    /** Rules that must all hold to turn on; checked before every on and on every new value while on. */
    interlocks: z.array(interlockSchema).max(16).default([]),
    /** A channel value older than this counts as missing for interlocks (fails them). */
    interlock_max_age: durationSchema.default('30s'),
    /** The power channel for idle detection; default `<name>/power` when the driver has one. */
    power_channel: z.string().min(1).optional(),
    /** Below this draw (W) the equipment is idle: maintenance lock-outs apply then. */
    idle_below_w: z.number().nonnegative().default(5),
    /** How often the applied state is read back from the device. */
    readback_interval: durationSchema.default('5s'),
    label: z.string().max(128).optional(),
  })
  .strict();
export type ActuatorSettings = z.output<typeof actuatorSettingsSchema>;

export const actuatorsConfigSchema = z
  .record(z.string().regex(ACTUATOR_KEY_PATTERN, 'an actuator name (the name: of its driver entry)'), actuatorSettingsSchema)
  .default({});
