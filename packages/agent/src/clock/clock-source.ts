import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../logger.js';

/**
 * The agent's view of time. A Pi Zero has no RTC: until NTP has synchronised the clock, wall
 * time may be 1970 or the last shutdown time (fake-hwclock). Readings taken then are stamped
 * with the boot id and the monotonic clock, which is exact within one boot, and mapped to
 * wall time once the clock is synchronised (see `correctTimestamp`).
 */
export interface ClockSource {
  /** Wall time, ms since the epoch, as the OS clock says (may be wrong while unsynced). */
  wallNow(): number;
  /** Monotonic ms since boot (CLOCK_MONOTONIC on Linux), comparable across agent restarts of one boot. */
  monoNow(): number;
  /** Whether the wall clock was synchronised at the last check. */
  isSynced(): boolean;
  start(): Promise<void>;
  stop(): void;
}

/**
 * How the agent learns whether the clock is synchronised:
 * - `command`: run it (no shell; split on spaces), synced when it prints `yes`. Default
 *   `timedatectl show -p NTPSynchronized --value` (systemd-timesyncd, chrony and ntpd all set
 *   the kernel's sync flag that it reports).
 * - `file`: read it; synced when its first word is `yes`. An optional second word is an offset
 *   in ms added to the OS wall clock: a fake RTC-less clock for tests and demos.
 * When the command cannot run at all (no systemd), the clock counts as synced when wall time is
 * plausible (after PLAUSIBLE_SINCE), logged once: without adjtimex bindings that is the best a
 * portable Node process can tell.
 */
export type SyncCheck = { command: string } | { file: string };

export const DEFAULT_SYNC_COMMAND = 'timedatectl show -p NTPSynchronized --value';
/** 2020-01-01T00:00:00Z: no reading of this system can be older; anything before is a clock fault. */
export const PLAUSIBLE_SINCE = Date.UTC(2020, 0, 1);

export interface SystemClockOptions {
  check: SyncCheck;
  intervalMs: number;
  log: Logger;
  /** Called when the sync state changes (after the first check too). */
  onChange?: (synced: boolean) => void;
}

const monoNow = (): number => Number(process.hrtime.bigint() / 1_000_000n);

export class SystemClock implements ClockSource {
  #synced = false;
  #offsetMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #checked = false;
  #commandBroken = false;

  constructor(private readonly opts: SystemClockOptions) {}

  wallNow(): number {
    return Date.now() + this.#offsetMs;
  }

  monoNow(): number {
    return monoNow();
  }

  isSynced(): boolean {
    return this.#synced;
  }

  async start(): Promise<void> {
    await this.check();
    this.#timer = setInterval(() => void this.check(), this.opts.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Runs the sync check once now. */
  async check(): Promise<boolean> {
    const synced = await this.#probe();
    const changed = !this.#checked || synced !== this.#synced;
    this.#checked = true;
    this.#synced = synced;
    if (changed) {
      if (synced) this.opts.log.info({ wall: new Date(this.wallNow()).toISOString() }, 'clock synchronised');
      else this.opts.log.warn({ wall: new Date(this.wallNow()).toISOString() }, 'clock not synchronised: readings are stamped with boot id and monotonic time until it is');
      this.opts.onChange?.(synced);
    }
    return synced;
  }

  async #probe(): Promise<boolean> {
    const { check } = this.opts;
    if ('file' in check) {
      let text: string;
      try {
        text = await readFile(check.file, 'utf8');
      } catch {
        return false; // an unreadable fake clock counts as unsynced, the safe side
      }
      const [flag, offset] = text.trim().split(/\s+/);
      const ms = Number(offset ?? 0);
      this.#offsetMs = Number.isFinite(ms) ? ms : 0;
      return flag === 'yes';
    }
    const [cmd, ...args] = check.command.split(/\s+/).filter(Boolean);
    const out = await new Promise<string | undefined>((resolve) => {
      execFile(cmd!, args, { timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout));
    });
    if (out === undefined) {
      if (!this.#commandBroken) {
        this.#commandBroken = true;
        this.opts.log.warn({ command: check.command }, 'clock sync check failed to run; treating the clock as synchronised when its time is plausible (after 2020)');
      }
      return this.wallNow() >= PLAUSIBLE_SINCE;
    }
    this.#commandBroken = false;
    return out.trim() === 'yes';
  }
}

/** A reading's time fields as stored in the outbox. */
export interface StampedTime {
  ts: number;
  sync?: boolean;
  boot?: string;
  mono?: number;
}

export type Correction = { ts: number; mapped: boolean } | { hold: true };

/**
 * The wall time to send for a reading. Synced readings keep their ts. An unsynced reading of
 * this boot is mapped through the monotonic clock once the clock is synced (ts = mono + the
 * current wall-minus-mono offset), and held until then. An unsynced reading of an earlier boot
 * cannot be mapped by anyone; it is sent as it is (sync: false) and the server refuses it if its
 * ts is implausible.
 */
export function correctTimestamp(r: StampedTime, clock: Pick<ClockSource, 'isSynced' | 'wallNow' | 'monoNow'>, currentBoot: string | undefined): Correction {
  if (r.sync !== false) return { ts: r.ts, mapped: false };
  if (r.boot === undefined || r.mono === undefined || r.boot !== currentBoot) return { ts: r.ts, mapped: false };
  if (!clock.isSynced()) return { hold: true };
  return { ts: Math.round(r.mono + (clock.wallNow() - clock.monoNow())), mapped: true };
}
