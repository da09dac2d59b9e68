import { durationSchema } from '@ma/protocol';
import { z } from 'zod';


/**
 * `alerts:` in server.yaml. SMTP always verifies the server's certificate: `security` chooses
 * STARTTLS (required, never optional) or TLS from the first byte; `ca_file` pins a private CA.
 * The password comes from `password_file` or the MA_SMTP_PASSWORD environment variable, never
 * from the config file itself, so the file can be shared and committed.
 */
export const alertsConfigSchema = z
  .object({
    /** How often silent channels and nodes, repeats and escalations are checked. */
    evaluate_every: durationSchema('1s'),
    /** A firing detected this long after its triggering reading was taken is marked late-detected. */
    late_after: durationSchema('2m'),
    /** First retry of a failed notification; doubles per attempt. */
    retry_backoff: durationSchema('2s'),
    retry_attempts: z.number().int().min(1).max(50).default(8),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        security: z.enum(['starttls', 'tls']).default('starttls'),
        user: z.string().min(1).optional(),
        password_file: z.string().min(1).optional(),
        from: z.string().min(3),
        ca_file: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .default({});

export type AlertsConfig = z.output<typeof alertsConfigSchema>;
