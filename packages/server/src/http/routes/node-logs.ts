import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { doc, type HttpContext } from '../context.js';
import { documentedBody, errorSchema, nodeNamedParam } from '../schemas.js';
import { authenticateNode } from './node-auth.js';

/** One agent's open log channel, and the people following it. */
interface AgentLogs {
  socket: WebSocket;
  followers: Set<(line: string) => void>;
  tails: Map<number, (lines: string[]) => void>;
}

type AgentMessage = { type: 'tail'; id: number; lines: string[] } | { type: 'line'; line: string };

/**
 * Remote logs: each agent keeps a WebSocket open on /tunnel/logs (as the node); people with
 * `admin` or `ssh` on the node read its recent lines and follow new ones through
 * `GET /api/v1/nodes/:name/logs` (`ma logs <node> [--follow]`), one JSON log line per line.
 */
export function registerNodeLogRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const agents = new Map<string, AgentLogs>();
  let nextId = 1;
  // Followed responses never end by themselves: end them cleanly when the server stops.
  const following = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of following) end();
    done();
  });

  app.get('/tunnel/logs', { websocket: true, schema: doc({ hide: true }) }, (socket, req) => {
    void authenticateNode(ctx, req).then(
      (node) => {
        agents.get(node.name)?.socket.close(4000, 'replaced by a newer connection');
        const entry: AgentLogs = { socket, followers: new Set(), tails: new Map() };
        agents.set(node.name, entry);
        socket.on('message', (data) => {
          let m: AgentMessage;
          try {
            m = JSON.parse(String(data)) as AgentMessage;
          } catch {
            return;
          }
          if (m.type === 'line' && typeof m.line === 'string') for (const f of entry.followers) f(m.line);
          else if (m.type === 'tail' && Array.isArray(m.lines)) entry.tails.get(m.id)?.(m.lines.filter((l) => typeof l === 'string'));
        });
        socket.on('close', () => {
          if (agents.get(node.name) === entry) agents.delete(node.name);
          for (const f of entry.followers) f('');
        });
      },
      () => socket.close(4401, 'node credential required'),
    );
  });

  app.get<{ Params: { name: string }; Querystring: { lines?: number; follow?: boolean } }>(
    '/api/v1/nodes/:name/logs',
    {
      schema: doc({
        summary: "The agent's recent log lines (JSON, one per line); with follow=true, then new ones as they come. Needs admin or ssh on the node",
        tags: ['nodes'],
        params: nodeNamedParam,
        response: { '4xx': errorSchema },
        documented: { 200: documentedBody('application/x-ndjson', 'one JSON log line per line') },
        querystring: { type: 'object', additionalProperties: false, properties: { lines: { type: 'integer', minimum: 0, maximum: 10000 }, follow: { type: 'boolean' } } },
      }),
    },
    async (req, reply) => {
      const access = await ctx.access(req);
      const node = await ctx.authorize(req, req.params.name, 'view');
      if (!access.can(node, 'admin') && !access.can(node, 'ssh')) throw new MaError(ErrorCode.AuthForbidden, `reading the logs of ${node.name} needs admin or ssh on it`);
      const agent = agents.get(node.name);
      if (!agent) throw new MaError(ErrorCode.Conflict, `the agent of ${node.name} has no log channel open (offline, an old agent, or remote_logs: false)`);
      const id = nextId++;
      const tail = await new Promise<string[]>((resolve, reject) => {
        const timer = setTimeout(() => (agent.tails.delete(id), reject(new MaError(ErrorCode.TransportConnectFailed, `the agent of ${node.name} did not answer`))), 5000);
        agent.tails.set(id, (lines) => {
          clearTimeout(timer);
          agent.tails.delete(id);
          resolve(lines);
        });
        agent.socket.send(JSON.stringify({ type: 'tail', id, lines: req.query.lines ?? 100 }));
      });
      if (!req.query.follow) return reply.type('application/x-ndjson').send(tail.map((l) => `${l}\n`).join(''));

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      for (const l of tail) res.write(`${l}\n`);
      const follower = (line: string): void => {
        if (line === '') return void res.end(); // the agent went away
        res.write(`${line}\n`);
      };
      agent.followers.add(follower);
      const end = (): void => void res.end();
      following.add(end);
      if (agent.followers.size === 1) agent.socket.send(JSON.stringify({ type: 'follow', on: true }));
      req.raw.on('close', () => {
        following.delete(end);
        agent.followers.delete(follower);
        if (agent.followers.size === 0 && agent.socket.readyState === agent.socket.OPEN) agent.socket.send(JSON.stringify({ type: 'follow', on: false }));
      });
    },
  );
}
