import { CompiledQuery } from 'kysely';
import type { RollupTableName } from './database.js';
import type { SqlDialectName } from './dialect.js';

/**
 * The SQL of a stored telemetry batch, written once per (statement, row count) and reused.
 *
 * Building these through Kysely's query builder cost a fresh syntax tree and a compile for every
 * batch (about a fifth of ingest time in the benchmark's profile) for text that only varies with
 * the number of rows. Here the text is built the first time a row count is seen and kept: with
 * SQLite the same string object then hits the driver's prepared-statement cache (dialect.ts), with
 * PostgreSQL it is the same parameterised text every time. Values are always bound, never spliced.
 */
export class IngestStatements {
  readonly #dialect: SqlDialectName;
  readonly #texts = new Map<string, string>();
  /** Row counts vary (batches are at most a few hundred rows); this bounds the map all the same. */
  static readonly #capacity = 512;

  constructor(dialect: SqlDialectName) {
    this.#dialect = dialect;
  }

  /** `?` for SQLite, `$1, $2, …` for PostgreSQL, as each driver binds. */
  #placeholders(rows: number, columns: number): string {
    const parts: string[] = [];
    let n = 0;
    for (let r = 0; r < rows; r++) {
      const cells: string[] = [];
      for (let c = 0; c < columns; c++) cells.push(this.#dialect === 'sqlite' ? '?' : `$${++n}`);
      parts.push(`(${cells.join(', ')})`);
    }
    return parts.join(', ');
  }

  #text(key: string, build: () => string): string {
    let text = this.#texts.get(key);
    if (text === undefined) {
      text = build();
      if (this.#texts.size >= IngestStatements.#capacity) this.#texts.clear();
      this.#texts.set(key, text);
    }
    return text;
  }

  /** Inserts readings of one node, skipping (node, seq) already stored; returns the rows it wrote. */
  insertReadings(nodeId: number, rows: ReadonlyArray<{ seq: number; channel_id: number; ts: number; value: number }>): CompiledQuery<{ seq: number; channel_id: number; ts: number; value: number }> {
    const text = this.#text(`readings:${rows.length}`, () =>
      `insert into "readings" ("node_id", "seq", "channel_id", "ts", "value") values ${this.#placeholders(rows.length, 5)} ` +
      'on conflict ("node_id", "seq") do nothing returning "seq", "channel_id", "ts", "value"',
    );
    const params: unknown[] = new Array(rows.length * 5);
    let i = 0;
    for (const r of rows) {
      params[i++] = nodeId;
      params[i++] = r.seq;
      params[i++] = r.channel_id;
      params[i++] = r.ts;
      params[i++] = r.value;
    }
    return CompiledQuery.raw(text, params);
  }

  /** Folds rollup rows into `table`: min/max/sum/count combine with what is there. */
  upsertRollups(table: RollupTableName, rows: ReadonlyArray<{ channel_id: number; bucket_ts: number; min: number; max: number; sum: number; count: number }>): CompiledQuery {
    // SQLite spells the two-argument minimum `min(a, b)`; PostgreSQL spells it `least(a, b)`.
    const least = this.#dialect === 'sqlite' ? 'min' : 'least';
    const greatest = this.#dialect === 'sqlite' ? 'max' : 'greatest';
    const text = this.#text(`${table}:${rows.length}`, () =>
      `insert into "${table}" ("channel_id", "bucket_ts", "min", "max", "sum", "count") values ${this.#placeholders(rows.length, 6)} ` +
      `on conflict ("channel_id", "bucket_ts") do update set "min" = ${least}("${table}"."min", "excluded"."min"), ` +
      `"max" = ${greatest}("${table}"."max", "excluded"."max"), "sum" = "${table}"."sum" + "excluded"."sum", ` +
      `"count" = "${table}"."count" + "excluded"."count"`,
    );
    const params: unknown[] = new Array(rows.length * 6);
    let i = 0;
    for (const r of rows) {
      params[i++] = r.channel_id;
      params[i++] = r.bucket_ts;
      params[i++] = r.min;
      params[i++] = r.max;
      params[i++] = r.sum;
      params[i++] = r.count;
    }
    return CompiledQuery.raw(text, params);
  }

  /** Moves a channel's last value forward, never back (a late batch may arrive after a newer one). */
  updateLastValue(channelId: number, ts: number, value: number): CompiledQuery {
    const text = this.#text('last', () =>
      this.#dialect === 'sqlite'
        ? 'update "channels" set "last_ts" = ?, "last_value" = ? where "id" = ? and ("last_ts" is null or "last_ts" < ?)'
        : 'update "channels" set "last_ts" = $1, "last_value" = $2 where "id" = $3 and ("last_ts" is null or "last_ts" < $4)',
    );
    return CompiledQuery.raw(text, [ts, value, channelId, ts]);
  }

  /** Moves a node's last_seen forward, never back. */
  touchNode(nodeId: number, lastSeen: number): CompiledQuery {
    const text = this.#text('touch', () =>
      this.#dialect === 'sqlite'
        ? 'update "nodes" set "last_seen" = ? where "id" = ? and ("last_seen" is null or "last_seen" < ?)'
        : 'update "nodes" set "last_seen" = $1 where "id" = $2 and ("last_seen" is null or "last_seen" < $3)',
    );
    return CompiledQuery.raw(text, [lastSeen, nodeId, lastSeen]);
  }

  /** Adds the batch's stored and duplicate counts to the node's counters. */
  addReadingStats(nodeId: number, stored: number, duplicate: number): CompiledQuery {
    const p = (n: number) => (this.#dialect === 'sqlite' ? '?' : `$${n}`);
    const text = this.#text('stats', () =>
      `insert into "node_stats" ("node_id", "readings_stored", "readings_duplicate") values (${p(1)}, ${p(2)}, ${p(3)}) ` +
      'on conflict ("node_id") do update set "readings_stored" = "node_stats"."readings_stored" + "excluded"."readings_stored", ' +
      '"readings_duplicate" = "node_stats"."readings_duplicate" + "excluded"."readings_duplicate"',
    );
    return CompiledQuery.raw(text, [nodeId, stored, duplicate]);
  }
}
