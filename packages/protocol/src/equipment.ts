import { z } from 'zod';

/**
 * Equipment on the wire, version 1: commands to a node (`ma/v1/<n>/cmd`), their results
 * (`cmd/result`) and the retained applied state of each actuator (`state/<actuator>`).
 * Events (scans, decisions, faults) live in `equipment-events.ts`; the signed allow-list in
 * `allow-list.ts`.
 */

/** An actuator key: one topic level (it names `state/<actuator>`), e.g. `laser_plug`. */
export const ACTUATOR_KEY_PATTERN = /^[a-z0-9_][a-z0-9_-]{0,63}$/;
export const actuatorKey = z.string().regex(ACTUATOR_KEY_PATTERN, 'an actuator key like "laser_plug" (lowercase letters, digits, _ and -)');

/** Equipment and reader names share the actuator key form. */
export const equipmentKey = z.string().regex(ACTUATOR_KEY_PATTERN, 'an equipment name like "laser_cutter"');
export const readerKey = z.string().regex(ACTUATOR_KEY_PATTERN, 'a reader name like "laser_reader"');

export const switchValueSchema = z.enum(['on', 'off']);
export type SwitchValue = z.infer<typeof switchValueSchema>;

/**
 * What an actuator is known to be. `unknown` before the first read back; `unreachable` when
 * the device stopped answering: never reported as `off`, since nobody knows it is off.
 */
export const actuatorStateValueSchema = z.enum(['on', 'off', 'unknown', 'unreachable']);
export type ActuatorStateValue = z.infer<typeof actuatorStateValueSchema>;

const ts = z.number().int().positive();
const commandId = z.string().min(1).max(64);
/** Who asked: a user name, `server` for decisions and `node` for the node's own safety actions. */
const actor = z.string().min(1).max(128);
const why = z.string().min(1).max(512);

/** Lock-out modes. `safety`: applied at once. `maintenance`: applied at the next idle (power below threshold). */
export const lockoutModeSchema = z.enum(['safety', 'maintenance']);
export type LockoutMode = z.infer<typeof lockoutModeSchema>;

/** Session models the node runs after an allowed tap. */
export const sessionModelSchema = z.discriminatedUnion('model', [
  /** Each allowed tap toggles the equipment on or off. */
  z.object({ model: z.literal('toggle') }),
  /** On while the card stays in the field (the reader repeats it); off `grace` ms after the last repeat. */
  z.object({ model: z.literal('while_present'), grace_ms: z.number().int().positive().max(60_000).default(1500) }),
  /**
   * On for `minutes`, extended by use (power at or above `idle_below_w`); ends when power stays
   * below `idle_below_w` for `idle_minutes`, after a `coast_down_s` warning before power is cut.
   */
  z.object({
    model: z.literal('timed'),
    minutes: z.number().positive().max(24 * 60),
    idle_below_w: z.number().nonnegative().optional(),
    idle_minutes: z.number().positive().max(24 * 60).optional(),
    coast_down_s: z.number().nonnegative().max(3600).default(0),
  }),
]);
export type SessionModel = z.infer<typeof sessionModelSchema>;

const envelope = {
  v: z.literal(1),
  id: commandId,
  /** When the server issued it (its clock). */
  issued_at: ts,
  /** Never executed at or after this instant (node clock); answered `expired` instead. */
  expires_at: ts,
};

export const actuateCommandSchema = z.object({
  ...envelope,
  kind: z.literal('actuate'),
  actuator: actuatorKey,
  value: switchValueSchema,
  by: actor,
  reason: why,
});

/** The server's answer to a scan (`events` → `rfid_scan`), within the node's decision deadline. */
export const accessDecisionCommandSchema = z.object({
  ...envelope,
  kind: z.literal('access_decision'),
  scan_id: z.string().min(1).max(64),
  equipment: equipmentKey,
  allow: z.boolean(),
  /** Short reason code, e.g. `trained`, `not_trained`, `training_expired`, `outside_schedule`, `locked_out`, `unknown_card`, `revoked`. */
  reason: z.string().min(1).max(64),
  /** Display name of the card's holder, for the node's log and the decision event. */
  person: z.string().max(128).optional(),
  /** The session to run; the node's configured model when absent. */
  session: sessionModelSchema.optional(),
});

export const lockoutSetCommandSchema = z.object({
  ...envelope,
  kind: z.literal('lockout_set'),
  actuator: actuatorKey,
  mode: lockoutModeSchema,
  by: actor,
  reason: why,
});

export const lockoutClearCommandSchema = z.object({
  ...envelope,
  kind: z.literal('lockout_clear'),
  actuator: actuatorKey,
  by: actor,
  reason: why,
});

/** Ask the node to read back and republish an actuator's state (no change). */
export const refreshStateCommandSchema = z.object({
  ...envelope,
  kind: z.literal('refresh_state'),
  actuator: actuatorKey.optional(),
});

export const commandSchema = z.discriminatedUnion('kind', [
  actuateCommandSchema,
  accessDecisionCommandSchema,
  lockoutSetCommandSchema,
  lockoutClearCommandSchema,
  refreshStateCommandSchema,
]);
export type Command = z.infer<typeof commandSchema>;
export type CommandKind = Command['kind'];
export type ActuateCommand = z.infer<typeof actuateCommandSchema>;
export type AccessDecisionCommand = z.infer<typeof accessDecisionCommandSchema>;
export type LockoutSetCommand = z.infer<typeof lockoutSetCommandSchema>;
export type LockoutClearCommand = z.infer<typeof lockoutClearCommandSchema>;

/**
 * The part every command has, read first: a node that does not know a `kind` (newer server)
 * can still answer `refused` / `unknown_kind` for that id instead of dropping it silently.
 */
export const commandEnvelopeSchema = z.object({ ...envelope, kind: z.string().min(1).max(64) }).passthrough();
export type CommandEnvelope = z.infer<typeof commandEnvelopeSchema>;

export const commandOutcomeSchema = z.enum(['applied', 'refused', 'expired', 'failed']);
export type CommandOutcome = z.infer<typeof commandOutcomeSchema>;

/**
 * Reason codes in `cmd/result.code`. `interlock` and `lockout` carry the rule in `message`
 * and `rule`, so the API can answer 409 with which rule and why.
 */
export const commandReasonCodeSchema = z.enum([
  'ok',
  'expired',
  'bad_command',
  'unknown_kind',
  'unknown_actuator',
  'unknown_equipment',
  'interlock',
  'lockout',
  'not_locked_out',
  'late_decision',
  'driver_error',
  'readback_mismatch',
  'unreachable',
]);
export type CommandReasonCode = z.infer<typeof commandReasonCodeSchema>;

export const commandResultSchema = z.object({
  v: z.literal(1),
  /** The command's id; `unknown` when the command was too malformed to read one. */
  id: commandId,
  kind: z.string().max(64).optional(),
  outcome: commandOutcomeSchema,
  code: commandReasonCodeSchema,
  message: z.string().max(512).optional(),
  /** For interlock refusals: the rule's text as configured, e.g. `enclosure_door == 0`. */
  rule: z.string().max(256).optional(),
  actuator: actuatorKey.optional(),
  /** The state read back after the command (or the current state when refused). */
  state: actuatorStateValueSchema.optional(),
  ts,
});
export type CommandResult = z.infer<typeof commandResultSchema>;

export const lockoutSchema = z.object({
  mode: lockoutModeSchema,
  by: actor,
  reason: why,
  set_at: ts,
  /** Maintenance lock-out waiting for the next idle: set, but the actuator is still on. */
  pending: z.boolean(),
});
export type Lockout = z.infer<typeof lockoutSchema>;

/** Retained on `ma/v1/<n>/state/<actuator>`: what the node knows of one actuator. */
export const actuatorStateSchema = z.object({
  v: z.literal(1),
  actuator: actuatorKey,
  state: actuatorStateValueSchema,
  /** What was last commanded (by anyone, the node's safety logic included); null before any. */
  commanded: switchValueSchema.nullable(),
  /** What the device reported when last read; null when it could not be read. */
  read_back: switchValueSchema.nullable(),
  /** When `state` last changed. */
  since: ts,
  ts,
  /** Power draw in W when the driver meters it (Shelly `apower`, Tasmota `ENERGY.Power`). */
  power_w: z.number().finite().optional(),
  lockout: lockoutSchema.nullable(),
  /** A current fault (`readback_mismatch`, `unreachable`, `write_failed`), cleared when it recovers. */
  fault: z.object({ code: z.string().max(64), message: z.string().max(512), since: ts }).nullable(),
  /** Who or what caused the last change, and why. */
  by: actor.optional(),
  reason: z.string().max(512).optional(),
  /** Equipment this actuator belongs to on the node, when configured. */
  equipment: equipmentKey.optional(),
});
export type ActuatorState = z.infer<typeof actuatorStateSchema>;
