import type { ConnectionInterval } from '@ma/protocol';
import type { ConnectionEvent } from '../store/store.js';

/**
 * Turns transitions (oldest first, the first possibly before `from`) into intervals clipped to
 * [from, to). Time before the first known transition is left out: the state then is unknown.
 * The last interval stays open (`to: null`) when it reaches `now`.
 */
export function toIntervals(events: readonly ConnectionEvent[], from: number, to: number, now: number): ConnectionInterval[] {
  const out: ConnectionInterval[] = [];
  events.forEach((event, i) => {
    const next = events[i + 1];
    const start = Math.max(event.at, from);
    const end = next === undefined ? (to >= now ? null : to) : Math.min(next.at, to);
    if (end !== null && end <= start) return;
    const last = out[out.length - 1];
    // Two transitions to the same state (a lost offline) are one interval.
    if (last !== undefined && last.online === event.online && last.to === start) {
      last.to = end;
      return;
    }
    out.push({ online: event.online, from: start, to: end });
  });
  return out;
}
