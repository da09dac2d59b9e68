/** The `equipment:` and `access:` sections of agent.yaml. */
import { ACTUATOR_KEY_PATTERN, sessionModelSchema } from '@ma/protocol';
import { z } from 'zod';
import { durationSchema } from '../drivers/driver-support.js';

const key = z.string().regex(ACTUATOR_KEY_PATTERN, 'a name like "laser_plug"');
const pulseSchema = z.object({ actuator: key, for: durationSchema.default('500ms') }).strict();

export const equipmentSettingsSchema = z
  .object({
    /** Actuators switched together for a session (the machine's plug, its extraction fan). */
    actuators: z.array(key).min(1),
    /** The card reader at this equipment. */
    reader: key.optional(),
    /** The session model used when neither the server's decision nor the allow-list names one. */
    session: sessionModelSchema.default({ model: 'toggle' }),
    /** When the allow-list itself has expired: deny everyone (true) or keep honouring unexpired entries. The list can override it. */
    fail_secure: z.boolean().default(true),
    /** How long a scan waits for the server's decision before the allow-list decides. */
    decision_deadline: durationSchema.default('300ms'),
    /** Power channel for timed sessions' idle detection; default the first actuator's `<name>/power`. */
    power_channel: z.string().min(1).optional(),
    /** LED/buzzer hooks: actuators pulsed on each decision and before a session's power is cut. */
    indicators: z.object({ allow: pulseSchema.optional(), deny: pulseSchema.optional(), coast_down: pulseSchema.optional() }).strict().default({}),
  })
  .strict();
export type EquipmentSettings = z.output<typeof equipmentSettingsSchema>;

export const equipmentConfigSchema = z.record(key, equipmentSettingsSchema).default({});

export const accessConfigSchema = z
  .object({
    /** PEM file with the server's Ed25519 allow-list public key (pinned; relative to this config file). */
    allow_list_key_file: z.string().min(1).optional(),
    /** Or the PEM text itself. */
    allow_list_key: z.string().includes('BEGIN PUBLIC KEY', { message: 'a PEM public key' }).optional(),
  })
  .strict()
  .default({});
