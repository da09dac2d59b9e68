import { durationSchema } from '@ma/protocol';
import { z } from 'zod';

/** A rectangle blacked out on the node before a photo is spooled, in pixels of the configured frame. */
export const maskSchema = z
  .object({
    x: z.number().int().min(0),
    y: z.number().int().min(0),
    width: z.number().int().min(1),
    height: z.number().int().min(1),
  })
  .strict();
export type Mask = z.output<typeof maskSchema>;

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A time window in the node's local time: photos are taken only inside one (e.g. 07:00–23:00 on weekdays). */
export const windowSchema = z
  .object({
    days: z.array(z.enum(DAYS)).min(1).default([...DAYS]),
    from: z.string().regex(TIME, 'a time such as "07:00"'),
    to: z.string().regex(TIME, 'a time such as "23:00" (before "from" means the window crosses midnight)'),
  })
  .strict();
export type TimeWindow = z.output<typeof windowSchema>;

export const CAPTURE_PROGRAMS = ['ffmpeg', 'rpicam-still', 'libcamera-still', 'fswebcam', 'command'] as const;
export type CaptureProgram = (typeof CAPTURE_PROGRAMS)[number];

export const cameraSchema = z
  .object({
    /** Name of the camera on this node: letters, digits, dashes and underscores. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'a camera name: lowercase letters, digits, "-" or "_", e.g. "bench"'),
    /** Which capture program takes the photo. */
    program: z.enum(CAPTURE_PROGRAMS),
    /** Video device (ffmpeg with v4l2, fswebcam). */
    device: z.string().default('/dev/video0'),
    /**
     * ffmpeg only: input arguments replacing `-f v4l2 -i <device>`, e.g.
     * ["-f", "lavfi", "-i", "testsrc=size=640x480:rate=1"] for a test source.
     */
    input: z.array(z.string()).min(1).optional(),
    /** command only: argv; {out}, {width}, {height} and {quality} are replaced. */
    command: z.array(z.string()).min(1).optional(),
    /** Path of the program, when it is not on PATH under its usual name. */
    executable: z.string().optional(),
    width: z.number().int().min(16).max(8192).default(1280),
    height: z.number().int().min(16).max(8192).default(720),
    /** JPEG quality, 1–100. */
    quality: z.number().int().min(1).max(100).default(85),
    interval: durationSchema('5m'),
    /** Photos only inside one of these windows; none = always. */
    windows: z.array(windowSchema).default([]),
    /** A capture that takes longer is killed and counts as failed. */
    timeout: durationSchema('30s'),
    /** Attempts after a failed capture, with backoff, before the scheduled photo is given up. */
    retries: z.number().int().min(0).max(10).default(2),
    retry_delay: durationSchema('1s'),
    /** This many photos in a row given up raise a fault (an agent_fault event with the program's stderr). */
    fault_after: z.number().int().min(1).max(100).default(3),
    masks: z.array(maskSchema).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.program === 'command' && !c.command) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['command'], message: `camera "${c.name}": program command needs command: [argv...] with {out}` });
    if (c.input && c.program !== 'ffmpeg') ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['input'], message: `camera "${c.name}": input is for program ffmpeg only` });
    c.masks.forEach((m, i) => {
      if (m.x + m.width > c.width || m.y + m.height > c.height) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['masks', i],
          message: `camera "${c.name}": mask ${i} (x=${m.x}, y=${m.y}, width=${m.width}, height=${m.height}) reaches outside the ${c.width}x${c.height} frame; a rectangle inside it`,
        });
      }
    });
  });
export type CameraConfig = z.output<typeof cameraSchema>;

export const camerasConfigSchema = z
  .array(cameraSchema)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'name'], message: `a camera name not used twice on this node ("${c.name}" is)` });
      seen.add(c.name);
    });
  });

/** The photo spool and its upload to the server. */
export const photoUploadSchema = z
  .object({
    /** The server's HTTP(S) URL; by default derived from server.mqtt_url (wss://host → https://host). */
    server_url: z.string().regex(/^https?:\/\/[^\s]+$/, 'an https:// (or http:// on a trusted network) URL').optional(),
    /** Photos waiting on disk, at most; beyond it the oldest are dropped, counted. */
    max_bytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(512 * 1024 * 1024),
    /** Bytes per upload request: a flaky link resumes from the last chunk the server has. */
    chunk_bytes: z
      .number()
      .int()
      .min(4096)
      .max(1024 * 1024)
      .default(256 * 1024),
    retry_min: durationSchema('1s'),
    retry_max: durationSchema('60s'),
  })
  .strict()
  .default({});
export type PhotoUploadConfig = z.output<typeof photoUploadSchema>;
