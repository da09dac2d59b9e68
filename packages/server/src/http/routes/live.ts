import type { LiveMessage } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { createWebSocketStream } from 'ws';
import type { HttpContext } from '../context.js';

const LIVE_MAX_BUFFERED = 4 * 1024 * 1024;

/** The dashboard's live feed, and MQTT over WebSocket for nodes behind HTTPS-only networks. */
export function registerWebSocketRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;
  app.get('/api/v1/live', { websocket: true }, (socket) => {
    const send = (m: LiveMessage): boolean => {
      if (socket.readyState !== socket.OPEN) return false;
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
