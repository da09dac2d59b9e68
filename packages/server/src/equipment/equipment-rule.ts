import { durationSchema, sessionModelSchema } from '@ma/protocol';
import { z } from 'zod';

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time of day "HH:MM" (00:00 to 24:00)');
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** One opening window: on these days, from..to local time, for these groups (all when empty). */
export const scheduleWindowSchema = z
  .object({
    days: z.array(z.enum(WEEKDAYS)).min(1).default([...WEEKDAYS]),
    from: time,
    to: time,
    groups: z.array(z.string().min(1)).default([]),
  })
  .strict();

/**
 * An equipment's rule. `access` says who may use it: people in `groups`, named `people`, or
 * people linked to the MA `users`; nobody listed means every card holder. With `trained`
 * (the default) they also need a valid training on it; trainers are trained by definition.
 * `schedule` limits use to its windows (trainers and maintainers are exempt); a person to whom
 * no window applies is outside the schedule. `fail_secure`: when the node's allow-list has
 * expired, refuse everyone (true) or fall back to the last list (false). `entry_ttl` bounds how
 * long a node may honour an allow-list entry without hearing from the server.
 */
export const equipmentRuleSchema = z
  .object({
    access: z
      .object({
        groups: z.array(z.string().min(1)).default([]),
        people: z.array(z.string().min(1)).default([]),
        users: z.array(z.string().min(1)).default([]),
        trained: z.boolean().default(true),
      })
      .strict()
      .default({}),
    schedule: z
      .object({
        /** IANA time zone; the server's own when absent. */
        timezone: z.string().refine(isTimeZone, 'an IANA time zone such as "Europe/London"').optional(),
        windows: z.array(scheduleWindowSchema).min(1),
      })
      .strict()
      .optional(),
    /** The protocol's session model, sent to the node with each decision and in its allow-list. */
    session: sessionModelSchema.default({ model: 'toggle' }),
    fail_secure: z.boolean().default(true),
    entry_ttl: durationSchema('24h'),
  })
  .strict();

export type EquipmentRule = z.output<typeof equipmentRuleSchema>;
export type EquipmentRuleInput = z.input<typeof equipmentRuleSchema>;
export type ScheduleWindow = z.output<typeof scheduleWindowSchema>;

/** The weekday and minute of day of `at` in `timeZone` (the process's zone when undefined). */
export function localTime(at: number, timeZone: string | undefined): { day: Weekday; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as Weekday;
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Is `window` open at this local time? A window whose `to` is before `from` runs past midnight. */
export function windowOpen(window: ScheduleWindow, t: { day: Weekday; minute: number }): boolean {
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  if (from <= to) return window.days.includes(t.day) && t.minute >= from && t.minute < to;
  const prev = WEEKDAYS[(WEEKDAYS.indexOf(t.day) + 6) % 7]!;
  return (window.days.includes(t.day) && t.minute >= from) || (window.days.includes(prev) && t.minute < to);
}
