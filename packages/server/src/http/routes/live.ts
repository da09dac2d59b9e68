import type { LiveMessage } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { createWebSocketStream } from 'ws';
import type { HttpContext } from '../context.js';

const LIVE_MAX_BUFFERED = 4 * 1024 * 1024;

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
  app.get('/api/v1/live', { websocket: true }, async (socket, req) => {
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
    const visible = (node: string): boolean => {
      if (version !== auth.grantsVersion && !refreshing) {
        refreshing = true;
        const v = auth.grantsVersion;
        void auth.access(principal).then(
          (a) => ((access = a), (version = v), (refreshing = false)),
          () => socket.close(1011, 'cannot re-check grants'),
        );
      }
      return access.can({ name: node }, 'view');
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
    const unsubscribe = deps.live.subscribe({ send });
    socket.on('close', unsubscribe);
    socket.on('error', unsubscribe);
    send({ type: 'hello', server_time: Date.now() });
  });

  const broker = deps.broker;
  if (broker) {
    app.get('/mqtt', { websocket: true }, (socket) => {
      const stream = createWebSocketStream(socket);
      stream.on('error', () => stream.destroy());
      broker.handle(stream);
    });
  }
}
