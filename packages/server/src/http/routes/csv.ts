import { Readable } from 'node:stream';
import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { doc, type HttpContext } from '../context.js';
import { CSV_HEADER, csvRow, type CsvChannel } from '../csv-format.js';
import { documentedBody, errorSchema } from '../schemas.js';
import { parseTimeParam } from '../time-param.js';
import { toChannelSummary } from '../views.js';

/** Raw rows fetched per query while streaming: bounded memory for any range. */
const RAW_PAGE = 5000;
const MAX_CHANNELS = 50;

interface CsvQuery {
  channel: number[];
  from?: string;
  to?: string;
  points?: number;
  raw?: '0' | '1' | 'true' | 'false';
}

export function registerCsvRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;
  app.get<{ Querystring: CsvQuery }>(
    '/api/v1/readings.csv',
    {
      schema: doc({
        summary: 'Readings of one or more channels as CSV (one row per point), raw or downsampled like the chart',
        tags: ['readings'],
        querystring: {
          type: 'object',
          properties: {
            channel: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: MAX_CHANNELS, description: 'repeat for several channels' },
            from: { type: 'string', description: 'ms since the epoch or ISO 8601; default: one hour before `to`' },
            to: { type: 'string', description: 'ms since the epoch or ISO 8601; default: now' },
            points: { type: 'integer', minimum: 2, maximum: 10000, default: 1000, description: 'per channel, when not raw' },
            raw: { type: 'string', enum: ['0', '1', 'true', 'false'], description: '1: every stored reading instead of min/max/avg buckets' },
          },
          required: ['channel'],
        },
        response: { '4xx': errorSchema },
        documented: { 200: documentedBody('text/csv', 'one row per bucket (or reading, with raw=1) and channel') },
      }),
    },
    async (req, reply) => {
      const to = parseTimeParam('to', req.query.to, Date.now());
      const from = parseTimeParam('from', req.query.from, to - 3_600_000);
      if (from >= to) throw new MaError(ErrorCode.InputInvalid, `query parameters: from (${from}) must be before to (${to})`);
      // Resolve every channel before the first byte, so a wrong id is a clean 404, not a cut stream.
      const channels: CsvChannel[] = [];
      for (const id of [...new Set(req.query.channel)]) {
        const { channel: row, node } = await ctx.authorizeChannel(req, id, 'view');
        const summary = toChannelSummary(row, node.name);
        channels.push({ id, node: summary.node, label: summary.label, unit: summary.unit });
      }
      const raw = req.query.raw === '1' || req.query.raw === 'true';
      const points = req.query.points ?? 1000;
      const store = deps.store;

      async function* lines(): AsyncGenerator<string> {
        yield CSV_HEADER;
        for (const channel of channels) {
          if (raw) {
            let after: { ts: number; seq: number } | undefined;
            for (;;) {
              const page = await store.readRawReadings(channel.id, from, to, RAW_PAGE, after);
              if (page.length === 0) break;
              yield page.map((r) => csvRow(channel, r.ts, r.value, r.value, r.value, 1)).join('');
              const last = page[page.length - 1]!;
              after = { ts: last.ts, seq: last.seq };
              if (page.length < RAW_PAGE) break;
            }
          } else {
            const s = await store.queryReadings(channel.id, from, to, points);
            let chunk = '';
            for (let i = 0; i < s.t.length; i++) chunk += csvRow(channel, s.t[i]!, s.avg[i]!, s.min[i]!, s.max[i]!, s.count[i]!);
            yield chunk;
          }
        }
      }

      const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[:.]/g, '-');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="ma-readings-${stamp(from)}_${stamp(to)}${raw ? '-raw' : ''}.csv"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(lines()));
    },
  );
}
