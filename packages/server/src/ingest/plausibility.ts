/**
 * The one plausibility window for what a node claims about a reading: when it was taken and
 * how large it is. A reading outside it is refused and counted (the rest of its batch is
 * stored); it is never stored, because one absurd timestamp would pin its channel's last
 * value for good and one absurd value would poison every rollup it enters.
 */

/**
 * 2020-01-01T00:00:00Z. A reading stamped earlier comes from a node whose clock was never
 * synchronised in the boot it was taken (a Pi without RTC starts in 1970) and cannot be mapped
 * to true time by anyone; it is refused and counted, never stored with a 1970 timestamp.
 * (Unsynced readings of a boot that did synchronise are mapped by the agent before sending.)
 */
export const PLAUSIBLE_SINCE = Date.UTC(2020, 0, 1);

/**
 * How far ahead of the server's clock a reading may be stamped: NTP-synchronised clocks agree
 * to well under a second, so this only absorbs a server whose own clock lags.
 */
export const MAX_FUTURE_SKEW_MS = 10 * 60_000;

/**
 * The largest magnitude a reading's value may have. Far above any physical quantity a node
 * measures (energy counters in Wh included), far below where sums and averages in the rollups
 * would overflow to Infinity.
 */
export const MAX_READING_MAGNITUDE = 1e15;

export type Implausibility = 'before_2020' | 'in_the_future' | 'value_out_of_range';

/** Why a reading is implausible at `now`, or undefined when it is fine. */
export function implausibility(reading: { ts: number; v: number }, now: number): Implausibility | undefined {
  if (reading.ts < PLAUSIBLE_SINCE) return 'before_2020';
  if (reading.ts > now + MAX_FUTURE_SKEW_MS) return 'in_the_future';
  if (!Number.isFinite(reading.v) || Math.abs(reading.v) > MAX_READING_MAGNITUDE) return 'value_out_of_range';
  return undefined;
}

const EXPLANATION: Record<Implausibility, string> = {
  before_2020: 'stamped before 2020 by an unsynchronised clock; fix the node\'s time sync (NTP)',
  in_the_future: `stamped more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes ahead of the server's clock; check the node's and the server's time sync (NTP)`,
  value_out_of_range: `with a value beyond ±${MAX_READING_MAGNITUDE.toExponential()}; check the driver`,
};

export function explainImplausibility(kind: Implausibility): string {
  return EXPLANATION[kind];
}
