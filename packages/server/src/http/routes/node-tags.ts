import type { FastifyInstance } from 'fastify';
import { doc, type HttpContext } from '../context.js';
import { errorSchema } from '../schemas.js';

/**
 * The node tags in use, for the dashboard's tag pickers (rules, grants). Filtered like every list: a tag
 * appears with the nodes the caller may view, and not at all when they may view none of its nodes.
 */
export function registerNodeTagRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get(
    '/api/v1/node-tags',
    {
      schema: doc({
        summary: 'Node tags in use, each with the nodes (you may view) that carry it',
        tags: ['nodes'],
        response: {
          200: { type: 'object', properties: { tags: { type: 'array', items: { type: 'object', properties: { tag: { type: 'string' }, nodes: { type: 'array', items: { type: 'string' } } } } } } },
          '4xx': errorSchema,
        },
      }),
    },
    async (req) => {
      const access = await ctx.access(req);
      const byTag = new Map<string, string[]>();
      for (const [node, tags] of await ctx.deps.auth.grants.allNodeTags()) {
        if (!access.can({ name: node }, 'view')) continue;
        for (const tag of tags) (byTag.get(tag) ?? byTag.set(tag, []).get(tag)!).push(node);
      }
      return { tags: [...byTag].sort(([a], [b]) => a.localeCompare(b)).map(([tag, nodes]) => ({ tag, nodes: nodes.sort() })) };
    },
  );
}
