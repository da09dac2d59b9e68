import { ErrorCode, MaError, type ChannelSummary, type UpdateChannelRequest } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { doc, type HttpContext } from '../context.js';
import { channelSchema, errorSchema } from '../schemas.js';
import { toChannelSummary } from '../views.js';

export const MAX_LABEL_LENGTH = 80;

export function registerChannelEditRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;
  app.patch<{ Params: { id: number }; Body: UpdateChannelRequest }>(
    '/api/v1/channels/:id',
    {
      schema: doc({
        summary: "Set a channel's label (admin); null or empty returns to the agent's label",
        tags: ['channels'],
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
        body: {
          type: 'object',
          properties: { label: { type: ['string', 'null'], maxLength: MAX_LABEL_LENGTH } },
          required: ['label'],
          additionalProperties: false,
        },
        response: { 200: channelSchema, '4xx': errorSchema },
      }),
    },
    async (req): Promise<ChannelSummary> => {
      // The users issue replaces this with a per-node admin grant check.
      // Renaming a channel is administering its node: the node's `admin` grant (or a global admin).
      await ctx.authorizeChannel(req, req.params.id, 'admin');
      const raw = req.body.label;
      const label = raw === null ? null : raw.trim();
      if (label !== null && [...label].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) {
        throw new MaError(ErrorCode.InputInvalid, `body.label: got ${JSON.stringify(raw)}, expected text without control characters`);
      }
      const row = await deps.store.setChannelUserLabel(req.params.id, label === '' ? null : label);
      if (row === undefined) throw new MaError(ErrorCode.NotFound, `no channel with id ${req.params.id}`);
      const node = await deps.store.getNodeById(row.node_id);
      const summary = toChannelSummary(row, node?.name ?? String(row.node_id));
      // Every open dashboard picks up the new label at once.
      deps.live.publish({ type: 'channel', channel: summary });
      await ctx.audit(req, { action: 'channel.label', target: `node:${summary.node}`, outcome: 'ok', reason: null, detail: { channel: row.id, label: row.user_label } });
      return summary;
    },
  );
}
