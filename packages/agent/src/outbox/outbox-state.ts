/**
 * The outbox's small metadata files, each replaced atomically (see durable-file.ts):
 *   <dir>/acked       the acked cursor as decimal text, e.g. "1200\n"
 *   <dir>/state.json  {"dropped": 17, "dropped_through_seq": 5000}: records lost to the size
 *                     bound or the memory buffer, and the last seq of the newest segment dropped
 *                     (so recovery can finish a drop interrupted between the two steps).
 */
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from './durable-file.js';

export interface DropState {
  dropped: number;
  droppedThroughSeq: number;
}

/** What a metadata file held: its value, or `invalid` when it exists but cannot be parsed. */
export type Loaded<T> = { value: T; invalid: boolean };

export const ackedPath = (dir: string): string => join(dir, 'acked');
export const statePath = (dir: string): string => join(dir, 'state.json');

export async function readAckedCursor(dir: string): Promise<Loaded<number>> {
  const text = await readTextIfExists(ackedPath(dir));
  if (text === undefined) return { value: 0, invalid: false };
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value) || value < 0) return { value: 0, invalid: true };
  return { value, invalid: false };
}

export async function writeAckedCursor(dir: string, seq: number): Promise<void> {
  await writeFileAtomic(ackedPath(dir), `${seq}\n`);
}

export async function readDropState(dir: string): Promise<Loaded<DropState>> {
  const empty = { dropped: 0, droppedThroughSeq: 0 };
  const text = await readTextIfExists(statePath(dir));
  if (text === undefined) return { value: empty, invalid: false };
  try {
    const raw = JSON.parse(text) as { dropped?: unknown; dropped_through_seq?: unknown };
    const dropped = Number(raw.dropped ?? 0);
    const droppedThroughSeq = Number(raw.dropped_through_seq ?? 0);
    if (Number.isSafeInteger(dropped) && dropped >= 0 && Number.isSafeInteger(droppedThroughSeq) && droppedThroughSeq >= 0) {
      return { value: { dropped, droppedThroughSeq }, invalid: false };
    }
  } catch {
    // fall through: unreadable state is reported, not fatal
  }
  return { value: empty, invalid: true };
}

export async function writeDropState(dir: string, state: DropState): Promise<void> {
  const body = { dropped: state.dropped, dropped_through_seq: state.droppedThroughSeq };
  await writeFileAtomic(statePath(dir), `${JSON.stringify(body)}\n`);
}
