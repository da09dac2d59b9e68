/**
 * The outbox's own state (acked cursor and drop accounting) in one preallocated file that is
 * only ever overwritten in place, so that writing it never needs a new disk block: on a full
 * disk the cursor can still advance, acked segments can still be deleted, and every drop is
 * still counted (issue #11 item 12). A tmp-file + rename, as used before, needs fresh blocks
 * for the tmp file and so fails exactly when the disk is full.
 *
 *   <dir>/state   STATE_FILE_BYTES, created once (atomically) and never resized. Two slots
 *                 of SLOT_BYTES at offsets 0 and SLOT_BYTES; writes alternate between them:
 *                   offset 0  u32 LE  payload length N
 *                   offset 4  u32 LE  CRC-32 (zlib) of the payload
 *                   offset 8  N bytes UTF-8 JSON, e.g. {"gen":7,"acked_seq":1200,"dropped":17,...}
 *                 The valid slot with the higher `gen` is current; a torn write only ever
 *                 damages the slot being written, so the other one still holds the previous
 *                 state.
 *
 * Fields: acked_seq (every seq <= it is stored by the server); dropped (readings lost, ever);
 * dropped_through_seq (last seq of the newest segment deleted by the size bound, so recovery
 * can finish an interrupted drop); lost_through_seq (the newest seq counted as lost without ever
 * reaching a segment: memory buffer overflow, close, a rejected write); held_through_seq (the
 * newest seq that was accepted into memory only, while the disk was full: after a crash every
 * seq up to it that is on no segment was lost, and recovery counts it).
 *
 * Outboxes written by earlier versions keep `acked` (decimal text) and `state.json`; they are
 * read when `state` does not exist yet, and removed once `state` is written.
 *
 * This holds on filesystems that overwrite in place (ext4, the usual SD-card filesystem, xfs,
 * tmpfs). Copy-on-write filesystems (btrfs, zfs) need space for every write; keep their own
 * reserve (e.g. a quota or a reserved subvolume) for the agent's data_dir.
 */
import { closeSync, fdatasyncSync, writeSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { errnoCode, isDiskFull, readTextIfExists, unlinkIfExists, writeFileAtomic } from './durable-file.js';

export interface OutboxState {
  ackedSeq: number;
  dropped: number;
  droppedThroughSeq: number;
  lostThroughSeq: number;
  heldThroughSeq: number;
}

export const EMPTY_STATE: Readonly<OutboxState> = Object.freeze({ ackedSeq: 0, dropped: 0, droppedThroughSeq: 0, lostThroughSeq: 0, heldThroughSeq: 0 });

export const SLOT_BYTES = 512;
/** One filesystem block: the two slots and room to spare. */
export const STATE_FILE_BYTES = 4096;

export const statePath = (dir: string): string => join(dir, 'state');
/** Files of outboxes written before `state` existed. */
export const legacyAckedPath = (dir: string): string => join(dir, 'acked');
export const legacyStatePath = (dir: string): string => join(dir, 'state.json');

/** What was read: the state, where it came from, and whether something could not be parsed. */
export interface LoadedState {
  state: OutboxState;
  source: 'state' | 'legacy' | 'none';
  /** The generation of the current slot (0 when there is none). */
  gen: number;
  /** A file existed but held no valid state; `state` is then the empty state. */
  invalid: boolean;
}

export async function readOutboxState(dir: string): Promise<LoadedState> {
  let buf: Buffer | undefined;
  try {
    buf = await readFile(statePath(dir));
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
  if (buf) {
    const best = [decodeSlot(buf, 0), decodeSlot(buf, SLOT_BYTES)]
      .filter((s): s is { gen: number; state: OutboxState } => s !== undefined)
      .sort((a, b) => b.gen - a.gen)[0];
    if (best) return { state: best.state, source: 'state', gen: best.gen, invalid: false };
    return { state: { ...EMPTY_STATE }, source: 'state', gen: 0, invalid: true };
  }
  return readLegacyState(dir);
}

async function readLegacyState(dir: string): Promise<LoadedState> {
  const state: OutboxState = { ...EMPTY_STATE };
  let invalid = false;
  const ackedText = await readTextIfExists(legacyAckedPath(dir));
  const stateText = await readTextIfExists(legacyStatePath(dir));
  if (ackedText === undefined && stateText === undefined) return { state, source: 'none', gen: 0, invalid };
  if (ackedText !== undefined) {
    const value = Number(ackedText.trim());
    if (Number.isSafeInteger(value) && value >= 0) state.ackedSeq = value;
    else invalid = true;
  }
  if (stateText !== undefined) {
    try {
      const raw = JSON.parse(stateText) as { dropped?: unknown; dropped_through_seq?: unknown };
      const dropped = Number(raw.dropped ?? 0);
      const through = Number(raw.dropped_through_seq ?? 0);
      if (isSeq(dropped) && isSeq(through)) {
        state.dropped = dropped;
        state.droppedThroughSeq = through;
      } else invalid = true;
    } catch {
      invalid = true;
    }
  }
  return { state, source: 'legacy', gen: 0, invalid };
}

function isSeq(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function decodeSlot(buf: Buffer, offset: number): { gen: number; state: OutboxState } | undefined {
  if (buf.length < offset + 8) return undefined;
  const length = buf.readUInt32LE(offset);
  if (length < 2 || length > SLOT_BYTES - 8 || buf.length < offset + 8 + length) return undefined;
  const payload = buf.subarray(offset + 8, offset + 8 + length);
  if (crc32(payload) !== buf.readUInt32LE(offset + 4)) return undefined;
  try {
    const raw = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    const n = (k: string): number => Number(raw[k] ?? 0);
    const gen = n('gen');
    const state: OutboxState = {
      ackedSeq: n('acked_seq'),
      dropped: n('dropped'),
      droppedThroughSeq: n('dropped_through_seq'),
      lostThroughSeq: n('lost_through_seq'),
      heldThroughSeq: n('held_through_seq'),
    };
    if (!isSeq(gen) || !Object.values(state).every(isSeq)) return undefined;
    return { gen, state };
  } catch {
    return undefined;
  }
}

function encodeSlot(gen: number, s: OutboxState): Buffer {
  const payload = Buffer.from(
    JSON.stringify({
      gen,
      acked_seq: s.ackedSeq,
      dropped: s.dropped,
      dropped_through_seq: s.droppedThroughSeq,
      lost_through_seq: s.lostThroughSeq,
      held_through_seq: s.heldThroughSeq,
    }),
    'utf8',
  );
  const slot = Buffer.alloc(SLOT_BYTES);
  slot.writeUInt32LE(payload.length, 0);
  slot.writeUInt32LE(crc32(payload), 4);
  payload.copy(slot, 8);
  return slot;
}

async function removeLegacyFiles(dir: string): Promise<void> {
  for (const path of [legacyAckedPath(dir), legacyStatePath(dir)]) {
    await unlinkIfExists(path);
    await unlinkIfExists(`${path}.tmp`);
  }
}

/**
 * The open state file of a running outbox. Every write goes to the older slot, in place, and is
 * fdatasync'd before it resolves. The file is created (preallocated, atomically) by `open` while
 * the outbox opens, which is the one moment it needs free space.
 */
export class StateFile {
  private constructor(
    private readonly fh: FileHandle,
    private gen: number,
  ) {}

  /** Opens `<dir>/state`, creating it from `initial` (and removing legacy files) if needed. */
  static async open(dir: string, loaded: LoadedState): Promise<StateFile> {
    const path = statePath(dir);
    if (loaded.source !== 'state') {
      const file = Buffer.alloc(STATE_FILE_BYTES);
      encodeSlot(1, loaded.state).copy(file, 0);
      try {
        await writeFileAtomic(path, file);
      } catch (e) {
        if (loaded.source !== 'legacy' || !isDiskFull(e)) throw e;
        // Upgrading on a full disk: the old files' blocks are the space we need. Their values
        // are in `loaded`; a crash before the new file is written costs a resend (the server
        // deduplicates) and the old dropped count, not the ability to start.
        await removeLegacyFiles(dir);
        await writeFileAtomic(path, file);
      }
    }
    const fh = await open(path, 'r+');
    const size = (await fh.stat()).size;
    if (size < STATE_FILE_BYTES) {
      // A file cut short (not by us): restore its full size now, while opening, so no later
      // write needs a block the disk might not have.
      await fh.write(Buffer.alloc(STATE_FILE_BYTES - size), 0, STATE_FILE_BYTES - size, size);
      await fh.datasync();
    }
    const file = new StateFile(fh, Math.max(loaded.gen, 1));
    if (loaded.source === 'state' && loaded.invalid) await file.write(loaded.state);
    if (loaded.source === 'legacy') await removeLegacyFiles(dir);
    return file;
  }

  async write(state: OutboxState): Promise<void> {
    const gen = this.gen + 1;
    const slot = encodeSlot(gen, state);
    const { bytesWritten } = await this.fh.write(slot, 0, SLOT_BYTES, (gen % 2) * SLOT_BYTES);
    if (bytesWritten !== SLOT_BYTES) throw new Error(`short write to the outbox state file (${bytesWritten} of ${SLOT_BYTES} bytes)`);
    await this.fh.datasync();
    this.gen = gen;
  }

  /**
   * The same, synchronously: for the last moment of a shutdown whose deadline passed, when the
   * event loop may not get another turn.
   */
  writeSync(state: OutboxState): void {
    const gen = this.gen + 1;
    const slot = encodeSlot(gen, state);
    writeSync(this.fh.fd, slot, 0, SLOT_BYTES, (gen % 2) * SLOT_BYTES);
    fdatasyncSync(this.fh.fd);
    this.gen = gen;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /** Closes without waiting (after writeSync, when the process is about to exit). */
  closeSync(): void {
    try {
      closeSync(this.fh.fd);
    } catch {
      // already closed
    }
  }
}
