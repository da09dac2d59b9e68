import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyRequest } from 'fastify';
import { isRevoked, verifyToken } from '../../broker/credentials.js';
import type { NodeRow } from '../../store/store.js';
import type { HttpContext } from '../context.js';

/**
 * The node, from `Authorization: Basic <node>:<credential>` (the node's MQTT credential).
 * These routes sit outside /api/ because they authenticate nodes, not people.
 */
export async function authenticateNode(ctx: HttpContext, req: FastifyRequest): Promise<NodeRow> {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const deny = new MaError(ErrorCode.AuthRequired, 'send "Authorization: Basic base64(<node>:<credential>)" with the node credential');
  if (colon <= 0) throw deny;
  const node = await ctx.deps.store.getNodeByName(decoded.slice(0, colon));
  if (!node || isRevoked(node.credential_hash) || !verifyToken(decoded.slice(colon + 1), node.credential_hash)) throw deny;
  return node;
}
