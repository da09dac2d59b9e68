import { ErrorCode, type LiveMessage } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { createWebSocketStream } from 'ws';
import { doc, type HttpContext } from '../context.js';
import { errorSchema } from '../schemas.js';
import { errorBody } from '../framework-errors.js';

const LIVE_MAX_BUFFERED = 4 * 1024 * 1024;
/**
 * Besides the re-check on every auth change in this process, each feed re-checks its principal
 * this often: that catches a token expiring, and a revocation made by another replica.
 */
export const LIVE_PRINCIPAL_RECHECK_MS = 30_000;

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** The dashboard's live feed, and MQTT over WebSocket for nodes behind HTTPS-only networks. */
export function registerWebSocketRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;
  app.get(
    '/api/v1/live',
    {
      websocket: true,
      // A plain GET (no Upgrade) never reaches the WebSocket handler; answer it in our format.
      preHandler: async (req, reply) => {
        if (req.headers.upgrade?.toLowerCase() !== 'websocket') return reply.status(426).header('upgrade', 'websocket').send(errorBody(ErrorCode.InputInvalid, 'this is a WebSocket endpoint: connect with "Upgrade: websocket"'));
      },
      schema: doc({
        summary: 'The live feed (WebSocket): readings, status and channel changes of the nodes you may view',
        tags: ['live'],
        response: { '4xx': errorSchema },
        documented: { 101: { description: 'switching to the WebSocket protocol' }, 426: { description: 'a plain GET without "Upgrade: websocket"', content: { 'application/json': { schema: errorSchema } } } },
      }),
    },
    async (socket, req) => {
      // Only the nodes this principal may view; grants are re-read when they change.
      const principal = req.principal;
      if (!principal) return socket.close(4401, 'log in or send an API token');
      // Cross-site WebSocket hijacking: browsers send cookies with a WebSocket from any page, so
      // a cookie-authenticated feed must come from this server's own origin.
      const origin = req.headers.origin;
      if (principal.via === 'session' && origin !== undefined && originHost(origin) !== req.headers.host) return socket.close(4403, 'cross-origin live feed refused');
      const auth = deps.auth;
      let access = await auth.access(principal);
      let version = auth.grantsVersion;
      let refreshing = false;
      // Until a re-check after an auth change has answered, nothing is sent: a revoked token or
      // a disabled user must not see even the messages of those few milliseconds.
      let holding = false;
      const recheck = (v: number, hold: boolean): void => {
        refreshing = true;
        holding = hold;
        void (async () => {
          if (!(await auth.stillValid(principal))) return socket.close(4401, 'the credential of this live feed was revoked, expired or logged out');
          access = await auth.access(principal);
          version = v;
        })().then(
          () => ((refreshing = false), (holding = false)),
          () => socket.close(1011, 'cannot re-check grants'),
        );
      };
      // A quiet feed notices an auth change within a second, not only when its next message comes.
      let lastFull = Date.now();
      const timer = setInterval(() => {
        if (refreshing) return;
        const changed = version !== auth.grantsVersion;
        if (changed || Date.now() - lastFull >= LIVE_PRINCIPAL_RECHECK_MS) {
          lastFull = Date.now();
          // The periodic check does not hold messages back: nothing changed here to suspect.
          recheck(auth.grantsVersion, changed);
        }
      }, 1000);
      timer.unref();
      const visible = (node: string): boolean => {
        if (version !== auth.grantsVersion && !refreshing) recheck(auth.grantsVersion, true);
        return !holding && access.can({ name: node }, 'view');
      };
      const send = (m: LiveMessage): boolean => {
        if (socket.readyState !== socket.OPEN) return false;
        if (m.type === 'readings' || m.type === 'status') {
          if (!visible(m.node)) return true;
        } else if (m.type === 'channel' && !visible(m.channel.node)) return true;
        else if (m.type === 'equipment') {
          // Equipment events go to those who may view the node; people's names only to its admins.
          if (!visible(m.node)) return true;
          if (m.event.kind === 'decision' && m.event.decision.person !== null && !access.can({ name: m.node }, 'admin')) {
            m = { ...m, event: { kind: 'decision', decision: { ...m.event.decision, person: null } } };
          }
        }
        // A dashboard that cannot keep up is disconnected (it reconnects and refetches),
        // rather than letting its queue grow without bound.
        if (socket.bufferedAmount > LIVE_MAX_BUFFERED) {
          socket.close(1013, 'too slow');
          return false;
        }
        socket.send(JSON.stringify(m));
        return true;
      };
      const unsubscribeHub = deps.live.subscribe({ send });
      const unsubscribe = (): void => {
        clearInterval(timer);
        unsubscribeHub();
      };
      socket.on('close', unsubscribe);
      socket.on('error', unsubscribe);
      send({ type: 'hello', server_time: Date.now() });
    },
  );

  const broker = deps.broker;
  if (broker) {
    app.get('/mqtt', { websocket: true }, (socket, req) => {
      const stream = createWebSocketStream(socket);
      stream.on('error', () => stream.destroy());
      broker.handle(stream, req.ip);
    });
  }
}
