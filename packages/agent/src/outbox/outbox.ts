/**
 * The agent's durable outbox (ARCHITECTURE.md section 4): every reading a driver produces
 * is appended here, with a monotonic `seq`, before anything else happens to it. The uplink
 * reads from the acked cursor and advances it only on PUBACK.
 */

export interface OutboxEntry {
  ch: string;
  ts: number;
  v: number;
  sync?: boolean;
  boot?: string;
  mono?: number;
}

export interface OutboxRecord extends OutboxEntry {
  seq: number;
}

export interface OutboxStats {
  /** Highest seq ever assigned (0 when empty and new). */
  lastSeq: number;
  /** Every record with seq <= ackedSeq is confirmed stored by the server. */
  ackedSeq: number;
  /** Records appended but not yet acked. */
  pending: number;
  /** Records dropped by the size bound (drop-oldest), since the outbox was created. */
  dropped: number;
  /** Bytes on disk across segments. */
  bytes: number;
  /** Torn or corrupt records discarded during recovery since start. */
  discardedOnRecovery: number;
  /**
   * Set while the outbox cannot persist: 'disk_full' means new records are held in a bounded
   * memory buffer (not durable, not yet readable) until the disk has space again.
   */
  degraded?: 'disk_full';
}

export interface Outbox {
  /** Recovers state from disk: drops a torn tail, reloads the acked cursor. */
  open(): Promise<void>;
  /** Appends entries, assigning consecutive seqs; resolves once they are durable on disk. */
  append(entries: OutboxEntry[]): Promise<OutboxRecord[]>;
  /** Returns up to `max` records with seq > `afterSeq`, oldest first. */
  readAfter(afterSeq: number, max: number): Promise<OutboxRecord[]>;
  /** Durably records that every seq <= `seq` is stored; may free whole segments. */
  ack(seq: number): Promise<void>;
  stats(): OutboxStats;
  /**
   * Writes what is pending and releases the outbox. Records still only in memory at `deadline`
   * (epoch ms; the disk is full) are counted as dropped, so close always ends.
   */
  close(options?: OutboxCloseOptions): Promise<void>;
  /**
   * The last resort of an exit that cannot wait: counts what is only in memory as dropped and
   * writes the state synchronously. The outbox is unusable afterwards.
   */
  abandon(): void;
}

export interface OutboxCloseOptions {
  deadline?: number;
}
