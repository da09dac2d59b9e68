/** The `readers:` section of agent.yaml: one entry per card reader. */
import { ACTUATOR_KEY_PATTERN } from '@ma/protocol';
import { z } from 'zod';
import { durationSchema } from '../../drivers/driver-support.js';

const argv = z.array(z.string().min(1)).min(1);
const common = {
  /** Reads of the same card within this window are one tap (readers repeat while a card is held). */
  debounce: durationSchema.default('1s'),
  /** The equipment this reader unlocks (set in `equipment:`); informational here. */
  label: z.string().max(128).optional(),
};

export const readerConfigSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('serial'),
      /** e.g. `/dev/ttyUSB0`, `/dev/serial0` (Pi UART), `/dev/serial/by-id/...`. */
      path: z.string().min(1),
      baud: z.number().int().positive().default(9600),
      /** Accepted framings: RDM6300 and ID-12LA (with CR LF) are both recognised. */
      framing: z.enum(['rdm6300', 'id12']).default('rdm6300'),
      /** Wait before reopening a port that closed or failed. */
      reopen_after: durationSchema.default('2s'),
      ...common,
    })
    .strict(),
  z
    .object({
      type: z.literal('evdev'),
      /** `/dev/input/by-id/...-event-kbd`; or `command`: a helper that holds the exclusive grab and writes the raw events to stdout. */
      path: z.string().min(1).optional(),
      command: argv.optional(),
      /** input_event size: `auto` from the CPU architecture (16 on 32-bit ARM, 24 on 64-bit). */
      event_size: z.union([z.literal('auto'), z.literal(16), z.literal(24)]).default('auto'),
      reopen_after: durationSchema.default('2s'),
      ...common,
    })
    .strict(),
  z
    .object({
      type: z.literal('line'),
      /** One card id per line from this program's stdout; without it, from the agent's stdin. */
      command: argv.optional(),
      reopen_after: durationSchema.default('2s'),
      ...common,
    })
    .strict(),
]);
export type ReaderConfig = z.output<typeof readerConfigSchema>;

export const readersConfigSchema = z
  .record(z.string().regex(ACTUATOR_KEY_PATTERN, 'a reader name like "laser_reader"'), readerConfigSchema)
  .superRefine((readers, ctx) => {
    for (const [name, r] of Object.entries(readers)) {
      if (r.type === 'evdev' && (r.path === undefined) === (r.command === undefined)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: 'exactly one of path (the event device) or command (a grab helper)' });
      }
    }
  })
  .default({});
