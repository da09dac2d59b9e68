import { sql, type Kysely, type RawBuilder, type Selectable, type Transaction } from 'kysely';
import { ErrorCode, MaError, type ChannelMeta, type NodeStats, type SeriesResponse } from '@ma/protocol';
import type { ChannelsTable, Database, NodesTable, RollupTableName } from './database.js';
import type { SqlDialectName } from './dialect.js';
import { HOUR, MINUTE, chooseBucketMs, clampPoints, planBuckets } from './downsample.js';
import { IngestStatements } from './ingest-statements.js';
import { runMigrations } from './migrations.js';
import { latestPerChannel, rollUp } from './rollup.js';
import { toStorageError } from './storage-errors.js';
import { listConnectionEvents, readRawReadings, setChannelUserLabel, setOnlineRecordingChange } from './dashboard-queries.js';
import type { ChannelRow, ConnectionEvent, ImportReading, ImportResult, InsertResult, NodeRow, RawReading, ReadingInput, StatCounter, Store } from './store.js';

/**
 * Rows per multi-row statement. SQLite allows 32766 bound parameters per statement,
 * PostgreSQL 65535; a readings row binds 5 and a channel row 10, so these stay well under both.
 */
const READINGS_PER_STATEMENT = 1000;
const ROLLUPS_PER_STATEMENT = 1000;
const CHANNELS_PER_STATEMENT = 500;
const KEYS_PER_LOOKUP = 500;

const STAT_COUNTERS: readonly StatCounter[] = [
  'readings_stored',
  'readings_duplicate',
  'messages_rejected',
  'publishes_refused',
  'auth_failures',
  'client_ids_refused',
];

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function toNodeRow(r: Selectable<NodesTable>): NodeRow {
  return { ...r, online: Boolean(r.online) };
}

function toChannelRow(r: Selectable<ChannelsTable>): ChannelRow {
  return { ...r, available: Boolean(r.available) };
}

interface BucketRow {
  bucket_ts: number;
  min: number;
  max: number;
  sum: number;
  count: number;
}

/** The Store over Kysely; the same code serves SQLite and PostgreSQL. */
export class KyselyStore implements Store {
  readonly dialect: SqlDialectName;
  /** For imports' rollups: SQLite spells the two-argument minimum `min(a, b)`; PostgreSQL `least(a, b)`. */
  readonly #least: string;
  readonly #greatest: string;
  readonly #db: Kysely<Database>;
  readonly #ingest: IngestStatements;

  constructor(db: Kysely<Database>, dialect: SqlDialectName) {
    this.#db = db;
    this.dialect = dialect;
    this.#ingest = new IngestStatements(dialect);
    this.#least = dialect === 'sqlite' ? 'min' : 'least';
    this.#greatest = dialect === 'sqlite' ? 'max' : 'greatest';
  }

  /** 0/1 on SQLite, which has no boolean type; a real boolean on PostgreSQL. */
  #bool(v: boolean): boolean | 0 | 1 {
    return this.dialect === 'sqlite' ? (v ? 1 : 0) : v;
  }

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  /** The connection, for repositories of other concepts (users, grants, audit) that share the database. */
  get kysely(): Kysely<Database> {
    return this.#db;
  }

  async migrate(): Promise<void> {
    await this.#guard('migrate the database', () => runMigrations(this.#db as Kysely<unknown>, this.dialect));
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }

  // ---- nodes

  createNode(input: { name: string; display_name?: string; credential_hash: string }): Promise<NodeRow> {
    return this.#guard(`create node "${input.name}"`, () =>
      this.#db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('nodes')
          .values({
            name: input.name,
            display_name: input.display_name ?? input.name,
            credential_hash: input.credential_hash,
            created_at: Date.now(),
            online: this.#bool(false),
          })
          .onConflict((oc) => oc.column('name').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (row === undefined) {
          throw new MaError(ErrorCode.Conflict, `a node named "${input.name}" already exists; choose another name`);
        }
        await trx.insertInto('node_stats').values({ node_id: row.id }).execute();
        return toNodeRow(row);
      }),
    );
  }

  getNodeByName(name: string): Promise<NodeRow | undefined> {
    return this.#guard(`read node "${name}"`, async () => {
      const row = await this.#db.selectFrom('nodes').selectAll().where('name', '=', name).executeTakeFirst();
      return row && toNodeRow(row);
    });
  }

  getNodeById(id: number): Promise<NodeRow | undefined> {
    return this.#guard(`read node ${id}`, async () => {
      const row = await this.#db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toNodeRow(row);
    });
  }

  listNodes(): Promise<NodeRow[]> {
    return this.#guard('list nodes', async () => {
      const rows = await this.#db.selectFrom('nodes').selectAll().orderBy('name').execute();
      return rows.map(toNodeRow);
    });
  }

  setNodeCredential(nodeId: number, credential_hash: string): Promise<void> {
    return this.#guard(`set the credential of node ${nodeId}`, async () => {
      const r = await this.#db.updateTable('nodes').set({ credential_hash }).where('id', '=', nodeId).executeTakeFirst();
      if (r.numUpdatedRows === 0n) throw new MaError(ErrorCode.NotFound, `node ${nodeId} does not exist`);
    });
  }

  setNodeStatus(nodeId: number, update: { online: boolean; last_seen?: number; status_json?: string }): Promise<void> {
    return this.#guard(`set the status of node ${nodeId}`, () =>
      setOnlineRecordingChange(this.#db, (v) => this.#bool(v), nodeId, update, update.last_seen ?? Date.now()),
    );
  }

  listConnectionEvents(nodeId: number, from: number, to: number): Promise<ConnectionEvent[]> {
    return this.#guard(`read the connection history of node ${nodeId}`, () => listConnectionEvents(this.#db, nodeId, from, to));
  }

  /** Moves `last_seen` forward only, so a late message cannot make a node look older. */
  touchNode(nodeId: number, last_seen: number): Promise<void> {
    // Once per telemetry batch: a statement written once (ingest-statements.ts), like insertReadings'.
    return this.#guard(`touch node ${nodeId}`, async () => {
      await this.#db.executeQuery(this.#ingest.touchNode(nodeId, last_seen));
    });
  }

  // ---- node statistics

  addNodeStats(
    nodeId: number,
    delta: Partial<Record<StatCounter, number>>,
    reject?: { reason: string; at: number },
  ): Promise<void> {
    const increments: Partial<Record<StatCounter, number>> = {};
    for (const k of STAT_COUNTERS) {
      const d = delta[k];
      if (d !== undefined && Number.isFinite(d) && d !== 0) increments[k] = Math.trunc(d);
    }
    if (Object.keys(increments).length === 0 && reject === undefined) return Promise.resolve();
    return this.#guard(`count statistics of node ${nodeId}`, () => this.#addStats(this.#db, nodeId, increments, reject));
  }

  async #addStats(
    db: Kysely<Database>,
    nodeId: number,
    increments: Partial<Record<StatCounter, number>>,
    reject?: { reason: string; at: number },
  ): Promise<void> {
    const onConflict: Partial<Record<StatCounter, RawBuilder<number>>> = {};
    for (const k of Object.keys(increments) as StatCounter[]) {
      onConflict[k] = sql<number>`${sql.ref(`node_stats.${k}`)} + ${sql.ref(`excluded.${k}`)}`;
    }
    const rejectCols = reject && { last_reject_reason: reject.reason, last_reject_at: reject.at };
    await db
      .insertInto('node_stats')
      .values({ node_id: nodeId, ...increments, ...rejectCols })
      .onConflict((oc) => oc.column('node_id').doUpdateSet({ ...onConflict, ...rejectCols }))
      .execute();
  }

  getNodeStats(nodeId: number): Promise<NodeStats> {
    return this.#guard(`read statistics of node ${nodeId}`, async () => {
      const row = await this.#db
        .selectFrom('node_stats')
        .select([...STAT_COUNTERS, 'last_reject_reason', 'last_reject_at'])
        .where('node_id', '=', nodeId)
        .executeTakeFirst();
      return (
        row ?? {
          readings_stored: 0,
          readings_duplicate: 0,
          messages_rejected: 0,
          publishes_refused: 0,
          auth_failures: 0,
          client_ids_refused: 0,
          last_reject_reason: null,
          last_reject_at: null,
        }
      );
    });
  }

  // ---- channels

  upsertChannels(nodeId: number, metas: Record<string, ChannelMeta>): Promise<Map<string, ChannelRow>> {
    return this.#guard(`store channels of node ${nodeId}`, async () => {
      const now = Date.now();
      const result = new Map<string, ChannelRow>();
      const values = Object.entries(metas).map(([key, m]) => ({
        node_id: nodeId,
        key,
        kind: m.kind,
        driver: m.driver,
        quantity: m.quantity ?? null,
        unit: m.unit,
        label: m.label ?? null,
        labels_json: JSON.stringify(m.labels ?? {}),
        created_at: now,
      }));
      for (const chunk of chunks(values, CHANNELS_PER_STATEMENT)) {
        const rows = await this.#db
          .insertInto('channels')
          .values(chunk)
          .onConflict((oc) =>
            oc.columns(['node_id', 'key']).doUpdateSet((eb) => ({
              kind: eb.ref('excluded.kind'),
              driver: eb.ref('excluded.driver'),
              quantity: eb.ref('excluded.quantity'),
              unit: eb.ref('excluded.unit'),
              label: eb.ref('excluded.label'),
              labels_json: eb.ref('excluded.labels_json'),
            })),
          )
          .returningAll()
          .execute();
        for (const r of rows) result.set(r.key, toChannelRow(r));
      }
      return result;
    });
  }

  ensureChannels(nodeId: number, keys: string[]): Promise<Map<string, ChannelRow>> {
    return this.#guard(`register channels of node ${nodeId}`, async () => {
      const unique = [...new Set(keys)];
      const now = Date.now();
      const result = new Map<string, ChannelRow>();
      for (const chunk of chunks(unique, KEYS_PER_LOOKUP)) {
        await this.#db
          .insertInto('channels')
          .values(
            chunk.map((key) => ({
              node_id: nodeId,
              key,
              kind: 'sensor' as const,
              driver: 'unknown',
              unit: '',
              labels_json: '{}',
              created_at: now,
            })),
          )
          .onConflict((oc) => oc.columns(['node_id', 'key']).doNothing())
          .execute();
        const rows = await this.#db
          .selectFrom('channels')
          .selectAll()
          .where('node_id', '=', nodeId)
          .where('key', 'in', chunk)
          .execute();
        for (const r of rows) result.set(r.key, toChannelRow(r));
      }
      return result;
    });
  }

  listChannels(nodeId?: number): Promise<ChannelRow[]> {
    return this.#guard('list channels', async () => {
      let q = this.#db.selectFrom('channels').selectAll();
      if (nodeId !== undefined) q = q.where('node_id', '=', nodeId);
      const rows = await q.orderBy('node_id').orderBy('key').execute();
      return rows.map(toChannelRow);
    });
  }

  getChannel(id: number): Promise<ChannelRow | undefined> {
    return this.#guard(`read channel ${id}`, async () => {
      const row = await this.#db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toChannelRow(row);
    });
  }

  setChannelHealth(channelId: number, available: boolean, error: string | null): Promise<void> {
    return this.#guard(`set the health of channel ${channelId}`, async () => {
      await this.#db
        .updateTable('channels')
        .set({ available: this.#bool(available), error })
        .where('id', '=', channelId)
        .execute();
    });
  }

  setChannelUserLabel(channelId: number, label: string | null): Promise<ChannelRow | undefined> {
    return this.#guard(`set the label of channel ${channelId}`, async () => {
      const row = await setChannelUserLabel(this.#db, channelId, label);
      return row && toChannelRow(row);
    });
  }

  // ---- readings

  insertReadings(nodeId: number, rows: ReadingInput[]): Promise<InsertResult> {
    if (rows.length === 0) return Promise.resolve({ inserted: 0, duplicates: 0, insertedRows: [] });
    // The hot path of ingest: statements come from #ingest (written once per row count) rather
    // than the query builder, which rebuilt and recompiled the same text for every batch.
    const q = this.#ingest;
    return this.#guard(`store ${rows.length} readings of node ${nodeId}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const insertedRows: ReadingInput[] = [];
        for (const chunk of chunks(rows, READINGS_PER_STATEMENT)) {
          const returned = await trx.executeQuery(q.insertReadings(nodeId, chunk));
          for (const r of returned.rows) insertedRows.push(r);
        }
        insertedRows.sort((a, b) => a.seq - b.seq);
        const inserted = insertedRows.length;
        const duplicates = rows.length - inserted;

        if (inserted > 0) {
          for (const [table, bucketMs] of [['readings_1m', MINUTE], ['readings_1h', HOUR]] as const) {
            for (const chunk of chunks(rollUp(insertedRows, bucketMs), ROLLUPS_PER_STATEMENT)) await trx.executeQuery(q.upsertRollups(table, chunk));
          }
          for (const r of latestPerChannel(insertedRows)) await trx.executeQuery(q.updateLastValue(r.channel_id, r.ts, r.value));
        }
        await trx.executeQuery(q.addReadingStats(nodeId, inserted, duplicates));
        return { inserted, duplicates, insertedRows };
      }),
    );
  }

  importReadings(nodeId: number, rows: ImportReading[], opts: { dryRun?: boolean } = {}): Promise<ImportResult> {
    if (rows.length === 0) return Promise.resolve({ imported: 0, duplicates: 0 });
    return this.#guard(`import ${rows.length} readings into node ${nodeId}`, () =>
      this.#db.transaction().execute(async (trx) => {
        // Repeats inside the batch first, then what the database already holds (an agent's or an
        // earlier import's reading at that instant).
        const seen = new Set<string>();
        const unique: ImportReading[] = [];
        for (const r of rows) {
          const k = `${r.channel_id}:${r.ts}`;
          if (!seen.has(k)) {
            seen.add(k);
            unique.push(r);
          }
        }
        const byChannel = new Map<number, ImportReading[]>();
        for (const r of unique) (byChannel.get(r.channel_id) ?? byChannel.set(r.channel_id, []).get(r.channel_id)!).push(r);
        const fresh: ImportReading[] = [];
        for (const [channelId, list] of byChannel) {
          for (const chunk of chunks(list, KEYS_PER_LOOKUP)) {
            const existing = await trx
              .selectFrom('readings')
              .select('ts')
              .where('channel_id', '=', channelId)
              .where(
                'ts',
                'in',
                chunk.map((r) => r.ts),
              )
              .execute();
            const stored = new Set(existing.map((e) => Number(e.ts)));
            for (const r of chunk) if (!stored.has(r.ts)) fresh.push(r);
          }
        }
        if (opts.dryRun || fresh.length === 0) return { imported: fresh.length, duplicates: rows.length - fresh.length };

        // A block of seqs, counting down from -1: the upsert's row lock serialises concurrent imports.
        const { next_seq } = await trx
          .insertInto('import_seqs')
          .values({ node_id: nodeId, next_seq: -fresh.length - 1 })
          .onConflict((oc) => oc.column('node_id').doUpdateSet({ next_seq: sql<number>`${sql.ref('import_seqs.next_seq')} - ${fresh.length}` }))
          .returning('next_seq')
          .executeTakeFirstOrThrow();
        const first = Number(next_seq) + 1;
        const inserted: ReadingInput[] = [];
        for (const chunk of chunks(
          fresh.map((r, i) => ({ node_id: nodeId, seq: first + i, channel_id: r.channel_id, ts: r.ts, value: r.value })),
          READINGS_PER_STATEMENT,
        )) {
          // No conflict target: the partial unique index on (channel_id, ts) for imported rows
          // drops a row another import stored since the check above.
          const returned = await trx.insertInto('readings').values(chunk).onConflict((oc) => oc.doNothing()).returning(['seq', 'channel_id', 'ts', 'value']).execute();
          inserted.push(...returned.map((r) => ({ seq: Number(r.seq), channel_id: r.channel_id, ts: Number(r.ts), value: r.value })));
        }
        if (inserted.length > 0) {
          await this.#addRollups(trx, 'readings_1m', inserted, MINUTE);
          await this.#addRollups(trx, 'readings_1h', inserted, HOUR);
          for (const r of latestPerChannel(inserted)) {
            await trx
              .updateTable('channels')
              .set({ last_ts: r.ts, last_value: r.value })
              .where('id', '=', r.channel_id)
              .where((eb) => eb.or([eb('last_ts', 'is', null), eb('last_ts', '<', r.ts)]))
              .execute();
          }
        }
        return { imported: inserted.length, duplicates: rows.length - inserted.length };
      }),
    );
  }

  /** Folds new readings into a rollup table: min/max/sum/count combine with what is there. */
  async #addRollups(trx: Transaction<Database>, table: RollupTableName, rows: ReadingInput[], bucketMs: number): Promise<void> {
    const least = sql.raw(this.#least);
    const greatest = sql.raw(this.#greatest);
    for (const chunk of chunks(rollUp(rows, bucketMs), ROLLUPS_PER_STATEMENT)) {
      await trx
        .insertInto(table)
        .values(chunk)
        .onConflict((oc) =>
          oc.columns(['channel_id', 'bucket_ts']).doUpdateSet({
            min: sql<number>`${least}(${sql.ref(`${table}.min`)}, ${sql.ref('excluded.min')})`,
            max: sql<number>`${greatest}(${sql.ref(`${table}.max`)}, ${sql.ref('excluded.max')})`,
            sum: sql<number>`${sql.ref(`${table}.sum`)} + ${sql.ref('excluded.sum')}`,
            count: sql<number>`${sql.ref(`${table}.count`)} + ${sql.ref('excluded.count')}`,
          }),
        )
        .execute();
    }
  }

  queryReadings(channelId: number, from: number, to: number, points: number): Promise<SeriesResponse> {
    if (![from, to, points].every(Number.isFinite)) {
      return Promise.reject(
        new MaError(ErrorCode.InputInvalid, 'from, to and points must be finite numbers (times in ms since the epoch)'),
      );
    }
    const limit = clampPoints(points);
    const series: SeriesResponse = { channel: channelId, from, to, bucket_ms: 0, source: 'raw', t: [], avg: [], min: [], max: [], count: [] };
    if (to <= from) return Promise.resolve(series);

    return this.#guard(`read readings of channel ${channelId}`, async () => {
      // Counting stops at limit + 1: all we need to know is whether the raw rows fit.
      const { n } = await this.#db
        .selectFrom((db) =>
          db
            .selectFrom('readings')
            .select(sql.lit(1).as('one'))
            .where('channel_id', '=', channelId)
            .where('ts', '>=', from)
            .where('ts', '<', to)
            .limit(limit + 1)
            .as('r'),
        )
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();

      if (Number(n) <= limit) {
        const raw = await this.#db
          .selectFrom('readings')
          .select(['ts', 'value'])
          .where('channel_id', '=', channelId)
          .where('ts', '>=', from)
          .where('ts', '<', to)
          .orderBy('ts')
          .orderBy('seq')
          .execute();
        for (const r of raw) {
          series.t.push(r.ts);
          series.avg.push(r.value);
          series.min.push(r.value);
          series.max.push(r.value);
          series.count.push(1);
        }
        return series;
      }

      const bucketMs = chooseBucketMs(from, to, limit);
      const plan = planBuckets(from, to, bucketMs);
      const buckets: BucketRow[] = [];
      for (const [a, b] of plan.rawRanges) buckets.push(...(await this.#rawBuckets(channelId, a, b, bucketMs)));
      if (plan.rollupRange !== null && plan.source !== 'raw') {
        const table = plan.source === 'hour' ? 'readings_1h' : 'readings_1m';
        const [a, b] = plan.rollupRange;
        buckets.push(...(await this.#rollupBuckets(table, channelId, a, b, bucketMs)));
      }
      buckets.sort((x, y) => x.bucket_ts - y.bucket_ts);

      series.bucket_ms = bucketMs;
      series.source = plan.source;
      for (const b of buckets) {
        series.t.push(b.bucket_ts);
        series.avg.push(b.sum / b.count);
        series.min.push(b.min);
        series.max.push(b.max);
        series.count.push(b.count);
      }
      return series;
    });
  }

  /** Buckets computed from raw readings in [from, to). Bucket starts use integer division (ts > 0). */
  async #rawBuckets(channelId: number, from: number, to: number, bucketMs: number): Promise<BucketRow[]> {
    const bucket = sql<number>`(${sql.ref('ts')} / ${sql.lit(bucketMs)}) * ${sql.lit(bucketMs)}`;
    return this.#db
      .selectFrom('readings')
      .select((eb) => [
        bucket.as('bucket_ts'),
        eb.fn.min<number>('value').as('min'),
        eb.fn.max<number>('value').as('max'),
        eb.fn.sum<number>('value').as('sum'),
        eb.fn.countAll<number>().as('count'),
      ])
      .where('channel_id', '=', channelId)
      .where('ts', '>=', from)
      .where('ts', '<', to)
      .groupBy(bucket)
      .execute();
  }

  /** Buckets computed from a rollup table over whole buckets in [from, to). */
  async #rollupBuckets(
    table: RollupTableName,
    channelId: number,
    from: number,
    to: number,
    bucketMs: number,
  ): Promise<BucketRow[]> {
    const bucket = sql<number>`(${sql.ref('bucket_ts')} / ${sql.lit(bucketMs)}) * ${sql.lit(bucketMs)}`;
    return this.#db
      .selectFrom(table)
      .select((eb) => [
        bucket.as('bucket_ts'),
        eb.fn.min<number>('min').as('min'),
        eb.fn.max<number>('max').as('max'),
        eb.fn.sum<number>('sum').as('sum'),
        sql<number>`cast(sum(${sql.ref('count')}) as bigint)`.as('count'),
      ])
      .where('channel_id', '=', channelId)
      .where('bucket_ts', '>=', from)
      .where('bucket_ts', '<', to)
      .groupBy(bucket)
      .execute();
  }

  readRawReadings(channelId: number, from: number, to: number, limit: number, after?: { ts: number; seq: number }): Promise<RawReading[]> {
    return this.#guard(`read readings of channel ${channelId}`, () => readRawReadings(this.#db, channelId, from, to, limit, after));
  }

  countRawReadings(channelId: number, from: number, to: number): Promise<number> {
    return this.#guard(`count readings of channel ${channelId}`, async () => {
      const { n } = await this.#db
        .selectFrom('readings')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('channel_id', '=', channelId)
        .where('ts', '>=', from)
        .where('ts', '<', to)
        .executeTakeFirstOrThrow();
      return Number(n);
    });
  }

  countReadings(nodeId?: number): Promise<number> {
    return this.#guard('count readings', async () => {
      let q = this.#db.selectFrom('readings').select((eb) => eb.fn.countAll<number>().as('n'));
      if (nodeId !== undefined) q = q.where('node_id', '=', nodeId);
      const { n } = await q.executeTakeFirstOrThrow();
      return Number(n);
    });
  }
}
