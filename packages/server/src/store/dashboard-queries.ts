import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { ChannelsTable, Database } from './database.js';
import type { ConnectionEvent, RawReading } from './store.js';

/**
 * The dashboard's queries (connection history, raw export, people-given labels), kept out of
 * kysely-store.ts so that file stays about ingest and charts. Each takes the Kysely handle and
 * the dialect's boolean spelling; the Store methods wrap them in its error guard.
 */

type Db = Kysely<Database> | Transaction<Database>;
type Bool = (v: boolean) => boolean | 0 | 1;

/**
 * Updates `online` and records a connection event when it changed, in one transaction, so the
 * history cannot disagree with the node row.
 */
export async function setOnlineRecordingChange(
  db: Kysely<Database>,
  bool: Bool,
  nodeId: number,
  update: { online: boolean; last_seen?: number; status_json?: string },
  at: number,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('nodes').select('online').where('id', '=', nodeId).executeTakeFirst();
    await trx
      .updateTable('nodes')
      .set({
        online: bool(update.online),
        ...(update.last_seen !== undefined && { last_seen: update.last_seen }),
        ...(update.status_json !== undefined && { status_json: update.status_json }),
      })
      .where('id', '=', nodeId)
      .execute();
    if (before === undefined || Boolean(before.online) === update.online) return;
    await trx
      .insertInto('node_connections')
      .values({ node_id: nodeId, at, online: bool(update.online) })
      .onConflict((oc) => oc.doNothing())
      .execute();
  });
}

export async function listConnectionEvents(db: Db, nodeId: number, from: number, to: number): Promise<ConnectionEvent[]> {
  const previous = await db
    .selectFrom('node_connections')
    .select(['at', 'online'])
    .where('node_id', '=', nodeId)
    .where('at', '<', from)
    .orderBy('at', 'desc')
    .limit(1)
    .execute();
  const inside = await db
    .selectFrom('node_connections')
    .select(['at', 'online'])
    .where('node_id', '=', nodeId)
    .where('at', '>=', from)
    .where('at', '<', to)
    .orderBy('at')
    .execute();
  return [...previous, ...inside].map((r) => ({ at: Number(r.at), online: Boolean(r.online) }));
}

export async function readRawReadings(
  db: Db,
  channelId: number,
  from: number,
  to: number,
  limit: number,
  after?: { ts: number; seq: number },
): Promise<RawReading[]> {
  let q = db
    .selectFrom('readings')
    .select(['seq', 'ts', 'value'])
    .where('channel_id', '=', channelId)
    .where('ts', '>=', from)
    .where('ts', '<', to);
  // Row-value comparison: both SQLite (3.15+) and PostgreSQL order (ts, seq) pairs lexically.
  if (after !== undefined) q = q.where(sql<boolean>`(ts, seq) > (${after.ts}, ${after.seq})`);
  const rows = await q.orderBy('ts').orderBy('seq').limit(limit).execute();
  return rows.map((r) => ({ seq: Number(r.seq), ts: Number(r.ts), value: Number(r.value) }));
}

export async function setChannelUserLabel(db: Db, channelId: number, label: string | null): Promise<Selectable<ChannelsTable> | undefined> {
  return db.updateTable('channels').set({ user_label: label }).where('id', '=', channelId).returningAll().executeTakeFirst();
}
