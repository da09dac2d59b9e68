import type { Socket } from 'node:net';
import http from 'node:http';
import { ErrorCode } from '@ma/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Every answer the server sends has the documented error body, `{"error":{"code","message"}}`,
 * including the ones fastify and Node's HTTP parser produce before any route runs (a bad URL,
 * a path parameter over maxParamLength, headers over the size limit, a malformed request).
 */
export const errorBody = (code: number, message: string): { error: { code: number; message: string } } => ({ error: { code, message } });

/** fastify's `frameworkErrors`: a URL that is not valid percent-encoding (400) or a too-long path parameter (414). */
export function frameworkErrors(err: Error & { statusCode?: number; code?: string }, _req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode ?? 400;
  const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'the URL is not valid (bad percent-encoding?)';
  void reply.status(status).send(errorBody(ErrorCode.InputInvalid, message));
}

/**
 * fastify's `clientErrorHandler`: what Node's HTTP parser refused (431 headers too large, 408
 * timeout, 400 malformed). No request object exists yet, so the answer is written to the socket.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already went out on this connection (e.g. a 414 sent before its body was read):
  // the leftover bytes are not a new request to answer, only a connection to close (as Node does).
  if ((socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy(err);
    return;
  }
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive']
        : [400, 'the request is not valid HTTP'];
  const body = JSON.stringify(errorBody(ErrorCode.InputInvalid, message));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/** The 404 of an API path no route serves. */
export function apiNotFound(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.status(404).send(errorBody(ErrorCode.NotFound, `no route ${req.method} ${req.url.split('?')[0]}`));
}
