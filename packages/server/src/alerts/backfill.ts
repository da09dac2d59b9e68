import type { AlertRow, AlertsStore } from '../store/alerts-store.js';
import type { Store } from '../store/store.js';
import { initialState, step, type Episode, type ReadingCondition, type SeriesState } from './evaluators.js';

/** What a backlog replay needs of the engine. */
export interface BackfillDeps {
  store: Store;
  alerts: AlertsStore;
  open(s: BackfillSubject, at: number, since: number, value: number, peak: number, late: boolean, now: number): Promise<void>;
  resolve(s: BackfillSubject, at: number, value: number, peak: number, now: number): Promise<void>;
  insertPast(s: BackfillSubject, ep: Episode & { resolved_at: number }, value: number, now: number): Promise<void>;
}

export interface BackfillSubject {
  rule: { id: number };
  channelId: number | null;
  series: SeriesState;
  alert: AlertRow | null;
}

const PAGE = 5000;
/** A backlog replay reads at most this many readings (a week of 10-second readings). */
const MAX_REPLAY = 60_000;

/**
 * Readings older than the newest a rule has seen arrived (a node's backlog drained behind its
 * live readings). The rule is replayed, in timestamp order, over the stored readings from a
 * little before the oldest late one: episodes found there that no alert covers are recorded
 * as late-detected with their true start and end, and the series state continues from the
 * replay, so the present is judged with the history filled in.
 */
export async function replayBackfill(d: BackfillDeps, s: BackfillSubject, c: ReadingCondition, fromTs: number, now: number): Promise<void> {
  if (s.channelId === null) return;
  const lookback = c.type === 'threshold' ? c.for : c.window;
  const start = fromTs - lookback - 1;
  const state = initialState();
  const episodes: Episode[] = [];
  let open: Episode | null = null;
  let after: { ts: number; seq: number } | undefined;
  let read = 0;
  let last: { ts: number; value: number } | undefined;
  for (;;) {
    const page = await d.store.readRawReadings(s.channelId, start, Number.MAX_SAFE_INTEGER, PAGE, after);
    for (const p of page) {
      last = p;
      for (const t of step(c, state, p.ts, p.value)) {
        if (t.to === 'firing') episodes.push((open = { since: t.since, fired_at: t.at, resolved_at: null, peak: t.peak }));
        else if (t.to === 'ok' && open) {
          open.resolved_at = t.at;
          open.peak = t.peak;
          open = null;
        }
      }
    }
    read += page.length;
    if (page.length < PAGE || read >= MAX_REPLAY) break;
    after = { ts: page[page.length - 1]!.ts, seq: page[page.length - 1]!.seq };
  }
  if (!last) return;
  const known = (await d.alerts.listAlerts({ ruleId: s.rule.id, from: start })).filter((a) => a.channel_id === s.channelId);
  const covered = (ep: Episode) => known.some((a) => a.since <= (ep.resolved_at ?? Number.MAX_SAFE_INTEGER) && (a.resolved_at ?? Number.MAX_SAFE_INTEGER) >= ep.since);
  for (const ep of episodes) {
    if (covered(ep)) continue;
    if (ep.resolved_at !== null) await d.insertPast(s, { ...ep, resolved_at: ep.resolved_at }, last.value, now);
    else if (!s.alert || s.alert.state === 'pending') await d.open(s, ep.fired_at, ep.since, last.value, ep.peak, true, now);
  }
  // Continue from the replayed state; an alert the replay shows to be over is resolved.
  if (s.alert?.state === 'firing' && state.phase === 'ok') await d.resolve(s, last.ts, last.value, s.alert.peak ?? last.value, now);
  s.series = state;
}
