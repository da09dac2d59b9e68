import { Readable } from 'node:stream';
import {
  CHANNEL_KEY_PATTERN,
  ErrorCode,
  MaError,
  type ChannelMeta,
  type ExportedReading,
  type ImportChannelMeta,
  type ImportReadingsRequest,
  type ImportReadingsResponse,
} from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import type { ChannelRow, ImportReading, NodeRow } from '../../store/store.js';
import { doc, type HttpContext } from '../context.js';
import { csvText } from '../csv-format.js';
import { documentedBody, errorSchema, nodeNamedParam } from '../schemas.js';
import { parseTimeParam } from '../time-param.js';

/** Readings per import request: a batch is one transaction, and its JSON stays well under the body limit. */
export const MAX_IMPORT_BATCH = 10_000;
/** Raw rows fetched per query while exporting: memory stays flat for any range. */
const EXPORT_PAGE = 5000;
const MAX_EXPORT_CHANNELS = 500;
/** Timestamps outside 1970–2100 are a unit mistake (seconds, microseconds), not a reading. */
const MAX_TS = Date.UTC(2100, 0, 1);

export const EXPORT_CSV_HEADER = 'time,ts_ms,node,channel,unit,value\r\n';

interface ExportQuery {
  node?: string;
  channel?: number[];
  from?: string;
  to?: string;
  format?: 'csv' | 'jsonl';
}

export function registerImportExportRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;

  app.post<{ Params: { name: string }; Body: ImportReadingsRequest }>(
    '/api/v1/nodes/:name/import',
    {
      schema: doc({
        summary: "Import a batch of old readings into a node (admin, or the node's admin grant); same channel and timestamp is a duplicate",
        tags: ['readings'],
        params: nodeNamedParam,
        body: {
          type: 'object',
          properties: {
            dry_run: { type: 'boolean' },
            channels: {
              type: 'object',
              additionalProperties: {
                type: 'object',
                properties: {
                  driver: { type: 'string', minLength: 1, maxLength: 64 },
                  label: { type: 'string', maxLength: 128 },
                  quantity: { type: 'string', maxLength: 64 },
                  unit: { type: 'string', maxLength: 16 },
                  labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 256 } },
                },
                additionalProperties: false,
              },
            },
            readings: {
              type: 'array',
              maxItems: MAX_IMPORT_BATCH,
              items: {
                type: 'object',
                properties: { channel: { type: 'string', minLength: 1, maxLength: 128 }, ts: { type: 'integer', minimum: 1 }, value: { type: 'number' } },
                required: ['channel', 'ts', 'value'],
                additionalProperties: false,
              },
            },
          },
          required: ['readings'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { imported: { type: 'integer' }, duplicates: { type: 'integer' }, channels_created: { type: 'array', items: { type: 'string' } } },
            required: ['imported', 'duplicates', 'channels_created'],
          },
          '4xx': errorSchema,
        },
      }),
    },
    async (req): Promise<ImportReadingsResponse> => {
      const node = await ctx.authorize(req, req.params.name, 'admin');
      const { readings, channels: metas = {}, dry_run: dryRun = false } = req.body;
      readings.forEach((r, i) => {
        if (!CHANNEL_KEY_PATTERN.test(r.channel)) {
          throw new MaError(ErrorCode.InputInvalid, `body.readings[${i}].channel: got ${JSON.stringify(r.channel)}, expected a channel key like "ds18b20/28-00000c1a748d"`);
        }
        if (r.ts > MAX_TS) throw new MaError(ErrorCode.InputInvalid, `body.readings[${i}].ts: got ${r.ts}, expected ms since the epoch before 2100 (seconds or microseconds?)`);
      });

      const known = new Map((await deps.store.listChannels(node.id)).map((c) => [c.key, c] as const));
      const missing = [...new Set(readings.map((r) => r.channel))].filter((k) => !known.has(k));
      if (!dryRun && missing.length > 0) {
        // Only channels that do not exist take the import's metadata: a live agent's stays as it is.
        const created = await deps.store.upsertChannels(node.id, Object.fromEntries(missing.map((k) => [k, importedMeta(metas[k])])));
        for (const [k, row] of created) known.set(k, row);
      }
      const rows: ImportReading[] = [];
      let pending = 0;
      for (const r of readings) {
        const ch = known.get(r.channel);
        if (ch) rows.push({ channel_id: ch.id, ts: r.ts, value: r.value });
        else pending++; // dry run, channel not created yet: every such reading would be new
      }
      const result = await deps.store.importReadings(node.id, rows, { dryRun });
      const response = { imported: result.imported + pending, duplicates: result.duplicates, channels_created: missing };
      if (!dryRun) {
        const ts = readings.map((r) => r.ts);
        await ctx.audit(req, {
          action: 'readings.import',
          target: `node:${node.name}`,
          outcome: 'ok',
          reason: null,
          detail: { ...response, from: ts.length ? Math.min(...ts) : null, to: ts.length ? Math.max(...ts) : null },
        });
      }
      return response;
    },
  );

  app.get<{ Querystring: ExportQuery }>(
    '/api/v1/export',
    {
      schema: doc({
        summary: 'Every stored reading of a node (or of chosen channels) in a time range, streamed as CSV or JSON lines',
        tags: ['readings'],
        querystring: {
          type: 'object',
          properties: {
            node: { type: 'string', description: 'all channels of this node (or only the `channel`s given, which must be on it)' },
            channel: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: MAX_EXPORT_CHANNELS, description: 'channel ids; repeat for several' },
            from: { type: 'string', description: 'ms since the epoch or ISO 8601; default: the beginning' },
            to: { type: 'string', description: 'ms since the epoch or ISO 8601 (exclusive); default: now' },
            format: { type: 'string', enum: ['csv', 'jsonl'], default: 'csv' },
          },
        },
        response: { '4xx': errorSchema },
        documented: {
          200: {
            description: 'one line per reading, channel by channel, oldest first; the X-MA-Export-Rows header gives the row count up front for progress bars',
            content: { ...documentedBody('text/csv', '').content, ...documentedBody('application/x-ndjson', '').content },
          },
        },
      }),
    },
    async (req, reply) => {
      const to = parseTimeParam('to', req.query.to, Date.now());
      const from = parseTimeParam('from', req.query.from, 0);
      if (from >= to) throw new MaError(ErrorCode.InputInvalid, `query parameters: from (${from}) must be before to (${to})`);
      const format = req.query.format ?? 'csv';
      // Every channel is resolved and authorised before the first byte: a wrong id is a clean 404, not a cut stream.
      const chosen: Array<{ channel: ChannelRow; node: NodeRow }> = [];
      if (req.query.node !== undefined) {
        const node = await ctx.authorize(req, req.query.node, 'view');
        const all = await deps.store.listChannels(node.id);
        const ids = req.query.channel && new Set(req.query.channel);
        for (const id of ids ?? []) {
          if (!all.some((c) => c.id === id)) throw new MaError(ErrorCode.NotFound, `query parameter channel: node ${node.name} has no channel with id ${id}`);
        }
        for (const c of all) if (!ids || ids.has(c.id)) chosen.push({ channel: c, node });
      } else if (req.query.channel) {
        for (const id of new Set(req.query.channel)) chosen.push(await ctx.authorizeChannel(req, id, 'view'));
      } else {
        throw new MaError(ErrorCode.InputInvalid, 'query parameters: give node=<name> (all its channels) or channel=<id> (repeatable), or both');
      }
      // One COUNT per channel lets the CLI draw a real progress bar; it uses the same index as the export.
      let total = 0;
      for (const c of chosen) total += await deps.store.countRawReadings(c.channel.id, from, to);
      const store = deps.store;

      async function* lines(): AsyncGenerator<string> {
        if (format === 'csv') yield EXPORT_CSV_HEADER;
        for (const { channel, node } of chosen) {
          let after: { ts: number; seq: number } | undefined;
          const prefix = format === 'csv' ? `${csvText(node.name)},${csvText(channel.key)},${csvText(channel.unit)},` : '';
          for (;;) {
            const page = await store.readRawReadings(channel.id, from, to, EXPORT_PAGE, after);
            if (page.length === 0) break;
            let chunk = '';
            for (const r of page) {
              const time = new Date(r.ts).toISOString();
              if (format === 'csv') {
                chunk += `${time},${r.ts},${prefix}${r.value}\r\n`;
              } else {
                const line: ExportedReading = { time, ts: r.ts, node: node.name, channel: channel.key, unit: channel.unit, value: r.value };
                chunk += `${JSON.stringify(line)}\n`;
              }
            }
            yield chunk;
            const last = page[page.length - 1]!;
            after = { ts: last.ts, seq: last.seq };
            if (page.length < EXPORT_PAGE) break;
          }
        }
      }

      const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[:.]/g, '-');
      const name = `ma-export-${req.query.node ?? 'channels'}-${stamp(from)}_${stamp(to)}.${format}`;
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('x-ma-export-rows', String(total))
        .header('cache-control', 'no-store')
        .send(Readable.from(lines()));
    },
  );
}

function importedMeta(m: ImportChannelMeta | undefined): ChannelMeta {
  return {
    kind: 'sensor',
    driver: m?.driver ?? 'import',
    ...(m?.quantity !== undefined ? { quantity: m.quantity } : {}),
    ...(m?.label !== undefined ? { label: m.label } : {}),
    unit: m?.unit ?? '',
    ...(m?.labels !== undefined ? { labels: m.labels } : {}),
  };
}
